"""Observations that need only tokenizers: windows, token splits, languages, chat overhead.

Each ``observe_*`` returns a JSON-ready observation (what a recording keeps
and ``expect`` checks) and the lines ``--print`` shows for it.
"""

from __future__ import annotations

from typing import Any

from ctxlab.core.lessons.documents import (
    PREAMBLE,
    facts_visible,
    section_coverage,
    sections,
    step_text,
)
from ctxlab.core.lessons.loader import Lesson, LessonError, Step

Observed = tuple[dict[str, Any], list[str]]
SHOW_PIECES_UP_TO = 240  # characters: longer texts show counts, not every token
WINDOW_STRATEGY = "keep-end"  # a window step cuts as a chat does, unless it says otherwise
VISIBLE_WHITESPACE = str.maketrans({" ": "·", "\n": "⏎", "\t": "→", "\u200d": "<ZWJ>"})


def tokenizer(name: str):
    from ctxlab.core.tokenizers import get_tokenizer

    return get_tokenizer(name, fetch=False)


def step_window(step: Step):
    """The step's ``window``: a teaching size name (``"8K"``) or a token count."""
    from ctxlab.core.windows import custom_window, teaching_windows

    value = step.get("window")
    if isinstance(value, int):
        return custom_window(value)
    for window in teaching_windows():
        if window.name == value:
            return window
    names = ", ".join(w.name for w in teaching_windows())
    raise LessonError(f"step {step.title!r}: window {value!r} is not a token count "
                      f"or one of {names}")


def observe_window(lesson: Lesson, step: Step) -> Observed:
    """What survives when the document is cut to the window by the step's strategy."""
    from ctxlab.core.strategies import strategy as find_strategy
    from ctxlab.core.truncation import truncate

    text = step_text(step)
    window = step_window(step)
    tok = tokenizer(step.get("tokenizers", [window.tokenizer])[0])
    spans = tok.encode(text)
    try:
        record = find_strategy(step.get("strategy", WINDOW_STRATEGY))
        cut = truncate(spans, window.context, record.name, tokenizer=tok)
    except ValueError as exc:
        raise LessonError(f"step {step.title!r}: {exc}") from None
    strategy = record.name
    coverage = section_coverage(text, cut.kept_chars)
    facts = facts_visible(lesson.watch, text, cut.kept_chars)
    observation = {
        "tokenizer": tok.info.name, "document_tokens": len(spans), "window": window.context,
        "strategy": strategy, "kept_tokens": cut.kept_tokens, "dropped_tokens": cut.dropped_tokens,
        "sections": coverage, "facts": facts,
    }
    percent = 100 * cut.kept_tokens / max(len(spans), 1)
    lines = [
        f"{window.name} window, {record.label}: {cut.kept_tokens:,} of {len(spans):,} "
        f"{tok.info.name} tokens visible ({percent:.0f}%), {cut.dropped_tokens:,} gone",
        *(f"  {status:<5}  {names}" for status, names in _runs(coverage)),
        "  facts  " + " · ".join(f"{f} {'visible' if v else 'gone'}" for f, v in facts.items()),
    ]
    return observation, lines


