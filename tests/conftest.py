"""Shared fixtures: real tokenizers from the registry, loaded once per session."""

from __future__ import annotations

import pytest

from ctxlab.core.tokenizers import get_tokenizer
from ctxlab.core.tokenizers.tiktoken_files import enable_offline_tiktoken

# Tests compare against stock tiktoken, which must find its files without a network.
enable_offline_tiktoken()


@pytest.fixture(scope="session")
def load_tokenizer():
    def load(name: str):
        return get_tokenizer(name, fetch=False)

    return load
