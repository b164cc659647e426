"""The tokenizer stored in a GGUF file's metadata, rebuilt exactly.

GGUF files carry their vocabulary (``tokenizer.ggml.tokens``), merges and a
pre-tokenizer name (``tokenizer.ggml.pre``). For byte-level BPE (``model ==
"gpt2"``) that is everything ``tokenizers`` needs, so any GGUF a user has can be
inspected as a tokenizer, and spans come from ``HFTokenizer``'s byte-level path.
SentencePiece vocabularies (``model == "llama"``: Gemma, Llama 2, Mistral) carry
pieces, scores and types instead; ``gguf_sentencepiece`` turns those back into
a SentencePiece model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctxlab.core.gguf_file import GGUFError, GGUFFile, read_gguf
from ctxlab.core.tokenizers.base import FileFormat, Tokenizer, TokenizerError, TokenizerInfo
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


class GGUFTokenizer(HFTokenizer):
    """An ``HFTokenizer`` whose vocabulary was read from a GGUF file."""

    chat_template: str | None = None

    @classmethod
    def from_file(cls, path: str | Path, *, name: str | None = None) -> Tokenizer:  # type: ignore[override]
        """Read only the metadata, so a split ``.part00`` or a huge model is enough."""
        path = Path(path)
        try:
            gguf = read_gguf(path, tensors=False)
        except GGUFError as exc:
            raise TokenizerError(str(exc)) from None
        return cls.from_gguf(gguf, name=name or path.stem)

    @classmethod
    def from_gguf(cls, gguf: GGUFFile, *, name: str) -> Tokenizer:
        """Build from an already-read file (the model loader reads it once for both).

        A SentencePiece vocabulary gives a ``SentencePieceTokenizer`` instead.
        """
        try:
            fields = _tokenizer_fields(gguf)
        except GGUFError as exc:
            raise TokenizerError(str(exc)) from None
        source = str(gguf.path)
        kind = fields["model"]
        if kind == "llama":
            from ctxlab.core.tokenizers import gguf_sentencepiece

            return gguf_sentencepiece.from_gguf(gguf, name=name)
        if kind != "gpt2":
            raise TokenizerError(
                f"{source}: GGUF tokenizer model {kind!r} is not supported "
                "(ctxlab reads byte-level BPE 'gpt2' and SentencePiece 'llama')"
            )
        try:
            tok = _build(fields)
        except Exception as exc:  # the native builder's own message says what it rejected
            detail = (str(exc).splitlines() or [type(exc).__name__])[0]
            raise TokenizerError(f"{source}: the GGUF vocabulary is inconsistent ({detail})"
                                 ) from None
        specials = {tok.id_to_token(i): i for i in _special_ids(fields)}
        import tokenizers

        info = TokenizerInfo(
            name=name, family="gguf", vocab_size=len(fields["tokens"]),
            special_tokens=specials, source=source, licence=fields["licence"],
            library=f"gguf metadata via tokenizers {tokenizers.__version__}",
            exact_for=(fields["model_name"] or name,),
        )
        made = cls(tok, info)
        made.chat_template = fields["chat_template"]
        return made


def _tokenizer_fields(gguf: GGUFFile) -> dict[str, Any]:
    """The tokenizer metadata, type-checked: a malformed file fails here in one line."""
    tokens = gguf.get_list("tokenizer.ggml.tokens", str)
    if not tokens:
        raise GGUFError(f"{gguf.path}: GGUF has no vocabulary (tokenizer.ggml.tokens)")
    merges = gguf.get_list("tokenizer.ggml.merges", str) or []
    if any(" " not in m for m in merges):
        raise GGUFError(f"{gguf.path}: a tokenizer.ggml.merges entry lacks its space")
    types = gguf.get_list("tokenizer.ggml.token_type", int) or []
    if types and len(types) != len(tokens):
        raise GGUFError(f"{gguf.path}: tokenizer.ggml.token_type has {len(types):,} entries "
                        f"for {len(tokens):,} tokens")
    return {
        "model": gguf.get_str("tokenizer.ggml.model"), "tokens": tokens, "merges": merges,
        "token_type": types, "pre": gguf.get_str("tokenizer.ggml.pre", "default"),
        "chat_template": gguf.get_str("tokenizer.chat_template"),
        "model_name": gguf.get_str("general.name"), "licence": gguf.get_str("general.license"),
    }


def _special_ids(fields: dict[str, Any]) -> list[int]:
    return [i for i, t in enumerate(fields["token_type"])
            if t in (TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED)]


def _build(fields: dict[str, Any]):
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

    tokens: list[str] = fields["tokens"]
    merges = [tuple(m.split(" ", 1)) for m in fields["merges"]]
    vocab = {piece: i for i, piece in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    pre = fields["pre"]
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


def open_gguf(path: Path) -> Tokenizer:
    """Any GGUF's tokenizer from its metadata alone: byte-level BPE or SentencePiece."""
    from ctxlab.core.tokenizers import gguf_sentencepiece

    try:
        gguf = read_gguf(path, tensors=False)
    except GGUFError as exc:
        raise TokenizerError(str(exc)) from None
    name = path.name.split(".gguf")[0]
    if gguf.get("tokenizer.ggml.model") == gguf_sentencepiece.GGUF_SENTENCEPIECE:
        return gguf_sentencepiece.from_gguf(gguf, name=name)
    return GGUFTokenizer.from_gguf(gguf, name=name)


FILE_FORMAT = FileFormat(
    "*.gguf", lambda path: path.suffix.lower() == ".gguf" or ".gguf.part" in path.name.lower(),
    open_gguf)
