"""The small part of Markdown the repository's own documents use, as HTML (no dependency).

Headings (``#``), paragraphs, ``-`` and ``1.`` lists (one level; indented lines continue an
item), pipe tables, fenced code blocks, and inline ``code`` and ``**bold**``. Everything else is
text. All text is escaped, so the output is safe whatever the input; code blocks keep their text
exactly, so code shown on a page can be copied and run.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

HEADING = re.compile(r"(#{1,6}) +(.+?) *#*$")
FENCE = re.compile(r"```(\w*)\s*$")
BULLET = re.compile(r"- +(.*)$")
NUMBERED = re.compile(r"\d+\. +(.*)$")
TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
CODE_BLOCK_ATTRS = 'class="panel scroll-x"'


def inline(text: str) -> str:
    """Escaped text with `code` spans and **bold**; nothing inside a code span is interpreted."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            out.append(f'<code class="mono">{escape(part[1:-1])}</code>')
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escape(part)))
    return "".join(out)


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row.removeprefix("|").removesuffix("|")
    return [cell.strip() for cell in row.split("|")]


def markdown_html(text: str, *, shift: int = 0) -> SafeString:
    """Render ``text``; ``shift`` moves every heading down that many levels (``#`` becomes ``h1+shift``)."""
    lines = text.replace("\r\n", "\n").split("\n")
    html: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if fence := FENCE.match(line):
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1  # the closing fence
            language = f' data-language="{escape(fence.group(1))}"' if fence.group(1) else ""
            code = escape("\n".join(body) + "\n")
            html.append(f'<pre {CODE_BLOCK_ATTRS}><code class="mono"{language}>{code}</code></pre>')
            continue
        if heading := HEADING.match(line):
            level = min(len(heading.group(1)) + shift, 6)
            title = heading.group(2)
            html.append(f'<h{level} id="{slugify(title) or "section"}">{inline(title)}</h{level}>')
            i += 1
            continue
        if line.startswith("|") and i + 1 < len(lines) and TABLE_RULE.match(lines[i + 1]):
            head = "".join(f'<th scope="col">{inline(cell)}</th>' for cell in _cells(line))
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append("<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in _cells(lines[i])) + "</tr>")
                i += 1
            html.append(f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')
            continue
        if BULLET.match(line) or NUMBERED.match(line):
            pattern, tag = (BULLET, "ul") if BULLET.match(line) else (NUMBERED, "ol")
            items: list[list[str]] = []
            while i < len(lines) and lines[i].strip():
                if item := pattern.match(lines[i]):
                    items.append([item.group(1)])
                elif lines[i].startswith(" ") and items:
                    items[-1].append(lines[i].strip())
                else:
                    break
                i += 1
            html.append(f"<{tag}>" + "".join(f"<li>{inline(' '.join(item))}</li>" for item in items) + f"</{tag}>")
            continue
        paragraph: list[str] = []
        while (
            i < len(lines)
            and lines[i].strip()
            and not FENCE.match(lines[i])
            and not HEADING.match(lines[i])
            and not (paragraph and (BULLET.match(lines[i]) or lines[i].startswith("|")))
        ):
            paragraph.append(lines[i].strip())
            i += 1
        html.append(f"<p>{inline(' '.join(paragraph))}</p>")
    return mark_safe("\n".join(html))  # every piece of text above went through escape()
