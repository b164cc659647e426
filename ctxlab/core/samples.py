"""Bundled sample documents: found in the source tree or, when installed, in the wheel."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    name: str  # file stem, e.g. "dragon_story"
    path: Path
    title: str
    description: str
    kind: str


def samples_dir() -> Path:
    """``samples/`` beside the package (editable install, clone) or ``ctxlab/_samples`` (wheel)."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "samples", package / "_samples"):
        if (candidate / "index.toml").is_file():
            return candidate
    raise FileNotFoundError("ctxlab's bundled samples are missing (no samples/index.toml)")


def list_samples() -> list[Sample]:
    root = samples_dir()
    index = tomllib.loads((root / "index.toml").read_text("utf-8"))
    return [
        Sample(
            name=Path(entry["file"]).stem, path=root / entry["file"], title=entry["title"],
            description=entry["description"], kind=entry["kind"],
        )
        for entry in index.get("sample", [])
    ]


def get_sample(name: str) -> Sample:
    """A sample by stem or file name; ``KeyError`` lists the choices."""
    for sample in list_samples():
        if name in (sample.name, sample.path.name):
            return sample
    choices = ", ".join(s.name for s in list_samples())
    raise KeyError(f"no sample {name!r} (choose from: {choices})")
