"""Parameter counts come from the model file's own tensor shapes."""

from __future__ import annotations

from asset_guard import require_asset

from ctxlab.core import assets, parameters


def test_tensor_names_fall_into_their_groups():
    assert parameters.group_of("token_embd.weight") == "embeddings"
    assert parameters.group_of("blk.3.attn_q.weight") == "attention"
    assert parameters.group_of("blk.3.attn_q_norm.weight") == "norms"
    assert parameters.group_of("blk.0.ffn_down.weight") == "mlp"
    assert parameters.group_of("output.weight") == "output head"
    assert parameters.group_of("output_norm.weight") == "norms"


def test_smollm2_counts_135m_with_its_embedding_table_exact():
    require_asset("smollm2-135m-instruct-q4_1")
    count = parameters.count_gguf(assets.asset_path("smollm2-135m-instruct-q4_1"), "smollm2")
    assert count.groups["embeddings"] == 49_152 * 576  # vocabulary x width, tied head
    assert count.groups["output head"] == 0
    assert len(count.per_layer) == 30 and len(set(count.per_layer.values())) == 1
    assert count.total == 134_515_008
    assert count.memory("int4") == count.total / 2
    assert parameters.size_class(count.total) == "tiny"


def test_size_classes_follow_the_course_boundaries():
    assert [parameters.size_class(n) for n in (0.3e9, 7e9, 70e9, 175e9, 405e9)] == [
        "tiny", "small", "medium", "large", "massive"]
