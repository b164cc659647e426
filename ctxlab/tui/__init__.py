"""The Textual TUI over ctxlab's core (imported only by `ctxlab open`)."""
