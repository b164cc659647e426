"""Widgets of the ctxlab TUI."""
