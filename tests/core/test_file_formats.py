"""A backend module brings its own file format: the registry finds it by the module's name."""

from __future__ import annotations

import sys
import types

import pytest

from ctxlab.core import tokenizers
from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.core.tokenizers.base import FileFormat, TokenizerError
from ctxlab.core.tokenizers.registry import file_formats


def test_each_backend_module_names_the_files_it_opens() -> None:
    assert sorted(f.name for f in file_formats()) == ["*.gguf", "*.model", "tokenizer.json"]


def test_an_unknown_file_lists_what_the_backends_open(tmp_path) -> None:
    path = tmp_path / "vocab.bin"
    path.write_bytes(b"x")
    with pytest.raises(TokenizerError) as caught:
        get_tokenizer(str(path))
    assert "expected " in str(caught.value)
    for file_format in file_formats():
        assert file_format.name in str(caught.value)


def test_a_new_backend_module_is_found_without_touching_the_registry(tmp_path,
                                                                      monkeypatch) -> None:
    """What adding ``xyz_backend.py`` does: its FILE_FORMAT opens ``*.xyz`` files."""
    opened = []
    module = types.ModuleType("ctxlab.core.tokenizers.xyz_backend")
    module.FILE_FORMAT = FileFormat("*.xyz", lambda p: p.suffix == ".xyz",
                                    lambda p: opened.append(p) or "a tokenizer")
    (tmp_path / "xyz_backend.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(tokenizers, "__path__", [*tokenizers.__path__, str(tmp_path)])
    monkeypatch.setitem(sys.modules, module.__name__, module)
    vocab = tmp_path / "vocab.xyz"
    vocab.write_bytes(b"x")
    assert get_tokenizer(str(vocab)) == "a tokenizer" and opened == [vocab]
