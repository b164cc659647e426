"""Roll per-file token counts up a directory tree (``ctxlab count --tree``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from ctxlab.core.counting import FileCount


@dataclass
class TreeNode:
    name: str
    tokens: int = 0
    files: int = 0
    children: dict[str, TreeNode] = field(default_factory=dict)


@dataclass(frozen=True)
class TreeRow:
    depth: int
    name: str
    tokens: int
    files: int
    share: float  # of the whole total, 0..1


def build_tree(counts: Sequence[FileCount], tokenizer: str) -> TreeNode:
    """A directory tree whose every node holds the sum of the files below it."""
    counted = [(fc, PurePath(fc.path).parts) for fc in counts if tokenizer in fc.tokens]
    shared = _shared_absolute_prefix([parts for _, parts in counted])
    root = TreeNode(str(PurePath(*shared)) if shared else ".")
    for fc, parts in counted:
        n = fc.tokens[tokenizer]
        node = root
        node.tokens += n
        node.files += 1
        for part in parts[len(shared):]:
            node = node.children.setdefault(part, TreeNode(part))
            node.tokens += n
            node.files += 1
    return root


def _shared_absolute_prefix(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    """For absolute paths, the directories they all share (``/``, ``tmp``, ...): the tree
    starts there rather than spending its depth on them."""
    if not paths or not all(p and PurePath(p[0]).is_absolute() for p in paths):
        return ()
    shared: tuple[str, ...] = ()
    for level in zip(*(p[:-1] for p in paths), strict=False):
        if len(set(level)) != 1:
            break
        shared += (level[0],)
    return shared


def tree_rows(root: TreeNode, *, max_depth: int = 3, top: int = 10,
              min_share: float = 0.0) -> list[TreeRow]:
    """Rows to print, biggest first: ``top`` children per node, down to ``max_depth``.

    Children under ``min_share`` of the total, or past ``top``, fold into one
    "(N more)" row so the numbers still add up.
    """
    total = root.tokens or 1
    rows = [TreeRow(0, root.name, root.tokens, root.files, 1.0 if root.tokens else 0.0)]

    def visit(node: TreeNode, depth: int) -> None:
        if depth > max_depth:
            return
        ranked = sorted(node.children.values(), key=lambda c: (-c.tokens, c.name))
        shown = [c for c in ranked[:top] if c.tokens / total >= min_share]
        for child in shown:
            rows.append(TreeRow(depth, child.name, child.tokens, child.files, child.tokens / total))
            visit(child, depth + 1)
        rest = [c for c in ranked if c not in shown]
        if rest:
            tokens = sum(c.tokens for c in rest)
            rows.append(TreeRow(depth, f"({len(rest)} more)", tokens, sum(c.files for c in rest),
                                tokens / total))

    visit(root, 1)
    return rows
