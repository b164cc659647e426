"""Non-OpenAI vocabularies in tiktoken's format: Meta's Llama 3 and 4, Mistral's Tekken.

All three are byte-level BPE over a regex split, which is exactly what a
``tiktoken.Encoding`` runs; only the rank file, the split pattern and the
special tokens differ. Building the ``Encoding`` from the maker's own file lets
``TiktokenTokenizer`` count them with the same code as the OpenAI encodings.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ctxlab.core.tokenizers.base import TokenizerError
from ctxlab.core.tokenizers.tiktoken_backend import TiktokenTokenizer

# Meta's split pattern for Llama 3 (llama_models/llama3/tokenizer.py).
LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Llama 4 splits like o200k (llama_models/llama4/tokenizer.py).
LLAMA4_PATTERN = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def read_ranks(path: Path) -> dict[bytes, int]:
    """A ``.tiktoken``-style file: one ``base64(token) rank`` pair per line."""
    ranks: dict[bytes, int] = {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise TokenizerError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError:
            raise TokenizerError(f"{path}: line {number} is not 'base64 rank'") from None
    return ranks


def _llama3_specials(first_id: int) -> dict[str, int]:
    """Meta's 256 Llama 3 specials: ten named ones, the rest reserved, after the ranks."""
    named = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
             "<|python_tag|>", "<|image|>"]
    reserved = [f"<|reserved_special_token_{i}|>" for i in range(2, 2 + 256 - len(named))]
    return {tok: first_id + i for i, tok in enumerate(named + reserved)}


def _reserved(group: str, start: int, stop: int) -> list[str]:
    return [f"<|{group}_reserved_special_token_{i}|>" for i in range(start, stop)]


def _llama4_specials(first_id: int) -> dict[str, int]:
    """Meta's 2,048 Llama 4 specials in their published order (text, vision, reasoning)."""
    text = (["<|header_start|>", "<|header_end|>", "<|eom|>", "<|eot|>", "<|step|>"]
            + _reserved("text_post_train", 0, 6)
            + ["<|python_start|>", "<|python_end|>", "<|finetune_right_pad|>"]
            + _reserved("text_post_train", 8, 69))
    vision = (["<|image_start|>", "<|image_end|>"] + _reserved("vision", 0, 2)
              + ["<|tile_x_separator|>", "<|tile_y_separator|>"] + _reserved("vision", 2, 6)
              + ["<|image|>"] + _reserved("vision", 6, 7) + ["<|patch|>"]
              + _reserved("vision", 7, 1048))
    reasoning = _reserved("reasoning", 0, 8) + ["<|reasoning_thinking_start|>",
                                                "<|reasoning_thinking_end|>"]
    named = (["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>",
              "<|fim_suffix|>"] + text + vision + reasoning)
    filler = [f"<|reserved_special_token_{i}|>" for i in range(2048 - len(named))]
    return {tok: first_id + i for i, tok in enumerate(named + filler)}


def _encoding(name: str, pattern: str, ranks: dict[bytes, int], specials: dict[str, int]):
    import tiktoken

    return tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks,
                             special_tokens=specials)


def llama3(path: Path, exact_for: tuple[str, ...]) -> TiktokenTokenizer:
    ranks = read_ranks(path)
    enc = _encoding("llama3", LLAMA3_PATTERN, ranks, _llama3_specials(len(ranks)))
    return TiktokenTokenizer.from_encoding(enc, source=str(path),
                                           licence="Llama 3 Community Licence",
                                           exact_for=exact_for)


def llama4(path: Path, exact_for: tuple[str, ...]) -> TiktokenTokenizer:
    ranks = read_ranks(path)
    enc = _encoding("llama4", LLAMA4_PATTERN, ranks, _llama4_specials(len(ranks)))
    return TiktokenTokenizer.from_encoding(enc, source=str(path),
                                           licence="Llama 4 Community Licence",
                                           exact_for=exact_for)


# The control tokens Mistral numbers 0..19 when a Tekken file lists none of its own.
_TEKKEN_DEFAULT_SPECIALS = (
    "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
    "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
    "[TOOL_CONTENT]",
)


def tekken(path: Path, exact_for: tuple[str, ...], *, name: str = "tekken") -> TiktokenTokenizer:
    """A Tekken JSON: ranks come after the control tokens, so every rank is shifted up.

    Shifting all ranks by the same amount keeps BPE's merge order, so the
    encoding's ids are Mistral's ids directly.
    """
    try:
        data = json.loads(path.read_bytes())
        config = data["config"]
        n_special = int(config["default_num_special_tokens"])
        n_ranks = int(config["default_vocab_size"]) - n_special
        vocab = data["vocab"][:n_ranks]
        ranks = {base64.b64decode(entry["token_bytes"]): n_special + int(entry["rank"])
                 for entry in vocab}
        listed = [t["token_str"] for t in data.get("special_tokens") or []]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TokenizerError(f"{path}: not a Tekken tokenizer file ({exc})") from None
    names = listed or list(_TEKKEN_DEFAULT_SPECIALS)
    names += [f"<SPECIAL_{i}>" for i in range(len(names), n_special)]
    enc = _encoding(name, config["pattern"], ranks, {tok: i for i, tok in enumerate(names)})
    return TiktokenTokenizer.from_encoding(enc, source=str(path), licence="Apache-2.0",
                                           exact_for=exact_for)
