"""An output path that cannot be written is one line before the work starts, never a
traceback after it (a recall grid or a split must not be lost to a typo in -o)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ctxlab.cli import group


def run(*args: str):
    result = CliRunner().invoke(group, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.mark.parametrize("make_args", [
    lambda sample, gone: ["scaling", "--svg", str(gone / "map.svg")],
    lambda sample, gone: ["split", str(sample), "-n", "5", "-o", str(gone / "chunks")],
    lambda sample, gone: ["surprisal", str(sample), "-w", "8", "--json", str(gone / "loss.json")],
    lambda sample, gone: ["recall", "--json", str(gone / "recall.json")],
    lambda sample, gone: ["recall", "--plot", str(gone / "recall.svg")],
])
def test_an_output_under_a_file_is_refused_up_front(tmp_path, make_args):
    """`gone` is a regular file, so nothing can be written below it; the command stops
    with one line naming the path, before any tokenizer or model is loaded."""
    sample = tmp_path / "doc.txt"
    sample.write_text("The dragon was red.\n", encoding="utf-8")
    gone = tmp_path / "not-a-folder"
    gone.write_text("x", encoding="utf-8")
    result = run(*make_args(sample, gone))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("ctxlab: error")]
    assert len(lines) == 1 and "not-a-folder" in lines[0] and "not a folder" in lines[0]


def test_an_os_error_while_writing_is_one_line(tmp_path, monkeypatch):
    """The safety net under every command: an OSError the checks did not foresee (a full
    disk, a permission lost mid-run) is one line with the path, exit 3."""
    from pathlib import Path

    def refuse(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)
    result = run("scaling", "--svg", str(tmp_path / "map.svg"))
    assert result.exit_code == 3
    assert result.output.splitlines()[-1] == (
        f"ctxlab: error: {tmp_path / 'map.svg'}: No space left on device")
