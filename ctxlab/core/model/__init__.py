"""The small local language model: weights loaders, a numpy transformer runtime, masks.

Nothing heavy is imported here; use ``ctxlab.core.model.loader.load_model``.
"""
