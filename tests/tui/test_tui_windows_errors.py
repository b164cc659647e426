"""A window whose tokenizer cannot load says why, instead of counting forever."""

from __future__ import annotations

from textual.app import App

from ctxlab.core.windows import teaching_windows
from ctxlab.tui.widgets.windows_panel import WindowsPanel


class PanelApp(App):
    def compose(self):
        yield WindowsPanel()


async def test_gauge_shows_why_a_tokenizer_cannot_count() -> None:
    app = PanelApp()
    async with app.run_test():
        panel = app.query_one(WindowsPanel)
        windows = teaching_windows()[:2]
        await panel.set_windows(windows)
        name = windows[0].tokenizer
        panel.show_counts({}, {name: "claude-legacy is not downloaded: run `ctxlab assets pull`"})
        texts = [str(g.render()) for g in panel.gauges()]
        assert all("cannot count: claude-legacy is not downloaded" in t for t in texts)
        panel.show_counts({name: 1024}, {})
        assert "50.0%" in str(panel.gauges()[0].render())


async def test_the_panel_spins_until_its_windows_arrive() -> None:
    app = PanelApp()
    async with app.run_test():
        panel = app.query_one(WindowsPanel)
        assert panel.loading and not panel.gauges()  # the catalogue is still loading
        await panel.set_windows(teaching_windows()[:2])
        assert not panel.loading and len(panel.gauges()) == 2