def _runs(coverage: dict[str, str]) -> list[tuple[str, str]]:
    """Consecutive sections with the same status, as ``("gone", "Page 1 … Page 12")``."""
    runs: list[tuple[str, list[str]]] = []
    for name, status in coverage.items():
        if runs and runs[-1][0] == status:
            runs[-1][1].append(name)
        else:
            runs.append((status, [name]))
    return [(s, names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}") for s, names in runs]


def observe_tokens(lesson: Lesson, step: Step) -> Observed:
    """How each tokenizer splits the text: counts, tokens per word, and (if short) the pieces."""
    text = step_text(step)
    words = max(len(text.split()), 1)
    observation: dict[str, Any] = {"chars": len(text), "words": len(text.split()), "counts": {},
                                   "tokens_per_word": {}}
    show_pieces = len(text) <= SHOW_PIECES_UP_TO
    if show_pieces:
        observation["pieces"] = {}
    lines = [f"{len(text):,} characters, {len(text.split()):,} words"]
    for name in _tokenizers(step):
        spans = tokenizer(name).encode(text)
        observation["counts"][name] = len(spans)
        observation["tokens_per_word"][name] = round(len(spans) / words, 2)
        line = f"  {name:<12} {len(spans):>6,} tokens  {len(spans) / words:5.2f}/word"
        if show_pieces:
            pieces = _pieces(spans)
            observation["pieces"][name] = pieces
            line += "  " + "|".join(p.translate(VISIBLE_WHITESPACE) for p in pieces)
        lines.append(line)
    return observation, lines


def _pieces(spans) -> list[str]:
    """Token texts; a character spread over n byte tokens shows once, as ``char×n``."""
    pieces: list[str] = []
    run = 1
    for i in range(len(spans)):
        same_char = (i > 0 and spans.split[i] and spans.split[i - 1]
                     and spans.char_end[i] == spans.char_end[i - 1])
        if same_char:
            run += 1
            pieces[-1] = f"{spans.token_text(i - run + 1)}×{run}"
        else:
            run = 1
            pieces.append(spans.token_text(i))
    return pieces


def observe_languages(lesson: Lesson, step: Step) -> Observed:
    """Tokens per section (one language each) and per word of the first (baseline) section."""
    text = step_text(step)
    parts = [s for s in sections(text) if s.name != PREAMBLE]
    wanted = step.get("sections")
    if wanted:
        parts = [s for s in parts if s.name in wanted]
    if not parts:
        raise LessonError(f"step {step.title!r}: the document has no ## sections to compare")
    names = _tokenizers(step)
    toks = [tokenizer(n) for n in names]
    baseline = parts[0]
    base_words = max(len(text[baseline.start:baseline.end].split()), 1)
    counts = {s.name: {n: t.count(text[s.start:s.end]) for n, t in zip(names, toks, strict=True)}
              for s in parts}
    per_word = {s: {n: round(c / base_words, 2) for n, c in row.items()}
                for s, row in counts.items()}
    observation = {"baseline": baseline.name, "baseline_words": base_words, "counts": counts,
                   "tokens_per_baseline_word": per_word}
    lines = [f"tokens, and tokens per {baseline.name} word ({base_words} words say the same thing)",
             "".join(f"{n:>16}" for n in names)]
    for section, row in counts.items():  # the name goes last: CJK names are two cells a char
        cells = "".join(f"{c:>9,} {per_word[section][n]:>5.2f} " for n, c in row.items())
        lines.append(f"{cells}  {section}")
    return observation, lines


def observe_chat(lesson: Lesson, step: Step) -> Observed:
    """Tokens the messages cost once templated, beyond their contents."""
    from ctxlab.core.chat import ChatError, count_chat, load_messages
    from ctxlab.core.samples import get_sample

    messages = step.get("messages")
    try:
        if messages is None:
            messages = load_messages(get_sample(step.get("document")).path)
        observation: dict[str, Any] = {"messages": len(messages), "counts": {}}
        lines = [f"{len(messages)} message{'s' if len(messages) != 1 else ''}"]
        for name in _tokenizers(step):
            count = count_chat(tokenizer(name), messages, today="2025-01-01")
            extra = count.chat_tokens - count.raw_tokens
            percent = 100 * extra / max(count.raw_tokens, 1)
            observation["counts"][name] = {"raw": count.raw_tokens, "chat": count.chat_tokens,
                                           "overhead": extra}
            lines.append(f"  {name:<14} words' tokens {count.raw_tokens:>6,}  templated "
                         f"{count.chat_tokens:>6,}  overhead {extra:>4,} ({percent:.0f}%)  "
                         f"[{count.template}]")
    except (ChatError, KeyError) as exc:
        raise LessonError(f"step {step.title!r}: {exc}") from None
    return observation, lines


def _tokenizers(step: Step) -> list[str]:
    names = step.get("tokenizers")
    if not names:
        raise LessonError(f"step {step.title!r} needs tokenizers = [...]")
    return list(names)
