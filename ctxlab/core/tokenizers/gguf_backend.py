"""The tokenizer stored in a GGUF file's metadata, rebuilt as an exact HF ``tokenizers`` BPE.

GGUF files carry their vocabulary (``tokenizer.ggml.tokens``), merges and a
pre-tokenizer name (``tokenizer.ggml.pre``). For byte-level BPE (``model ==
"gpt2"``) that is everything ``tokenizers`` needs, so any GGUF a user has can be
inspected as a tokenizer, and spans come from ``HFTokenizer``'s byte-level path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctxlab.core.tokenizers.base import TokenizerError, TokenizerInfo
from ctxlab.core.tokenizers.hf_backend import HFTokenizer

# llama.cpp's pre-tokenizer names -> the split regex its own vocab loader applies.
_GPT2_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_LLAMA3_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"""
    r"""| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
_DIGITS_THEN_GPT2 = ("smollm", "starcoder", "refact", "falcon")  # digits split one by one first
_LLAMA3_FAMILY = ("llama-bpe", "llama3", "dbrx", "smaug-bpe")

TOKEN_TYPE_CONTROL = 3
TOKEN_TYPE_USER_DEFINED = 4


def read_fields(reader: Any) -> dict[str, Any]:
    """The tokenizer-relevant metadata of an open ``GGUFReader`` as plain Python values."""
    wanted = ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
              "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.chat_template",
              "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id", "general.name",
              "general.license")
    return {key: reader.fields[key].contents() for key in wanted if key in reader.fields}


class GGUFTokenizer(HFTokenizer):
    """An ``HFTokenizer`` whose vocabulary was read from a GGUF file."""

    chat_template: str | None = None

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None) -> GGUFTokenizer:  # type: ignore[override]
        from gguf import GGUFReader

        path = Path(path)
        try:
            reader = GGUFReader(path)
        except Exception as exc:
            raise TokenizerError(f"{path}: not a readable GGUF file ({exc})") from None
        return cls.from_fields(read_fields(reader), source=str(path), name=name or path.stem)

    @classmethod
    def from_fields(cls, fields: dict[str, Any], *, source: str, name: str) -> GGUFTokenizer:
        """Build from ``read_fields`` output (the model loader reads the file once for both)."""
        kind = fields.get("tokenizer.ggml.model")
        if kind != "gpt2":
            raise TokenizerError(
                f"{source}: GGUF tokenizer model {kind!r} is not supported "
                "(ctxlab reads byte-level BPE, tokenizer.ggml.model = 'gpt2')"
            )
        tok = _build(fields)
        specials = {tok.id_to_token(i): i for i in _special_ids(fields)}
        import tokenizers

        info = TokenizerInfo(
            name=name, family="gguf", vocab_size=len(fields["tokenizer.ggml.tokens"]),
            special_tokens=specials, source=source, licence=fields.get("general.license"),
            library=f"gguf metadata via tokenizers {tokenizers.__version__}",
            exact_for=(str(fields.get("general.name", name)),),
        )
        made = cls(tok, info)
        made.chat_template = fields.get("tokenizer.chat_template")
        return made


def _special_ids(fields: dict[str, Any]) -> list[int]:
    types = fields.get("tokenizer.ggml.token_type") or []
    return [i for i, t in enumerate(types) if t in (TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED)]


def _build(fields: dict[str, Any]):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    tokens: list[str] = fields["tokenizer.ggml.tokens"]
    merges = [tuple(m.split(" ", 1)) for m in fields.get("tokenizer.ggml.merges", [])]
    vocab = {piece: i for i, piece in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    pre = fields.get("tokenizer.ggml.pre", "default")
    regex = _LLAMA3_REGEX if pre in _LLAMA3_FAMILY else _GPT2_REGEX
    steps = [pre_tokenizers.Split(Regex(regex), behavior="isolated"),
             pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    if pre in _DIGITS_THEN_GPT2:
        steps.insert(0, pre_tokenizers.Digits(individual_digits=True))
    tok.pre_tokenizer = pre_tokenizers.Sequence(steps)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                            for i in _special_ids(fields)])
    return tok
