"""User settings: defaults < TOML file < ``CTXLAB_*`` environment < command-line flags.

The file is ``$CTXLAB_CONFIG`` or ``~/.config/ctxlab/config.toml``, e.g.::

    tokenizers = ["o200k_base", "cl100k_base", "mistral-v1"]
    windows = ["gpt-4o", "claude-sonnet-4"]   # empty: ctxlab's default set
    colours = "id"                           # or "alternate"
    whitespace = true
    budget = 4096
    strategy = "cut-middle"                  # see `ctxlab truncate --help`
    model = "gemma3-270m"                    # the TUI's local model (`ctxlab model list`)

    [keymap]                                 # binding id -> key(s)
    "ctxlab.tab.compare" = "f2"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ctxlab.core.errors import UserError

ENV_PREFIX = "CTXLAB_"
COLOUR_MODES = ("alternate", "id")  # token colourings: by position, or keyed by token id


class ConfigError(UserError, ValueError):
    """The config file or an override is malformed; the message names the key and source."""


@dataclass(frozen=True)
class Settings:
    tokenizers: tuple[str, ...] = ("o200k_base", "cl100k_base")  # the first is the token view's
    windows: tuple[str, ...] = ()  # model windows to gauge; empty means the default set
    keymap: Mapping[str, str] = field(default_factory=dict)  # binding id -> keys
    colours: str = COLOUR_MODES[0]  # token colours: one of COLOUR_MODES
    whitespace: bool = False  # draw spaces, tabs and newlines as glyphs
    budget: int = 2048  # truncation budget in tokens
    strategy: str = "cut-middle"  # truncation strategy (a name from ctxlab.core.strategies)
    model: str = "smollm2"  # the local model of recall and surprisal: bundled name or path


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("CTXLAB_CONFIG"):
        return Path(env["CTXLAB_CONFIG"]).expanduser()
    return Path("~/.config/ctxlab/config.toml").expanduser()


def load_settings(flags: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None) -> Settings:
    """Settings from every layer; ``flags`` with value None or empty are ignored."""
    env = os.environ if env is None else env
    settings = Settings()
    path = config_path(env)
    if path.is_file():
        try:
            layer = tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        settings = _apply(settings, layer, str(path))
    env_layer = {f.name: env[ENV_PREFIX + f.name.upper()] for f in fields(Settings)
                 if env.get(ENV_PREFIX + f.name.upper())}
    settings = _apply(settings, env_layer, "environment")
    given = {k: v for k, v in (flags or {}).items() if v not in (None, (), [], "")}
    return _apply(settings, given, "flags")


def _apply(settings: Settings, layer: Mapping[str, Any], source: str) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(layer) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown setting(s) {', '.join(unknown)}; "
                          f"known: {', '.join(sorted(known))}")
    return replace(settings, **{key: _coerce(key, value, source) for key, value in layer.items()})


def _coerce(key: str, value: Any, source: str) -> Any:
    """Accept TOML values and their environment spellings (``a,b`` lists, ``id=key`` maps)."""
    try:
        if key in ("tokenizers", "windows"):
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)):  # a TOML number or table
                raise ValueError(f"give a list of names: {key} = [\"…\", \"…\"]")
            names = tuple(str(item).strip() for item in items if str(item).strip())
            if key == "tokenizers" and not names:
                raise ValueError("needs at least one tokenizer")
            if key == "tokenizers":
                _check_tokenizers(names, source)
            return names
        if key == "keymap":
            if isinstance(value, str):
                value = _keymap_pairs(value)
            return {str(k).strip(): str(v).strip() for k, v in dict(value).items()}
        if key == "whitespace":
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if key == "budget":
            budget = int(value)
            if budget < 1:
                raise ValueError("must be at least 1")
            return budget
        if key == "strategy":
            from ctxlab.core.strategies import canonical

            return canonical(str(value))
        if key == "model":
            from ctxlab.core.local_models import model_choice
            from ctxlab.core.model.weights import ModelError

            try:
                return model_choice(str(value)).name
            except ModelError as exc:  # a flag's message stands alone; a file's names the file
                if source == "flags":
                    raise
                raise ValueError(str(exc).split(": ", 1)[-1]) from None
        if key == "colours" and value not in COLOUR_MODES:
            raise ValueError(f"must be one of {', '.join(map(repr, COLOUR_MODES))}")
        return str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: bad value for {key!r} ({value!r}): {exc}") from None


def _check_tokenizers(names: tuple[str, ...], source: str) -> None:
    from ctxlab.core.tokenizers.base import TokenizerError
    from ctxlab.core.tokenizers.registry import check_name

    for name in names:
        try:
            check_name(name)
        except TokenizerError as exc:  # a flag's message stands alone; a file's names the file
            if source == "flags":
                raise
            raise ValueError(str(exc)) from None


def _keymap_pairs(value: str) -> dict[str, str]:
    """``id=key,id=key`` (CTXLAB_KEYMAP; ``id=f1,f2`` gives one id two keys)."""
    pairs: dict[str, str] = {}
    for part in filter(str.strip, value.split(",")):
        name, equals, keys = part.partition("=")
        if not equals and pairs:
            last = list(pairs)[-1]
            pairs[last] += f",{part.strip()}"
        elif not equals or not name.strip() or not keys.strip():
            raise ValueError(f"{part.strip()!r} is not id=key (e.g. ctxlab.tab.compare=f2)")
        else:
            pairs[name] = keys
    return pairs
