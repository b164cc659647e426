"""The small local language model: weights loaders, a numpy transformer runtime, masks.

Nothing heavy is imported here; use ``ctxlab.core.model.loader.load_model``.
"""

# The default local model, by the name users type (``--model smollm2``); its tokenizer has the
# same name in the tokenizer registry, so the TUI can show text in the model's own tokens.
DEFAULT_MODEL = "smollm2"
