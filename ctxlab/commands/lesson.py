"""``ctxlab lesson``: a teaching lesson in the TUI, or headless with ``--print``.

Headless runs print each step's narration and what it observed, check the
step's stated claims, and with ``--verify`` compare every observation with
the recording shipped beside the lesson (``--record`` rewrites it).
"""

from __future__ import annotations

import re
import textwrap

import click

from ctxlab.commands.errors import EXIT_OVER_BUDGET, CtxlabError, friendly_errors
from ctxlab.commands.model import MODEL_HELP

EXIT_MISMATCH = EXIT_OVER_BUDGET  # 1: the lesson no longer shows what it claims
NARRATION_WIDTH = 88
EMPHASIS = re.compile(r"\*{1,2}(?P<text>[^*]+)\*{1,2}")  # **bold**, *italic* -> plain text


@click.command()
@click.argument("name", required=False)
@click.option("--print", "headless", is_flag=True, help="Run headless and print every step.")
@click.option("--verify", is_flag=True, help="With --print: compare with the lesson's recording.")
@click.option("--record", is_flag=True, help="With --print: rewrite the lesson's recording.")
@click.option("--list", "list_only", is_flag=True, help="List the lessons and exit.")
@click.option("-q", "--quiet", is_flag=True, help="With --print: observations only, no narration.")
@click.option("--step", "start", type=click.IntRange(min=1), default=1, show_default=True,
              help="In the TUI: open the lesson at this step.")
@click.option("-m", "--model", "model_source", metavar="NAME",
              help="Run the steps that name no model with this one: " + MODEL_HELP)
@friendly_errors
def command(name: str | None, headless: bool, verify: bool, record: bool, list_only: bool,
            quiet: bool, start: int, model_source: str | None) -> None:
    """Run lesson NAME (a name, a number, or a .toml path) in the TUI, or headless with --print."""
    from ctxlab.core.lessons.loader import list_lessons, load_lesson

    if list_only:
        for known in list_lessons():
            click.echo(f"{known.number}  {known.name:<20} {known.title}")
        return
    if (verify or record) and not headless:
        raise CtxlabError("--verify and --record work with --print")
    if verify and record:
        raise CtxlabError("give --verify or --record, not both")
    if headless and not name:
        names = ", ".join(known.name for known in list_lessons())
        raise CtxlabError(f"--print needs a lesson name (one of: {names})")
    if headless and start != 1:
        raise CtxlabError("--step opens the TUI at a step; --print runs every step: drop one")
    lesson = load_lesson(name) if name else None
    opened = lesson or list_lessons()[0]  # the TUI opens the first lesson when none is named
    if start > len(opened.steps):
        raise CtxlabError(f"--step {start}: lesson {opened.name} has {len(opened.steps)} steps "
                          f"(1 to {len(opened.steps)})")
    model = _lesson_model(model_source, lesson, verify or record)
    if not headless:
        from ctxlab.config import load_settings
        from ctxlab.tui.lesson_panel import run_lesson_app

        run_lesson_app(load_settings(flags={"model": model}), lesson, start - 1, model)
        return
    _fetch_models(lesson, model)
    ok = _print_lesson(lesson, model, verify=verify, record=record, quiet=quiet)
    if not ok:
        raise SystemExit(EXIT_MISMATCH)


def _lesson_model(source: str | None, lesson, checked: bool) -> str | None:
    """The model ``--model`` names for the lesson's unnamed steps (None: the lesson's own)."""
    from ctxlab.core.lessons.runner import runs_default_model
    from ctxlab.core.local_models import model_choice
    from ctxlab.core.model import DEFAULT_MODEL

    if source is None:
        return None
    model = model_choice(source).name  # an unknown name is a ModelError: one line
    if model == DEFAULT_MODEL:
        return None
    if lesson is not None and not runs_default_model(lesson):
        click.echo(f"ctxlab: lesson {lesson.name} names the model of every step; "
                   "--model changes nothing", err=True)
        return None
    if checked:
        raise CtxlabError("--verify and --record hold the lesson to its own models: "
                          "drop --model")
    return model


def _fetch_models(lesson, model: str | None) -> None:
    """Fetch the bundled models the lesson runs, once, showing each one's terms."""
    from ctxlab.commands.assets import pull_one
    from ctxlab.core import assets
    from ctxlab.core.lessons.runner import models_used
    from ctxlab.core.model.loader import bundled

    for name in models_used(lesson, model):
        known = bundled(name)
        if known is not None and not assets.is_present(known.asset):
            click.echo(f"This lesson runs {known.title}; fetching it once.", err=True)
            pull_one(known.asset)


def _print_lesson(lesson, model: str | None, *, verify: bool, record: bool, quiet: bool
                  ) -> bool:
    """Print each step as it completes; False if a claim or the recording does not hold.
    The narration's claims are about the lesson's own models: with another ``model`` a
    claim that fails is news about that model, shown but not a failure."""
    from ctxlab.core.lessons.runner import (
        differences,
        read_recording,
        run_lesson,
        write_recording,
    )

    recorded = read_recording(lesson) if verify else None
    click.echo(f"Lesson {lesson.number}: {lesson.title}")
    if lesson.summary and not quiet:
        click.echo(_wrap(lesson.summary))
    results, problems = [], 0
    for result in run_lesson(lesson, model):
        results.append(result)
        click.echo(f"\n[{result.index + 1}/{len(lesson.steps)}] {result.step.title}")
        if result.step.narration and not quiet:
            click.echo(_wrap(result.step.narration) + "\n")
        click.echo("\n".join(result.lines))
        if model is not None:
            for broken in result.broken:
                click.echo(f"  ~ with {model}, unlike the narration: {broken}", err=True)
            continue
        issues = [f"claim does not hold: {b}" for b in result.broken]
        if recorded is not None:
            issues += [f"differs from the recording: {d}" for d in differences(recorded, result)]
        for issue in issues:
            click.echo(f"  ! {issue}", err=True)
        problems += len(issues)
    if record:
        if problems:
            click.echo(f"\nnot recorded: {problems} claim(s) do not hold", err=True)
            return False
        click.echo(f"\nrecorded {write_recording(lesson, results)}", err=True)
    elif verify and not problems:
        click.echo(f"\nverified: all {len(results)} steps match {lesson.record_path.name}",
                   err=True)
    return problems == 0


def _wrap(markdown: str) -> str:
    """Narration paragraphs re-flowed for a terminal (the TUI renders them as Markdown)."""
    plain = EMPHASIS.sub(r"\g<text>", markdown)
    paragraphs = [" ".join(p.split()) for p in plain.split("\n\n")]
    return "\n\n".join(textwrap.fill(p, NARRATION_WIDTH, initial_indent="  ",
                                     subsequent_indent="  ") for p in paragraphs if p)
