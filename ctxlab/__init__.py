"""ctxlab: a context-window and tokenization playground."""

__version__ = "0.1.0"
