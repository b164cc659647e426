"""Settings layers: defaults < TOML file < CTXLAB_* environment < flags; and the open command."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ctxlab.cli import group
from ctxlab.config import ConfigError, Settings, load_settings


def write(tmp_path: Path, body: str) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return {"CTXLAB_CONFIG": str(path)}


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    settings = load_settings(env={"CTXLAB_CONFIG": str(tmp_path / "missing.toml")})
    assert settings == Settings()
    assert settings.tokenizers == ("o200k_base", "cl100k_base")


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    env = write(tmp_path, 'tokenizers = ["gpt2"]\nbudget = 100\ncolours = "id"\n'
                          '[keymap]\n"ctxlab.tab.compare" = "f2"\n')
    assert load_settings(env=env).tokenizers == ("gpt2",)
    env |= {"CTXLAB_TOKENIZERS": "p50k_base, r50k_base", "CTXLAB_WHITESPACE": "yes"}
    settings = load_settings(env=env)
    assert settings.tokenizers == ("p50k_base", "r50k_base") and settings.whitespace
    assert settings.budget == 100 and settings.keymap == {"ctxlab.tab.compare": "f2"}
    flagged = load_settings(flags={"tokenizers": ("cl100k_base",), "budget": None}, env=env)
    assert flagged.tokenizers == ("cl100k_base",) and flagged.budget == 100


def test_the_model_is_a_setting_too_named_by_its_canonical_name(tmp_path: Path) -> None:
    env = write(tmp_path, 'model = "gemma3"\n')
    assert load_settings(env=env).model == "gemma3-270m"
    assert load_settings(env=env | {"CTXLAB_MODEL": "smollm2-135m"}).model == "smollm2"


def test_keymap_from_the_environment(tmp_path: Path) -> None:
    env = write(tmp_path, "") | {"CTXLAB_KEYMAP": "ctxlab.help=f9,ctxlab.quit=ctrl+x"}
    assert load_settings(env=env).keymap == {"ctxlab.help": "f9", "ctxlab.quit": "ctrl+x"}


@pytest.mark.parametrize("body, message", [
    ("budget = 0\n", "budget"),
    ("colours = 'rainbow'\n", "colours"),
    ("tokenisers = ['gpt2']\n", "unknown setting"),
    ("tokenizers = [\n", "config.toml"),
    ("model = 'gpt-9'\n", r"config.toml: bad value for 'model' \('gpt-9'\): use smollm2 or"),
    ("tokenizers = 5\n", r'\(5\): give a list of names: tokenizers = \["…", "…"\]$'),
    ("tokenizers = ['o200k_base', 'nosuch']\n",
     r"config.toml: bad value for 'tokenizers' .*: unknown tokenizer 'nosuch': use one of"),
])
def test_bad_settings_name_the_key_and_file(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=write(tmp_path, body))


def test_tokenizer_names_are_checked_before_the_tui_opens_without_loading_them(
        tmp_path: Path) -> None:
    named = load_settings(flags={"tokenizers": ("gpt-4o", "hf:org/name", str(tmp_path))},
                          env=write(tmp_path, ""))
    assert named.tokenizers == ("gpt-4o", "hf:org/name", str(tmp_path))  # a model, the hub, a path
    result = CliRunner().invoke(group, ["open", "-t", "o200k_base", "-t", "nosuch"])
    assert result.exit_code == 2
    assert result.output.startswith("ctxlab: error: unknown tokenizer 'nosuch': use one of")
    assert result.output.strip().count("\n") == 0  # one line, and no TUI


def test_open_reports_a_missing_sample_as_one_line() -> None:
    result = CliRunner().invoke(group, ["open", "--sample", "no_such_sample"])
    assert result.exit_code != 0
    assert "no sample 'no_such_sample'" in result.output
    assert result.output.strip().count("\n") == 0  # one line
    assert "Traceback" not in result.output
