"""The document as the editor holds it, without letting the editor rewrite it.

Textual's editor keeps lines and joins them with one newline style, so a form
feed, a vertical tab, U+2028, U+0085 or a mixed CRLF file would come back
altered even if the user typed nothing. `EditorText` keeps each line's own
separator and applies what the user changed line by line: lines the user did
not touch keep their separators byte for byte, and untouched text stays exact.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# What str.splitlines splits on, which is what Textual's editor splits on.
SEPARATOR = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


class EditorText:
    """``text`` as (line, separator) pairs that line up with the editor's lines."""

    def __init__(self, text: str, editor_lines: Sequence[str], newline: str) -> None:
        contents = SEPARATOR.split(text)
        self.pairs = list(zip(contents, [*SEPARATOR.findall(text), ""], strict=True))
        if len(self.pairs) == len(editor_lines) + 1 and self.pairs[-1] == ("", ""):
            self.pairs.pop()  # the editor adds no empty last line after a form feed
        self.newline = newline  # what the editor puts between lines the user makes
        self.text = text

    def lines_match(self, editor_lines: Sequence[str]) -> bool:
        return len(self.pairs) == len(editor_lines) and all(
            line == mine for (mine, _), line in zip(self.pairs, editor_lines, strict=True))

    def apply(self, editor_lines: Sequence[str]) -> str:
        """The text after the user's edit: changed lines from the editor, the rest as was."""
        old = self.pairs
        first = 0
        limit = min(len(old), len(editor_lines))
        while first < limit and old[first][0] == editor_lines[first]:
            first += 1
        last = 0  # unchanged lines at the end
        while (last < limit - first
               and old[len(old) - 1 - last][0] == editor_lines[len(editor_lines) - 1 - last]):
            last += 1
        typed = list(editor_lines[first:len(editor_lines) - last])
        replaced = old[first:len(old) - last]
        region = [(line, self.newline) for line in typed]
        if region and replaced:  # the edited block keeps the separator that ended it
            region[-1] = (region[-1][0], replaced[-1][1])
        pairs = [*old[:first], *region, *old[len(old) - last:]]
        for index in range(max(first - 1, 0), min(first + len(region), len(pairs) - 1)):
            if pairs[index][1] == "":  # a line that was last has lines after it now
                pairs[index] = (pairs[index][0], self.newline)
        self.pairs = pairs
        self.text = "".join(line + separator for line, separator in pairs)
        return self.text
