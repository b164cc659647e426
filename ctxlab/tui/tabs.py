"""Every tab of the main screen, one record each; bindings, panes, focus, palette and help read it.

Adding a tab is one record in ``TABS`` (plus its tests): its id and title,
the key that shows it (binding id ``ctxlab.tab.<id>``, remappable in the
keymap), the widget the pane holds, the widget whose keys the help lists, and
the one that takes the focus when the tab is shown. (A tab whose panel shows
session data also needs a line in ``MainScreen._tab_shown`` to catch up when
shown: hidden tabs are not kept up to date.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input

from ctxlab.config import Settings
from ctxlab.tui.widgets.compare import ComparePanel
from ctxlab.tui.widgets.heatmap import RecallHeatmap
from ctxlab.tui.widgets.recall_panel import RecallPanel
from ctxlab.tui.widgets.size_panel import SizePanel
from ctxlab.tui.widgets.token_view import TokenView
from ctxlab.tui.widgets.tokens_panel import TokensPanel
from ctxlab.tui.widgets.truncate_panel import TruncatePanel
from ctxlab.tui.widgets.windows_panel import WindowsPanel


@dataclass(frozen=True)
class Tab:
    id: str
    title: str
    key: str
    make: Callable[[Settings], Widget]  # the pane's widget
    widget: type[Widget]  # the widget whose BINDINGS the help lists for this tab
    focus: type[Widget]  # what takes the focus when the tab is shown, so its keys work at once

    def binding(self) -> Binding:
        return Binding(self.key, f"show_tab('{self.id}')", self.title, id=f"ctxlab.tab.{self.id}")


TABS: tuple[Tab, ...] = (
    Tab("tokens", "Tokens", "1", lambda s: TokensPanel(id="tokens-panel"), TokenView,
        TokenView),
    Tab("compare", "Compare", "2", lambda s: ComparePanel(id="compare-panel"),
        ComparePanel, TokenView),
    Tab("windows", "Windows", "3", lambda s: WindowsPanel(id="windows-panel"),
        WindowsPanel, WindowsPanel),
    Tab("truncate", "Truncate", "4",
        lambda s: TruncatePanel(s.budget, s.strategy, id="truncate-panel"), TruncatePanel,
        TokenView),
    Tab("recall", "Recall", "5", lambda s: RecallPanel(s.model, id="recall-panel"),
        RecallPanel, RecallHeatmap),
    Tab("size", "Size", "6", lambda s: SizePanel(id="size-panel"), SizePanel, Input),
)
TAB_BY_ID = {tab.id: tab for tab in TABS}


def tab_bindings() -> list[Binding]:
    return [tab.binding() for tab in TABS]


def tab_widget_bindings() -> list[Binding]:
    """The keys each tab's own widget adds (with an id, so the keymap can change them)."""
    seen: dict[str, Binding] = {}
    for tab in TABS:
        for binding in tab.widget.BINDINGS:
            if isinstance(binding, Binding) and binding.id and binding.id not in seen:
                seen[binding.id] = binding
    return list(seen.values())
