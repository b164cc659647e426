"""One document reader: files, samples and stdin get the same BOM and binary checks."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from ctxlab.core.documents import (
    DocumentError,
    dropped_path,
    read_path,
    read_sample,
    read_stream,
)

BOM = b"\xef\xbb\xbf"


def test_a_file_loses_its_bom_and_says_so(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(BOM + "café\r\n".encode())
    document = read_path(path)
    assert (document.text, document.name, document.path) == ("café\r\n", "a.txt", path)
    assert document.decoding.bom and not document.decoding.lossy


def read_from(source: str, data: bytes, tmp_path):
    if source == "file":
        (tmp_path / "doc").write_bytes(data)
        return read_path(tmp_path / "doc")
    return read_stream(io.BytesIO(data))


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_binary_is_refused_from_every_source(tmp_path, source):
    with pytest.raises(DocumentError, match="binary"):
        read_from(source, b"ELF\x00\x01\x02", tmp_path)


def test_stdin_strips_the_bom_like_a_file():
    document = read_stream(io.BytesIO(BOM + b"hello"))
    assert (document.text, document.name, document.path) == ("hello", "stdin", None)
    assert document.decoding.bom


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_invalid_utf8_is_read_with_replacement_and_reported_as_lossy(tmp_path, source):
    document = read_from(source, b"caf\xe9", tmp_path)
    assert document.text == "caf\ufffd"
    assert document.decoding.lossy and "byte 3" in document.decoding.detail


def test_a_sample_is_a_file_with_a_name_and_an_unknown_one_is_one_line():
    document = read_sample("dragon_story")
    assert document.path is not None and document.name == document.path.name
    assert "dragon" in document.text.lower()
    with pytest.raises(DocumentError) as caught:
        read_sample("no_such_sample")
    assert "\n" not in str(caught.value)


def test_a_dragged_path_is_recognised_quoted_or_escaped(tmp_path):
    path = tmp_path / "my notes.txt"
    path.write_text("x")
    assert dropped_path(f"'{path}'") == path
    assert dropped_path(str(path).replace(" ", "\\ ")) == path
    assert dropped_path("just some words") is None


def test_piping_binary_into_the_tui_stops_with_one_line_and_exit_3():
    result = subprocess.run([sys.executable, "-m", "ctxlab", "-"], input=b"\x00\x01binary",
                            capture_output=True, timeout=120)
    assert result.returncode == 3
    assert result.stderr.decode().strip().count("\n") == 0 and b"binary" in result.stderr
