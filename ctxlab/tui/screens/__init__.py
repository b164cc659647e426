"""Modal screens of the ctxlab TUI: open, save, pick tokenizers, help."""
