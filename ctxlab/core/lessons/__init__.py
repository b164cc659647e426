"""Teaching lessons: TOML steps that set a document, tokenizers, a window and a probe.

``loader`` reads lesson files, ``runner`` plays them headless and checks them
against their claims and recordings; the observers live in ``text_steps`` and
``model_steps`` (the latter is imported only when a step runs the model).
"""
