"""Ask the local model about a context under a window strategy, and say what it saw.

A ``Strategy`` is one of the registry's strategies (``ctxlab.core.strategies``)
with a window: all of the prompt, a truncated copy (the truncation core picks
the kept tokens), a sliding attention window, or attention sinks + a recent
window. A strategy with an attention mask changes only the mask; one without
changes the tokens fed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ctxlab.core.errors import ProbeError
from ctxlab.core.model.generate import Generation, greedy
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.runtime import KVCache
from ctxlab.core.spans import TokenSpans
from ctxlab.core.strategies import STRATEGIES, StrategyRecord, UnknownStrategy, model_strategies
from ctxlab.core.strategies import strategy as find_strategy
from ctxlab.core.tokenizers.base import Tokenizer

SYSTEM_PROMPT = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
ANSWER_HINT = "Answer with just the word or number."


@dataclass(frozen=True)
class Strategy:
    """A registry strategy (name or alias, stored by name) limited to ``window`` tokens."""

    kind: str = "full"
    window: int | None = None
    sinks: int | None = None  # None: the strategy's default

    def __post_init__(self) -> None:
        try:
            record = find_strategy(self.kind)
        except UnknownStrategy as exc:
            raise ProbeError(str(exc)) from None
        object.__setattr__(self, "kind", record.name)
        if self.sinks is None and record.sinks is not None:
            object.__setattr__(self, "sinks", record.sinks)
        if record.needs_window and (self.window is None or self.window < 1):
            raise ProbeError(f"strategy {self.kind!r} needs a window of at least 1 token")

    @property
    def record(self) -> StrategyRecord:
        return STRATEGIES[self.kind]

    @property
    def label(self) -> str:
        if not self.record.needs_window:
            return self.kind
        if self.record.sinks is not None:
            return f"{self.kind} {self.sinks}+{self.window}"
        return f"{self.kind} {self.window}"

    def mask(self) -> AttentionMask:
        """The attention pattern; causal for a strategy that cuts tokens instead."""
        if self.record.mask is None:
            return AttentionMask.causal()
        return self.record.mask(self.window or 1, self.sinks or 0)

    def kept_tokens(self, spans: TokenSpans, budget: int) -> list[tuple[int, int]]:
        """For a strategy that cuts tokens: the token ranges of ``spans`` it feeds."""
        from ctxlab.core.truncation import truncate

        return truncate(spans, budget, self.kind, sinks=self.sinks).kept


PROBE_STRATEGIES = model_strategies()


def parse_strategies(text: str, window: int, sinks: int | None = None) -> tuple[Strategy, ...]:
    """Comma-separated names (aliases allowed, repeats dropped), each limited to ``window``."""
    chosen: dict[str, Strategy] = {}
    for name in (part for part in text.replace(" ", "").split(",") if part):
        try:
            record = find_strategy(name)
        except UnknownStrategy:
            raise ProbeError(f"unknown strategy {name!r}: use "
                             f"{', '.join(PROBE_STRATEGIES)}") from None
        if record.name not in PROBE_STRATEGIES:
            raise ProbeError(f"strategy {name!r} cannot limit a model: use "
                             f"{', '.join(PROBE_STRATEGIES)}")
        window_ = window if record.needs_window else None
        chosen.setdefault(record.name, Strategy(record.name, window_, sinks=sinks))
    if not chosen:
        raise ProbeError(f"no strategy given {text!r}: use {', '.join(PROBE_STRATEGIES)}")
    return tuple(chosen.values())


@dataclass(frozen=True)
class Prompt:
    """Template head + context + question tail, as token ids, with the context's own spans."""

    head_ids: np.ndarray
    context: TokenSpans
    tail_ids: np.ndarray
    answer_lead: str = ""  # what precedes an answer: " " after a plain "Answer:"

    @property
    def ids(self) -> np.ndarray:
        return np.concatenate([self.head_ids, self.context.ids, self.tail_ids])


