"""The Size tab: weights, KV cache and training estimates follow what is typed."""

from __future__ import annotations

from textual.widgets import Input

from ctxlab.tui.widgets.size_panel import SizePanel

SIZE = (110, 32)


async def test_typing_a_size_updates_the_figures(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("6")
        panel = app.query_one(SizePanel)
        params = app.query_one("#size-params", Input)
        assert params.has_focus
        assert panel.rows["weights fp16"][0] == "257.5 MiB"
        assert panel.rows["KV cache, 8,192 tokens"] == (
            "180.0 MiB", "exact, SmolLM2-135M: 30 layers x 3 KV heads x 64 dims x 2 (K and V) "
            "x 2 bytes (fp16)")

        params.value = ""
        await pilot.press("7", "B")
        panel.configure(context="4K", shape="unknown")
        await pilot.pause()
        assert panel.rows["weights fp16"][0] == "13.0 GiB"
        assert panel.rows["weights int4"][0] == "3.3 GiB"
        value, how = panel.rows["KV cache, 4,096 tokens"]
        assert how.startswith("estimate") and value.endswith("GiB")
        assert panel.rows["training tokens"] == ("~140B", "estimate: Chinchilla, 20 per parameter")
        assert panel.rows["training compute"][0] == "~5.9e+21 FLOPs"


async def test_a_bad_number_says_why(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        app.query_one(SizePanel).configure(params="lots")
        await pilot.pause()
        assert app.query_one(SizePanel).rows == {}
        assert "not a number" in str(app.query_one("#size-report").render())


def test_snapshot_size_tab(snap_compare, make_app) -> None:
    async def run_before(pilot) -> None:
        await pilot.app.settled()
        await pilot.press("6")
        await pilot.app.settled()
        pilot.app.query_one("#size-params", Input).cursor_blink = False

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


async def test_7b_at_128k_is_the_cli_estimate_not_smollm2s_exact_cache(make_app) -> None:
    """It said "KV cache 3.0 GB — exact" (SmolLM2's shape); `ctxlab size` says 68.1 GiB."""
    from ctxlab.core.sizing import parse_count, report_lines, size_report

    cli = "\n".join(report_lines(size_report(parse_count("7B"), parse_count("128K", binary=True))))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await app.settled()
        await pilot.press("6")
        panel = app.query_one(SizePanel)
        panel.configure(params="7B", context="128K")  # the shape select stays on SmolLM2
        await pilot.pause()
        value, how = panel.rows["KV cache, 131,072 tokens"]
        assert how.startswith("estimate") and "SmolLM2-135M's shape is for 135M" in how
        assert f"KV cache   {value} for the full window" in cli  # what `ctxlab size` prints
