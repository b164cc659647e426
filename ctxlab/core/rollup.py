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
    root = TreeNode(".")
    for fc in counts:
        n = fc.tokens.get(tokenizer)
        if n is None:
            continue
        node = root
        node.tokens += n
        node.files += 1
        for part in PurePath(fc.path).parts:
            node = node.children.setdefault(part, TreeNode(part))
            node.tokens += n
            node.files += 1
    return root


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
