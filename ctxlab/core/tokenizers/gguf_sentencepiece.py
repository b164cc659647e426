"""SentencePiece vocabularies kept in GGUF metadata (Gemma 3, Llama 2), rebuilt as the model.

A GGUF with ``tokenizer.ggml.model == "llama"`` stores every piece with its
score and type: exactly the piece table of the SentencePiece ``.model`` it was
converted from. Writing that table back into a SentencePiece ``ModelProto``
(BPE, byte fallback, the file's own space-prefix flag) gives the original
tokenizer, run by SentencePiece itself, from the metadata alone: a split
``.part00`` file or a model far larger than RAM is enough.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctxlab.core.gguf_file import GGUFError, GGUFFile, read_gguf
from ctxlab.core.tokenizers.base import TokenizerError
from ctxlab.core.tokenizers.sentencepiece_backend import SentencePieceTokenizer

GGUF_SENTENCEPIECE = "llama"  # tokenizer.ggml.model for SentencePiece vocabularies
_UNKNOWN = 2  # SentencePiece's piece type for <unk>; GGUF often marks it as control


def model_proto(gguf: GGUFFile) -> bytes:
    """The serialized SentencePiece model that the GGUF's tokenizer metadata describes."""
    from sentencepiece import sentencepiece_model_pb2

    pb: Any = sentencepiece_model_pb2  # generated protobuf classes: no static types
    source = str(gguf.path)
    tokens = gguf.get_list("tokenizer.ggml.tokens", str)
    scores = gguf.get_list("tokenizer.ggml.scores", (int, float))
    types = gguf.get_list("tokenizer.ggml.token_type", int)
    if not tokens or scores is None or types is None:
        raise TokenizerError(f"{source}: GGUF has no SentencePiece vocabulary "
                             "(tokenizer.ggml.tokens, scores and token_type)")
    if not len(tokens) == len(scores) == len(types):
        raise TokenizerError(f"{source}: GGUF tokenizer arrays differ in length")
    unknown = gguf.get_int("tokenizer.ggml.unknown_token_id", 0)
    proto = pb.ModelProto()
    for index, (piece, score, kind) in enumerate(zip(tokens, scores, types, strict=True)):
        entry = proto.pieces.add()
        # llama.cpp stores pieces made only of spaces with real spaces; SentencePiece (and
        # Gemma's own tokenizer) spell them with "▁", which is what the encoder matches.
        if piece and not piece.strip(" "):
            piece = "\u2581" * len(piece)
        entry.piece, entry.score = piece, float(score)
        entry.type = _UNKNOWN if index == unknown else int(kind)
    trainer = proto.trainer_spec
    trainer.model_type = pb.TrainerSpec.BPE
    trainer.vocab_size = len(tokens)
    trainer.byte_fallback = any(kind == pb.ModelProto.SentencePiece.BYTE for kind in types)
    trainer.unk_id = unknown
    for role, attr in (("bos", "bos_id"), ("eos", "eos_id"), ("padding", "pad_id")):
        setattr(trainer, attr, gguf.get_int(f"tokenizer.ggml.{role}_token_id", -1, minimum=-1))
    normalizer = proto.normalizer_spec
    normalizer.name = "identity"
    normalizer.add_dummy_prefix = gguf.get("tokenizer.ggml.add_space_prefix", True) is True
    normalizer.remove_extra_whitespaces = False
    normalizer.escape_whitespaces = True
    try:
        return proto.SerializeToString()
    except Exception as exc:  # protobuf rejects pieces that are not valid UTF-8
        raise TokenizerError(f"{source}: GGUF vocabulary is not a valid SentencePiece model "
                             f"({exc})") from None


def from_gguf(gguf: GGUFFile, *, name: str, licence: str | None = None,
              exact_for: tuple[str, ...] = ()) -> SentencePieceTokenizer:
    """A SentencePiece tokenizer from an already-read GGUF header."""
    kind = gguf.get("tokenizer.ggml.model")
    if kind != GGUF_SENTENCEPIECE:
        raise TokenizerError(f"{gguf.path}: GGUF tokenizer model {kind!r} is not SentencePiece")
    try:
        proto = model_proto(gguf)
        declared = gguf.get_str("general.license")
    except GGUFError as exc:
        raise TokenizerError(str(exc)) from None
    return SentencePieceTokenizer(gguf.path, name=name, model_proto=proto,
                                  licence=licence or declared, exact_for=exact_for)


def from_file(path: str | Path, *, name: str, licence: str | None = None,
              exact_for: tuple[str, ...] = ()) -> SentencePieceTokenizer:
    """Read only the metadata of ``path`` (a whole, cut or split ``.gguf``)."""
    try:
        gguf = read_gguf(path, tensors=False)
    except GGUFError as exc:
        raise TokenizerError(str(exc)) from None
    return from_gguf(gguf, name=name, licence=licence, exact_for=exact_for)
