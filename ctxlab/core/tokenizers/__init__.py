"""Tokenizer protocol, registry and backends (tiktoken, HF tokenizers, SentencePiece, GGUF)."""

from ctxlab.core.tokenizers.base import Tokenizer, TokenizerError, TokenizerInfo
from ctxlab.core.tokenizers.registry import get_tokenizer, loaded_tokenizer, resolve_name, specs

__all__ = ["Tokenizer", "TokenizerError", "TokenizerInfo", "get_tokenizer", "loaded_tokenizer",
           "resolve_name", "specs"]
