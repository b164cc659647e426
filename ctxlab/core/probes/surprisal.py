"""Per-token surprisal with full context vs under a window: what the model forgot.

Each strategy costs one forward pass: a mask (sliding window, sinks + recent)
gives every token exactly the loss it would have with only its allowed
context, and truncation feeds the kept tokens alone. Arrays come back, not
pictures: the CLI prints them and the TUI paints them.

"Full context" is the whole text read as the model was trained to read it. For
Gemma 3 that is its own pattern (512-token local layers, every sixth global):
forced global in every layer it is not given more context but broken (Page 1
of the dragon story: perplexity 86 forced global, 31 under a plain 512-token
window, 1,053 tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ctxlab.core.errors import ProbeError
from ctxlab.core.model.loader import LocalModel
from ctxlab.core.model.masks import AttentionMask
from ctxlab.core.model.weights import ModelConfig
from ctxlab.core.probes.context import Strategy
from ctxlab.core.spans import TokenSpans

OWN_ATTENTION = AttentionMask.model_native()  # causal in every layer of a model without local ones
CHARS_PER_TOKEN_BOUND = 32  # so a book is not tokenized whole just to score its start


@dataclass(frozen=True)
class SurprisalMap:
    """Losses in nats per token of ``spans`` (NaN: first token, or not fed under the window)."""

    spans: TokenSpans
    strategy: Strategy
    full: np.ndarray
    windowed: np.ndarray

    @property
    def delta(self) -> np.ndarray:
        """Extra loss the window costs each token: high = forgotten."""
        return self.windowed - self.full

    def forgotten(self, top: int = 20) -> np.ndarray:
        """Indices of the ``top`` tokens whose loss rose most, worst first."""
        delta = np.nan_to_num(self.delta, nan=-np.inf)
        order = np.argsort(-delta, kind="stable")[:top]
        return order[np.isfinite(delta[order])]

    def perplexity(self, which: str = "full") -> float:
        """exp(mean loss) over tokens scored both ways (so the two are comparable)."""
        both = np.isfinite(self.full) & np.isfinite(self.windowed)
        losses = (self.full if which == "full" else self.windowed)[both]
        return float(np.exp(losses.mean())) if losses.size else float("nan")


def token_losses(model: LocalModel, ids: np.ndarray, mask: AttentionMask = OWN_ATTENTION, *,
                 should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Loss of each token given the tokens before it under ``mask`` (NaN for the first).

    A model whose inputs start with fixed ids (Gemma's ``<bos>``) gets them
    first, so even the first token has a loss, and they are not scored.
    """
    runtime = model.runtime
    lead = len(model.prefix_ids)
    if lead:
        ids = np.concatenate([np.asarray(model.prefix_ids, dtype=np.int64), ids])
    losses = np.full(len(ids), np.nan, dtype=np.float32)
    if len(ids) < 2:
        return losses[lead:]
    cache = runtime.new_cache(len(ids))
    hidden = runtime.forward(ids[:-1], cache, mask=mask, outputs_at=slice(None),
                             should_cancel=should_cancel)
    logprobs, _ = runtime.target_logprobs(hidden, ids[1:])
    losses[1:] = -logprobs
    return losses[lead:]


def text_start(model: LocalModel, text: str, max_tokens: int) -> str:
    """The start of ``text`` that its first ``max_tokens`` model tokens cover (all of a
    shorter text): a long document is scored from its beginning, as a reader meets it."""
    head = text[: max_tokens * CHARS_PER_TOKEN_BOUND]
    spans = model.tokenizer.encode(head)
    if len(spans) > max_tokens:
        return head[: int(spans.char_end[max_tokens - 1])]
    return head


def surprisal_map(model: LocalModel, text: str, strategy: Strategy, *,
                  max_tokens: int | None = None,
                  should_cancel: Callable[[], bool] | None = None,
                  progress: Callable[[str], None] | None = None) -> SurprisalMap:
    """Losses of ``text`` with full context and under ``strategy`` (two forward passes).

    Texts longer than ``max_tokens`` (default: the model's context length)
    raise ``ValueError``: positions past training length would measure
    extrapolation, not forgetting.
    """
    spans = model.tokenizer.encode(text)
    limit = max_tokens or model.config.arch.context_length
    if len(spans) > limit:
        raise ProbeError(f"the text has {len(spans)} tokens; the model's context is {limit} "
                         "(pass a shorter text)")
    if len(spans) < 2:  # each token is scored from the ones before it: the first never is
        raise ProbeError(f"the text has {len(spans)} token{'s' * (len(spans) != 1)}; "
                         "surprisal needs at least 2")
    ids = spans.ids
    if progress:
        progress("full context")
    full = token_losses(model, ids, should_cancel=should_cancel)
    if progress:
        progress(strategy.label)
    mask = strategy.mask()
    if strategy.record.cuts_tokens:
        kept = strategy.kept_tokens(spans, strategy.window or 0)
        index = np.concatenate([np.arange(s, e) for s, e in kept]) if kept else np.zeros(0, int)
        windowed = np.full(len(ids), np.nan, dtype=np.float32)
        windowed[index] = token_losses(model, ids[index], should_cancel=should_cancel)
    elif _same_attention(model.config, mask, OWN_ATTENTION):
        windowed = full.copy()  # the same pass again would give the same losses
    else:
        windowed = token_losses(model, ids, mask, should_cancel=should_cancel)
    return SurprisalMap(spans, strategy, full, windowed)


def _same_attention(config: ModelConfig, a: AttentionMask, b: AttentionMask) -> bool:
    return all(config.layer_mask(layer, a) == config.layer_mask(layer, b)
               for layer in range(config.arch.n_layers))