@dataclass(frozen=True)
class View:
    """What the model gets under a strategy: ids fed, mask, and the context it attends to."""

    ids: np.ndarray
    mask: AttentionMask
    head_tokens: int  # template tokens before the context
    fed_tokens: list[tuple[int, int]]  # context token ranges fed, in order
    seen_tokens: list[tuple[int, int]]  # context token ranges the answer attends to directly
    seen_chars: list[tuple[int, int]]  # the same as char ranges of the context text
    answer_lead: str = ""

    def slot_of(self, context_token: int) -> int:
        """Where context token ``context_token`` sits in ``ids`` (-1 if truncation dropped it)."""
        offset = self.head_tokens
        for start, end in self.fed_tokens:
            if start <= context_token < end:
                return offset + context_token - start
            offset += end - start
        return -1

    def sees(self, context_token: int) -> bool:
        """Does the answering position attend to this context token directly?"""
        return any(s <= context_token < e for s, e in self.seen_tokens)


@dataclass(frozen=True)
class Answer:
    text: str
    ids: list[int]
    strategy: Strategy
    prompt_tokens: int  # tokens fed to the model
    seen_chars: list[tuple[int, int]]
    seen_text: str  # the context the answering position attended to ("…" marks gaps)
    stopped: str
    expected: str | None = None
    recalled: bool | None = None
    expected_logprob: float | None = None


def build_prompt(model: LocalModel, context: str, question: str, *, chat: bool = True) -> Prompt:
    """The chat template around ``context`` and ``question`` (plain Q/A for non-chat models)."""
    lead = ""
    if chat and model.is_chatml:
        head = f"<|im_start|>system\n{SYSTEM_PROMPT}<|im_end|>\n<|im_start|>user\n"
        tail = f"\n\n{question} {ANSWER_HINT}<|im_end|>\n<|im_start|>assistant\n"
    else:  # completion style, as a base model (Gemma 3 270M) continues it
        head, tail, lead = "", f"\n\nQuestion: {question}\nAnswer:", " "
    tok = model.tokenizer
    head_ids = np.concatenate([np.asarray(model.prefix_ids, dtype=np.int64),
                               tok.encode(head, allow_special=True).ids])
    return Prompt(head_ids, tok.encode(context), tok.encode(tail, allow_special=True).ids, lead)


def view(prompt: Prompt, strategy: Strategy) -> View:
    """Apply ``strategy``: the window counts the whole prompt, template and question included."""
    n_head, n_ctx = len(prompt.head_ids), len(prompt.context)
    total = n_head + n_ctx + len(prompt.tail_ids)
    everything = [(0, n_ctx)] if n_ctx else []
    window = strategy.window
    if window is not None and total <= window:
        return _view_of(prompt, prompt.ids, AttentionMask.causal(), everything, everything)
    if strategy.record.cuts_tokens and window is not None:  # a cut always has a window
        budget = window - n_head - len(prompt.tail_ids)
        if budget < 0:
            raise ProbeError(f"a window of {strategy.window} tokens cannot hold the template and "
                             f"question ({total - n_ctx} tokens)")
        kept = strategy.kept_tokens(prompt.context, budget)
        ctx_ids = [prompt.context.ids[s:e] for s, e in kept]
        ids = np.concatenate([prompt.head_ids, *ctx_ids, prompt.tail_ids])
        return _view_of(prompt, ids, AttentionMask.causal(), kept, kept)
    mask = strategy.mask()
    seen = []
    for lo, hi in mask.visible(total - 1):
        lo, hi = max(lo - n_head, 0), min(hi - n_head, n_ctx)
        if hi > lo:
            seen.append((lo, hi))
    return _view_of(prompt, prompt.ids, mask, everything, seen)


def _view_of(prompt: Prompt, ids: np.ndarray, mask: AttentionMask, fed: list[tuple[int, int]],
             seen: list[tuple[int, int]]) -> View:
    spans = prompt.context
    chars = [(int(spans.char_start[s]), int(spans.char_end[e - 1])) for s, e in seen]
    return View(np.asarray(ids, dtype=np.int64), mask, len(prompt.head_ids), fed, seen, chars,
                prompt.answer_lead)


