"""``ctxlab model``, ``surprisal`` and ``recall`` end to end; the SVG heatmap; lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from asset_guard import require_asset
from click.testing import CliRunner

from ctxlab.cli import group
from ctxlab.core.heatmap_svg import heatmap_svg, recall_colour
from ctxlab.core.model.loader import DEFAULT_ASSET


@pytest.fixture(scope="module")
def runner():
    require_asset(DEFAULT_ASSET)
    return CliRunner()


def test_help_imports_neither_the_model_nor_gguf():
    code = ("import sys; from ctxlab.cli import main\n"
            "for argv in (['--help'], ['recall', '--help'], ['model', '--help']):\n"
            "    try: main(argv)\n"
            "    except SystemExit: pass\n"
            "heavy = ('gguf', 'ctxlab.core.model.runtime', 'torch')\n"
            "bad = [m for m in heavy if m in sys.modules]\n"
            "print('LOADED', bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in out.stdout


def test_model_info_json(runner):
    result = runner.invoke(group, ["model", "info", "--json"])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["layers"] == 30 and facts["kv_heads"] == 3 and facts["chat_template"]
    assert facts["parameters"] == 134_515_008  # HF's num_parameters(): norms included


def test_model_info_on_a_missing_path_is_one_line(runner, tmp_path):
    result = runner.invoke(group, ["model", "info", str(tmp_path / "nope.gguf")])
    assert result.exit_code == 2
    assert "no model at" in result.stderr and "Traceback" not in result.output


def surprisal(runner, tmp_path, sentences: int, *args: str):
    """``ctxlab surprisal`` on a story of ``sentences`` sentences: the run and its JSON."""
    text, out = tmp_path / "story.txt", tmp_path / "s.json"
    text.write_text("The lighthouse keeper, Oswin Barrow, kept a red notebook. " * sentences)
    result = runner.invoke(group, ["surprisal", str(text), *args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text())


def test_surprisal_lists_forgotten_tokens_and_writes_json(runner, tmp_path):
    result, data = surprisal(runner, tmp_path, 6, "--window", "16", "--top", "3")
    assert "perplexity" in result.stdout and result.stdout.count("nats") == 3
    assert data["strategy"] == "sliding 16" and data["tokens"][0]["loss_full"] is None
    assert data["perplexity_window"] > data["perplexity_full"]
    assert "scoring the first" not in result.stderr  # 66 tokens fit the model's 8K


def test_surprisal_scores_the_start_of_a_longer_text(runner, tmp_path):
    result, data = surprisal(runner, tmp_path, 40, "-w", "16", "--first", "50")
    assert "scoring the first 50 tokens only (--first)" in result.stderr
    tokens = data["tokens"]
    assert len(tokens) == 50 and "".join(t["text"] for t in tokens).startswith("The lighthouse")


@pytest.mark.parametrize("text", ["", "Hi"])
def test_surprisal_of_fewer_than_two_tokens_is_one_line(runner, tmp_path, text):
    """The first token is scored from nothing: with none or one there is no loss to show
    (it printed "perplexity nan" and exit 0)."""
    path = tmp_path / "short.txt"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(group, ["surprisal", str(path), "-w", "8"])
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[-1].startswith("ctxlab: error: the text has ")
    assert "nan" not in result.output


def test_recall_prints_a_heatmap_and_writes_json_and_svg(runner, tmp_path):
    out, svg = tmp_path / "r.json", tmp_path / "r.svg"
    result = runner.invoke(group, [
        "recall", "--depths", "50", "--lengths", "150", "--strategies", "full,truncate",
        "--window", "120", "--needles", "1", "--json", str(out), "--plot", str(svg)])
    assert result.exit_code == 0, result.output
    assert "keep-end 120" in result.stdout and "recalled" in result.stdout
    data = json.loads(out.read_text())
    assert [t["baseline"] for t in data["trials"]] == [False, False, True, True]
    assert data["settings"]["lengths"] == [150] and "no-needle baseline" in result.stdout
    ET.fromstring(svg.read_text())  # well-formed


@pytest.mark.parametrize("args, message", [
    (["--strategies", "full,bogus"], "unknown strategy 'bogus'"),
    (["--plot", "out.txt"], "use a .svg or .png"),
    (["--lengths", "1,x"], "comma-separated numbers"),
])
def test_recall_bad_options_are_one_line(runner, args, message):
    result = runner.invoke(group, ["recall", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_heatmap_svg_has_one_cell_per_rate():
    panels = {"full": np.array([[1.0, 0.5], [0.0, np.nan]]), "sliding 64": np.zeros((2, 2))}
    root = ET.fromstring(heatmap_svg(panels, ["0%", "100%"], ["256", "512"], title="t & u"))
    cells = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find(
        "{http://www.w3.org/2000/svg}title") is not None]
    assert len(cells) == 8
    assert recall_colour(1.0) != recall_colour(0.0) != recall_colour(float("nan"))


@pytest.mark.parametrize(("window", "first"), [(None, "full"), (6, "native")])
def test_recall_runs_a_model_with_local_layers_as_trained(load_tokenizer, monkeypatch, tmp_path,
                                                          window, first):
    """Unless told, a Gemma-shaped model is compared as trained, not with its layers forced
    global (a tiny random model stands in: only the choice of strategies is checked)."""
    from tiny_models import tiny_runtime

    from ctxlab.commands import recall
    from ctxlab.core.model.loader import LocalModel

    gpt2 = load_tokenizer("gpt2")
    tiny = LocalModel("tiny", tiny_runtime(vocab=gpt2.info.vocab_size, n_layers=3,
                                           gemma_window=window), gpt2)
    monkeypatch.setattr(recall, "load_for_cli", lambda source: tiny)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(group, ["recall", "--depths", "0", "--lengths", "40",
                                        "--window", "24", "--json", str(out)])
    assert result.exit_code == 0, result.output
    strategies = json.loads(out.read_text())["settings"]["strategies"]
    assert strategies == [first, "keep-end 24", "sliding 24", "sinks 4+24"]
