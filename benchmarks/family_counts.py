"""Per-family token counts of the bundled samples: the old stand-ins against the exact vocabularies.

Before the family tokenizers, ``fit`` counted Llama and Qwen with cl100k_base and
Gemma, Gemini and Mistral with o200k_base. This prints, per sample, both
stand-ins and each family's own count, then the chat sample's templated count
(raw content tokens + template overhead) per family, the figures issue 12 asks for.

Run: python benchmarks/family_counts.py   (after ``ctxlab assets pull --all``)
"""

from __future__ import annotations

from pathlib import Path

STAND_INS = ("cl100k_base", "o200k_base")
FAMILIES = ("llama3", "llama4", "qwen3", "tekken", "mistral-v7", "gemma3")
CHAT_TOKENIZERS = ("o200k_base", "o200k_harmony", "llama3", "llama4", "qwen3", "tekken",
                   "mistral-v7")


def sample_files() -> list[Path]:
    root = Path(__file__).resolve().parents[1] / "samples"
    return sorted(p for p in root.rglob("*") if p.suffix in (".md", ".py", ".json"))


def main() -> None:
    from ctxlab.core.chat import count_chat, load_chat
    from ctxlab.core.tokenizers import get_tokenizer

    names = STAND_INS + FAMILIES
    tokenizers = {name: get_tokenizer(name) for name in names}
    print("| sample | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for path in sample_files():
        text = path.read_text(encoding="utf-8")
        counts = [f"{tokenizers[name].count(text):,}" for name in names]
        print(f"| {path.stem} | " + " | ".join(counts) + " |")
    chat_file = next(p for p in sample_files() if p.name == "chat_transcript.json")
    chat = load_chat(chat_file)
    print(f"\n{chat_file.name}, {len(chat.messages)} messages: raw -> templated (template)")
    for name in CHAT_TOKENIZERS:
        result = count_chat(get_tokenizer(name), chat.messages, tools=chat.tools)
        print(f"  {name:<14} {result.raw_tokens:>6,} -> {result.chat_tokens:>6,} "
              f"(+{result.chat_tokens - result.raw_tokens:,}, {result.template})")


if __name__ == "__main__":
    main()
