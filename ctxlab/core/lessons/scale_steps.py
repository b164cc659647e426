"""Observations about scale: where parameters live (from the model files), and Chinchilla.

Neither runs a model: counting reads tensor shapes from each GGUF, and the
scaling law is arithmetic, so both steps are instant and exact.
"""

from __future__ import annotations

from typing import Any

from ctxlab.core.lessons.loader import Lesson, LessonError, Step
from ctxlab.core.lessons.text_steps import Observed

DEFAULT_MODELS = ("smollm2", "gemma3-270m")


def observe_parameters(lesson: Lesson, step: Step) -> Observed:
    """Each model's parameters by group and per layer, its memory, and its size class."""
    from ctxlab.core import parameters
    from ctxlab.core.model.loader import bundled, resolve
    from ctxlab.core.model.weights import ModelError

    observation: dict[str, Any] = {"models": {}}
    lines = []
    for name in step.get("models", DEFAULT_MODELS):
        try:
            path = resolve(name, fetch=False)
        except ModelError as exc:
            raise LessonError(str(exc)) from None
        known = bundled(name)
        count = parameters.count_gguf(path, known.name if known else name)
        layers = sorted(count.per_layer)
        per_layer = count.per_layer[layers[0]] if layers else 0
        observation["models"][count.model] = {
            "total": count.total, "groups": count.groups, "layers": len(layers),
            "per_layer": per_layer, "embedding_share": round(count.share("embeddings"), 3),
            "size_class": parameters.size_class(count.total),
            "memory_mb": {f: round(count.memory(f) / 1e6, 1) for f in parameters.BYTES},
            "file_mb": round(count.file_bytes / 1e6, 1),
        }
        lines.append(f"  {count.model}: {count.total:,} parameters "
                     f"({parameters.size_class(count.total)}), "
                     f"file {count.file_bytes / 1e6:.0f} MB")
        for group in parameters.GROUPS:
            if count.groups[group]:
                lines.append(f"    {group:<12} {count.groups[group]:>12,}  "
                             f"{count.share(group):6.1%}")
        lines.append(f"    {len(layers)} layers of {per_layer:,} each; memory "
                     + ", ".join(f"{f} {count.memory(f) / 1e6:,.0f} MB" for f in parameters.BYTES))
    lines.append("  size classes: " + ", ".join(
        f"{name} < {limit / 1e9:g}B" for name, limit in parameters.SIZE_CLASSES[:-1])
        + f", {parameters.SIZE_CLASSES[-1][0]} above")
    for model, params, source in parameters.WELL_KNOWN:
        lines.append(f"    {model:<30} {params / 1e9:>6g}B  {parameters.size_class(params):<8} "
                     f"fp16 {params * 2 / 1e9:,.0f} GB · {source}")
    observation["well_known"] = {m: parameters.size_class(p) for m, p, _ in parameters.WELL_KNOWN}
    return observation, lines


def observe_scaling(lesson: Lesson, step: Step) -> Observed:
    """Chinchilla's L(N, D) around the reference models, and the optimum for a budget."""
    from ctxlab.core import scaling
    from ctxlab.core.scaling_plot import text_plot

    budget = step.get("budget")
    if budget is not None and (not isinstance(budget, int | float) or budget <= 0):
        raise LessonError(f"step {step.title!r}: budget must be a positive number of FLOPs")
    observation: dict[str, Any] = {"references": {
        m.name: {"flops": float(f"{m.flops:.3g}"),
                 "loss": round(scaling.loss(m.params, m.tokens), 3),
                 "tokens_per_param": round(m.tokens / m.params)}
        for m in scaling.REFERENCE_MODELS}}
    if budget is not None:
        best = scaling.compute_optimal(float(budget))
        observation["optimum"] = {"flops": float(budget), "params": float(f"{best.params:.3g}"),
                                  "tokens": float(f"{best.tokens:.3g}"),
                                  "tokens_per_param": round(best.tokens_per_param),
                                  "loss": round(best.loss, 3)}
    return observation, text_plot(float(budget) if budget is not None else None)
