"""Every context strategy, one record each: what it is called, what it does, how it is applied.

A strategy decides what a model gets of a long text when only part of it fits:
the truncation core *cuts tokens* (``truncation.truncate`` keeps ``keep(budget,
sinks)`` tokens from the start and the end), and the model probes *hide tokens
from attention* with ``mask(window, sinks)``. A record may have either or both;
the probes (recall, surprisal, lessons) use the mask where there is one, else
the cut. The CLI choices, the TUI select and palette, the help text and the
lessons all read their names, labels and help from ``STRATEGIES``.

Names say what happens to the text: ``keep-start`` keeps the first tokens
(cutting the end), ``keep-end`` keeps the last ones (cutting the start, as a
chat does). The spellings used before, still accepted everywhere::

    head -> keep-start    tail, truncate -> keep-end    middle -> cut-middle

Adding a strategy is one record in ``STRATEGIES`` below (plus its tests): give
it ``keep`` to make it a truncation (it then appears in ``ctxlab truncate -s``,
the Truncate tab and the palette), ``mask`` to make it an attention pattern for
``ctxlab recall`` / ``surprisal`` and the lessons, and ``needs_window=False`` if
it takes no window (like ``full``). Nothing else lists strategies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # masks load with the model stack, not with the CLI's --help
    from ctxlab.core.model.masks import AttentionMask

Keep = Callable[[int, int], tuple[int, int]]  # (budget, sinks) -> tokens kept from start, end
MaskBuilder = Callable[[int, int], "AttentionMask"]  # (window, sinks) -> attention mask

SINKS = 4  # attention-sink tokens kept first (StreamingLLM's 4)


@dataclass(frozen=True)
class StrategyRecord:
    name: str  # what the CLI, configs and lessons write
    label: str  # what the TUI shows
    help: str  # one line: what is kept and what is lost
    aliases: tuple[str, ...] = ()  # older spellings, still accepted
    keep: Keep | None = None  # as a truncation: tokens kept from the start and from the end
    shrink_larger: bool = False  # re-encoding overflow comes off the larger side, not the end
    slides: bool = False  # as a truncation: a window the user moves over the text
    mask: MaskBuilder | None = None  # as an attention pattern over the whole text
    sinks: int | None = None  # default leading tokens it always keeps (None: it has none)
    needs_window: bool = True

    @property
    def truncates(self) -> bool:
        """Usable in the Truncate tab / ``ctxlab truncate`` (cuts tokens)."""
        return self.keep is not None or self.slides

    @property
    def cuts_tokens(self) -> bool:
        """Applied to a model by feeding fewer tokens (it has no mask of its own)."""
        return self.mask is None and self.keep is not None


def _causal(window: int, sinks: int) -> AttentionMask:
    from ctxlab.core.model.masks import AttentionMask

    return AttentionMask.causal()


def _native(window: int, sinks: int) -> AttentionMask:
    from ctxlab.core.model.masks import AttentionMask

    return AttentionMask.model_native()


def _sliding(window: int, sinks: int) -> AttentionMask:
    from ctxlab.core.model.masks import AttentionMask

    return AttentionMask.sliding(window)


def _sinks_recent(window: int, sinks: int) -> AttentionMask:
    from ctxlab.core.model.masks import AttentionMask

    return AttentionMask.sinks_recent(sinks, window)


STRATEGIES: dict[str, StrategyRecord] = {record.name: record for record in (
    StrategyRecord("full", "full context", "the model sees the whole text", mask=_causal,
                   needs_window=False),
    StrategyRecord("native", "model's own attention",
                   "each layer attends as it was trained (Gemma 3: 512-token local layers, "
                   "every sixth layer global); full attention for a model without local layers",
                   mask=_native, needs_window=False),
    StrategyRecord("keep-start", "keep start", "keep the first tokens, cut the end",
                   aliases=("head",), keep=lambda budget, sinks: (budget, 0)),
    StrategyRecord("keep-end", "keep end",
                   "keep the last tokens, cut the start (as a chat drops its oldest turns)",
                   aliases=("tail", "truncate"), keep=lambda budget, sinks: (0, budget)),
    StrategyRecord("cut-middle", "middle-out",
                   "keep the head and tail halves, drop the middle (LongBench)",
                   aliases=("middle",), shrink_larger=True,
                   keep=lambda budget, sinks: (budget // 2, budget - budget // 2)),
    StrategyRecord("sinks", "sinks + recent",
                   "keep the first K tokens and the most recent ones (StreamingLLM)",
                   keep=lambda budget, sinks: (sinks, budget - sinks), mask=_sinks_recent,
                   sinks=SINKS),
    StrategyRecord("sliding", "sliding window",
                   "a window of the budget's size; as attention, each token sees the last W",
                   slides=True, mask=_sliding),
)}

_BY_SPELLING = {spelling: record for record in STRATEGIES.values()
                for spelling in (record.name, *record.aliases)}


class UnknownStrategy(ValueError):
    """A strategy name that is neither a record's name nor one of its aliases."""


def strategy(name: str) -> StrategyRecord:
    """The record for ``name`` or one of its aliases."""
    try:
        return _BY_SPELLING[name]
    except KeyError:
        raise UnknownStrategy(f"unknown strategy {name!r}: use one of "
                              f"{', '.join(STRATEGIES)}") from None


def canonical(name: str) -> str:
    return strategy(name).name


def names(where: Callable[[StrategyRecord], bool] = lambda record: True, *,
          aliases: bool = False) -> tuple[str, ...]:
    """Names of the records ``where`` holds for, in registry order (and their aliases)."""
    chosen = [r for r in STRATEGIES.values() if where(r)]
    return tuple(n for r in chosen for n in ((r.name, *r.aliases) if aliases else (r.name,)))


def probe_defaults(own_window: int | None) -> str:
    """The strategies a recall grid compares unless told. A model with local layers of its
    own (Gemma 3's 512) is run as trained (``native``), not with every layer forced global
    (``full``): past its window that breaks it rather than giving it more to read."""
    return ",".join(("full" if own_window is None else "native", "keep-end", "sliding", "sinks"))


def model_strategies() -> tuple[str, ...]:
    """Names that can limit a model in the probes: a mask, or a cut of the tokens fed."""
    return names(lambda record: record.mask is not None or record.keep is not None)


def truncations() -> tuple[StrategyRecord, ...]:
    """The strategies that cut tokens, for the Truncate tab and ``ctxlab truncate``."""
    return tuple(r for r in STRATEGIES.values() if r.truncates)


def help_lines(records: tuple[StrategyRecord, ...]) -> list[str]:
    """``name (alias) help`` lines for a command's epilog."""
    lines = []
    for record in records:
        aka = f" (was {', '.join(record.aliases)})" if record.aliases else ""
        lines.append(f"  {record.name + aka:<30} {record.help}")
    return lines