def answer_found(expected: str, text: str) -> bool:
    """``expected`` appears in ``text`` as a whole word, ignoring case."""
    pattern = r"(?<![0-9a-z])" + re.escape(expected.strip().lower()) + r"(?![0-9a-z])"
    return re.search(pattern, text.lower()) is not None


def answer(model: LocalModel, cache: KVCache, last_hidden: np.ndarray, view_: View, *,
           expected: str | None, stem: str = "", max_new_tokens: int) -> tuple[Generation, str,
                                                                              float | None]:
    """Greedy answer from a cache holding ``view_.ids``; with ``expected``, stop once it appears.

    Also returns log P(``expected`` | prompt + ``stem``), teacher-forced: with
    the needle's own words as the stem ("The password is") it reads as a cloze.
    """
    tok = model.tokenizer
    until: Callable[[list[int]], bool] | None = None
    if expected is not None:
        def until(ids: list[int]) -> bool:
            return answer_found(expected, tok.decode(ids))

    prompt_length = cache.length
    gen = greedy(model.runtime, cache, last_hidden, mask=view_.mask, max_new_tokens=max_new_tokens,
                 stop_ids=model.stop_ids(), until=until, lookup=view_.ids)
    logprob = None
    if expected is not None:
        cache.truncate(prompt_length)
        logprob = continuation_logprob(model, cache, last_hidden, view_.mask,
                                       view_.answer_lead + stem, expected)
    return gen, tok.decode(gen.ids).strip(), logprob


def continuation_logprob(model: LocalModel, cache: KVCache, last_hidden: np.ndarray,
                         mask: AttentionMask, stem: str, target: str) -> float:
    """log P(``target`` | cache contents + ``stem``); the cache grows by the stem and target."""
    joined, n_stem = continuation_ids(model.tokenizer, stem, target)
    hidden = model.runtime.forward(joined[:-1], cache, mask=mask, outputs_at=slice(None))
    rows = np.vstack([np.atleast_2d(last_hidden)[-1:], hidden])[n_stem:]
    logprobs, _ = model.runtime.target_logprobs(rows, joined[n_stem:])
    return float(logprobs.sum())


def continuation_ids(tok: Tokenizer, stem: str, target: str) -> tuple[list[int], int]:
    """The ids of ``stem + target`` and how many of them are the stem's: the target is
    scored from there on."""
    stem_ids = list(tok.encode(stem).ids)
    joined = list(tok.encode(stem + target).ids)
    if joined[: len(stem_ids)] != stem_ids:  # BPE merged across the seam: score them apart
        joined = stem_ids + list(tok.encode(target).ids)
    return joined, len(stem_ids)


def ask(model: LocalModel, context: str, question: str, strategy: Strategy = Strategy(), *,
        expected: str | None = None, max_new_tokens: int = 32, chat: bool = True) -> Answer:
    """Ask ``question`` about ``context`` with the model limited by ``strategy``.

    Returns the greedy answer and the parts of the context the answering
    position attended to directly (earlier tokens can still leak in through
    the layers under a sliding window; truncated tokens cannot).
    """
    prompt = build_prompt(model, context, question, chat=chat)
    seen = view(prompt, strategy)
    runtime = model.runtime
    cache = runtime.new_cache(len(seen.ids) + max_new_tokens + len(expected or "") + 8)
    hidden = runtime.forward(seen.ids, cache, mask=seen.mask)
    gen, text, logprob = answer(model, cache, hidden, seen, expected=expected,
                                max_new_tokens=max_new_tokens)
    seen_text = " … ".join(context[a:b] for a, b in seen.seen_chars)
    return Answer(
        text=text, ids=gen.ids, strategy=strategy, prompt_tokens=len(seen.ids),
        seen_chars=seen.seen_chars, seen_text=seen_text, stopped=gen.stopped, expected=expected,
        recalled=None if expected is None else answer_found(expected, text),
        expected_logprob=logprob,
    )
