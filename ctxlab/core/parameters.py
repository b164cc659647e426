"""Where a model's parameters live, counted tensor by tensor from its own file.

A GGUF lists every tensor's name and shape, so counting needs no weights:
the embedding table, attention (q, k, v, output), the MLP (gate, up, down)
and the norms. Memory at fp16 / int8 / int4 is the count times 2 / 1 / 0.5
bytes. Size classes place a count beside well-known models' published sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

GROUPS = ("embeddings", "attention", "mlp", "norms", "output head")
BYTES = {"fp16": 2.0, "int8": 1.0, "int4": 0.5}

# Size classes as the course documents name them (tiny < 1B ... massive > 200B).
SIZE_CLASSES = (("tiny", 1e9), ("small", 10e9), ("medium", 100e9), ("large", 200e9),
                ("massive", float("inf")))
# Published parameter counts (dense unless noted), to stand beside the local models.
WELL_KNOWN = (
    ("GPT-2 XL", 1.5e9, "Radford et al. 2019"),
    ("Llama 3 8B", 8.0e9, "Meta, Llama 3 model card"),
    ("Llama 2 70B", 70e9, "Touvron et al. 2023"),
    ("GPT-3", 175e9, "Brown et al. 2020"),
    ("Llama 3.1 405B", 405e9, "Meta, Llama 3.1 model card"),
    ("DeepSeek-V3 (MoE, 37B active)", 671e9, "DeepSeek-AI 2024, V3 technical report"),
)


@dataclass
class ParameterCount:
    """Parameters per group and per layer, from one model file."""

    model: str
    groups: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    per_layer: dict[int, int] = field(default_factory=dict)
    file_bytes: int = 0

    @property
    def total(self) -> int:
        return sum(self.groups.values())

    def share(self, group: str) -> float:
        return self.groups[group] / self.total if self.total else 0.0

    def memory(self, fmt: str) -> float:
        return self.total * BYTES[fmt]


def group_of(tensor: str) -> str:
    """Which group a GGUF tensor name belongs to (``blk.3.attn_q.weight`` -> attention)."""
    if tensor.startswith("token_embd"):
        return "embeddings"
    if tensor.startswith("output.") and "norm" not in tensor:
        return "output head"
    if "norm" in tensor:
        return "norms"
    if ".attn_" in tensor:
        return "attention"
    if ".ffn_" in tensor:
        return "mlp"
    raise ValueError(f"unexpected tensor {tensor}")


def count_gguf(path: Path, model: str) -> ParameterCount:
    """Count ``path``'s tensors by group (shapes only; no weight is read or dequantized)."""
    from ctxlab.core.model.gguf_weights import open_gguf

    counts = ParameterCount(model, file_bytes=path.stat().st_size)
    for tensor in open_gguf(path).tensors.values():
        n = tensor.n_elements
        counts.groups[group_of(tensor.name)] += n
        if tensor.name.startswith("blk."):
            layer = int(tensor.name.split(".")[1])
            counts.per_layer[layer] = counts.per_layer.get(layer, 0) + n
    return counts


def size_class(params: float) -> str:
    return next(name for name, limit in SIZE_CLASSES if params < limit)
