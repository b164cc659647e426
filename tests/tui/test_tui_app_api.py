"""The driving API lessons and tests rely on: show_tab during mount, settled after a restart."""

from __future__ import annotations

from ctxlab.tui.app import CtxlabApp

SIZE = (110, 32)


class OpensOnTruncate(CtxlabApp):
    async def on_mount(self) -> None:
        await super().on_mount()
        self.show_tab("truncate")


async def test_a_tab_shown_during_mount_stays_shown(make_app) -> None:
    app = OpensOnTruncate(make_app().settings, text="hello world")
    async with app.run_test(size=SIZE):
        await app.settled()
        assert app.query_one("#tabs").active == "truncate"


async def test_settled_tolerates_a_replaced_exclusive_worker(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE):
        await app.settled()
        app.set_document("first " * 2000)
        app.set_document("second " * 2000)  # cancels the first analysis
        await app.settled()
        assert app.session.document.text.startswith("second")
        assert app.query_one("#token-view").spans.text == app.session.document.text
