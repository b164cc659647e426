"""Export the token view as a standalone HTML page (the SVG comes from Textual's screenshot)."""

from __future__ import annotations

import html

from ctxlab.core.spans import TokenSpans
from ctxlab.tui.token_styles import FOREGROUND, SPECIAL, SPLIT, background_of

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ background: #1e1e1e; color: {fg}; font-family: ui-monospace, monospace; }}
pre {{ white-space: pre-wrap; word-break: break-all; line-height: 1.5; }}
pre span {{ border-radius: 2px; }}
.split {{ background: {split}; text-decoration: underline; }}
.special {{ background: {special}; color: #111; font-weight: bold; }}
</style></head><body>
<h1>{title}</h1><p>{summary}</p>
<pre>{body}</pre>
</body></html>
"""


def token_html(spans: TokenSpans, tokenizer: str, colour_mode: str, title: str) -> str:
    """Every token as a ``<span>`` whose tooltip gives its index and id."""
    text = spans.text
    parts: list[str] = []
    pos = 0
    starts, ends = spans.char_start.tolist(), spans.char_end.tolist()
    ids, split, special = spans.ids.tolist(), spans.split.tolist(), spans.special.tolist()
    for i in range(len(spans)):
        start, end = max(starts[i], pos), ends[i]
        if start > pos:
            parts.append(html.escape(text[pos:start]))
        if end <= start:
            continue
        if special[i]:
            attrs = 'class="special"'
        elif split[i]:
            attrs = 'class="split"'
        else:
            attrs = f'style="background:{background_of(i, ids[i], colour_mode)}"'
        shown = html.escape(text[start:end])
        parts.append(f'<span {attrs} title="#{i} id {ids[i]}">{shown}</span>')
        pos = end
    parts.append(html.escape(text[pos:]))
    summary = f"{len(spans):,} tokens with {html.escape(tokenizer)} · {len(text):,} characters"
    return PAGE.format(title=html.escape(title), fg=FOREGROUND, split=SPLIT, special=SPECIAL,
                       summary=summary, body="".join(parts))
