"""Check a user's keymap against the bindings it remaps, before Textual quietly applies it.

Textual ignores an unknown binding id and lets a remapped key shadow another
binding without a word; the user then wonders why a key does nothing. Each
problem here is one line for a notification at start-up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding


def keymap_problems(keymap: Mapping[str, str], bindings: Iterable[Binding]) -> list[str]:
    """Unknown ids, and keys a remap gives to two actions (one of them then never runs)."""
    named = [(b.id, b) for b in bindings if b.id]
    known = dict(named)
    problems = [f"keymap: no binding has the id {name!r} (? lists every id)"
                for name in keymap if name not in known]
    owners: dict[str, list[str]] = {}
    for binding_id, binding in named:
        for key in keymap.get(binding_id, binding.key).split(","):
            owners.setdefault(key.strip(), []).append(binding_id)
    for key, ids in owners.items():
        remapped = [i for i in ids if i in keymap]
        distinct = list(dict.fromkeys(ids))
        if remapped and len(distinct) > 1:
            problems.append(f"keymap: {key!r} is bound to {' and '.join(distinct)}; "
                            "only one of them can run")
    return problems
