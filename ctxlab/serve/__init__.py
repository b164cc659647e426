"""``ctxlab serve``: the TUI in a browser, one app process per tab (textual-serve)."""
