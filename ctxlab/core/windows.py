"""Context windows (catalogue models, teaching sizes, the local model) and fill arithmetic.

A fill counts the reserved output tokens as used: most APIs refuse a request
whose prompt plus ``max_tokens`` exceeds the window, so the space the answer
needs is not free for the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ctxlab.core.architecture import SMOLLM2_135M, Architecture

if TYPE_CHECKING:
    from ctxlab.core.catalogue import Prices

GENERIC_TOKENIZER = "o200k_base"
GENERIC_NOTE = f"generic window, counted with {GENERIC_TOKENIZER}"
WARN_PERCENT = 60.0
DANGER_PERCENT = 80.0
DEFAULT_MODELS = ("gpt-4o", "gpt-5", "claude-sonnet-4-5", "gemini-2.5-pro", "deepseek-chat",
                  "gpt-oss-120b", "llama-3.3-70b-instruct")
_TEACHING_SIZES = (("2K", 2 << 10), ("8K", 8 << 10), ("32K", 32 << 10), ("128K", 128 << 10),
                   ("1M", 1 << 20))


@dataclass(frozen=True)
class Window:
    name: str
    context: int
    output: int | None  # the model's output limit, if the catalogue gives one
    tokenizer: str
    exact: bool  # counted with the model's own tokenizer
    note: str  # names the stand-in tokenizer when not exact
    architecture: Architecture | None = None  # known only for local models
    label: str = ""  # how counts are labelled, when "exact"/"approx" does not say it
    prices: Prices | None = None  # from the catalogue, for cost
    chosen: str = ""  # which catalogue entry a bare name resolved to, and why
    input_limit: int | None = None  # the most prompt tokens accepted, when below the window

    @property
    def count_label(self) -> str:
        """``exact``, ``approx: TOKENIZER`` or a named kind such as Google's local count."""
        if self.exact:
            return "exact"
        return f"{self.label}: {self.tokenizer}" if self.label else f"approx: {self.tokenizer}"

    @property
    def default_reserve(self) -> int:
        """The output limit when it is a real cap; 0 when it is the whole window (shared)."""
        if self.output is None or self.output >= self.context:
            return 0
        return self.output


@dataclass(frozen=True)
class Fill:
    used: int
    reserved: int
    context: int
    remaining: int  # negative when over
    percent: float  # (used + reserved) / context
    band: str  # "ok" < 60 %, "warn" 60-80 %, "danger" >= 80 %, "over" > 100 %


def teaching_windows() -> list[Window]:
    """Round sizes for teaching, counted with a generic modern tokenizer."""
    return [Window(name, size, None, GENERIC_TOKENIZER, False, GENERIC_NOTE)
            for name, size in _TEACHING_SIZES]


def custom_window(size: int) -> Window:
    return Window(f"{size:,} tokens", size, None, GENERIC_TOKENIZER, False, GENERIC_NOTE)


LOCAL_WINDOWS = {
    "smollm2-135m": Window("smollm2-135m", SMOLLM2_135M.context_length, None, "smollm2", True,
                           "the bundled local model", SMOLLM2_135M),
}


def window_for_model(model_id: str) -> Window:
    """A catalogue model (``gpt-4o``, ``anthropic/claude-sonnet-4-5``) or the local model."""
    if model_id.lower() in LOCAL_WINDOWS:
        return LOCAL_WINDOWS[model_id.lower()]
    from ctxlab.core.catalogue import resolve

    resolved = resolve(model_id)
    model = resolved.model
    if not model.context:
        raise KeyError(f"{model.key} has no context limit in the catalogue")
    choice = model.tokenizer
    return Window(model.key, model.context, model.output, choice.tokenizer, choice.exact,
                  choice.note, label=choice.label, prices=model.prices, chosen=resolved.how,
                  input_limit=model.input_limit)


def default_windows() -> list[Window]:
    """A handful of popular models, then the teaching windows."""
    return [window_for_model(m) for m in DEFAULT_MODELS] + teaching_windows()


def screen_windows(names: tuple[str, ...] = ()) -> tuple[list[Window], list[str]]:
    """The windows the TUI's Windows tab gauges: the defaults and the local models', or the
    models ``names`` lists, then the teaching sizes; and a line for each name not found."""
    if not names:
        return [*default_windows(), *LOCAL_WINDOWS.values()], []
    windows, problems = [], []
    for name in names:
        try:
            windows.append(window_for_model(name))
        except (KeyError, LookupError) as exc:
            problems.append(str(exc).strip("'\""))
    return windows + teaching_windows(), problems


def fill(window: Window, used: int, reserve: int | None = None) -> Fill:
    """How full ``window`` is with ``used`` prompt tokens plus ``reserve`` output tokens."""
    reserved = window.default_reserve if reserve is None else reserve
    if used < 0 or reserved < 0:
        raise ValueError("token counts cannot be negative")
    taken = used + reserved
    percent = 100.0 * taken / window.context
    remaining = window.context - taken
    if window.input_limit is not None:  # some providers cap the prompt below the window
        remaining = min(remaining, window.input_limit - used)
    return Fill(used, reserved, window.context, remaining, percent,
                "over" if remaining < 0 else band(percent))


def kv_cache_bytes(window: Window, fill: Fill) -> int | None:
    """fp16 KV cache for what the window holds (prompt and reserved output, at most its
    context); None when its architecture is unknown (catalogue models: never guessed)."""
    arch = window.architecture
    return None if arch is None else arch.kv_cache_bytes(min(fill.used + fill.reserved,
                                                             window.context))


@dataclass(frozen=True)
class Cost:
    """USD for one request: the prompt as fresh input, as a cache read, and the reserved output."""

    input: float
    cached_input: float | None
    output: float | None


def cost(window: Window, fill: Fill) -> Cost | None:
    """What sending ``fill.used`` tokens (and getting ``fill.reserved`` back) costs, if priced."""
    prices = window.prices
    if prices is None:
        return None
    per_token = 1e-6
    return Cost(
        fill.used * prices.input * per_token,
        None if prices.cached_input is None else fill.used * prices.cached_input * per_token,
        None if prices.output is None else fill.reserved * prices.output * per_token,
    )


def format_usd(amount: float) -> str:
    """Dollars to the cent, or to four places below a dollar (one prompt often costs less)."""
    return f"${amount:,.2f}" if amount >= 1 else f"${amount:.4f}"


def band(percent: float) -> str:
    if percent > 100.0:
        return "over"
    if percent >= DANGER_PERCENT:
        return "danger"
    if percent >= WARN_PERCENT:
        return "warn"
    return "ok"
