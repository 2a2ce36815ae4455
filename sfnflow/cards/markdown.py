"""Markdown to HTML for card text: the common subset (headings, paragraphs, emphasis, code,
links, lists, quotes, rules, pipe tables). Everything is escaped first, so a card can
never inject markup or script into the report; links keep only http(s), mailto and
relative targets."""
from __future__ import annotations

import re
from html import escape

__all__ = ["markdown_to_html"]

_INLINE = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"__(.+?)__"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"~~(.+?)~~"), r"<del>\1</del>"),
]
_LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
_BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")
_SAFE_URL = re.compile(r"^(https?://|mailto:|#|/|\./|\.\./|[\w.-]+(/|$))", re.I)


def _inline(text: str) -> str:
    pieces = re.split(r"(`[^`]+`)", text)
    out = []
    for piece in pieces:
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            out.append(f"<code>{escape(piece[1:-1])}</code>")
            continue
        html = escape(piece, quote=False)
        html = _LINK.sub(_link, html)
        for pattern, repl in _INLINE:
            html = pattern.sub(repl, html)
        out.append(html)
    return "".join(out)


def _link(match: re.Match[str]) -> str:
    label, url = match.group(1), match.group(2).replace('"', "%22")
    if not _SAFE_URL.match(url) or url.lower().startswith(("javascript:", "data:")):
        return label
    return f'<a href="{url}">{label}</a>'


def _table(lines: list[str]) -> str:
    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    head = "".join(f"<th>{_inline(c)}</th>" for c in cells(lines[0]))
    body = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in cells(row)) + "</tr>" for row in lines[2:])
    return f"<table class='frame'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def markdown_to_html(text: str) -> str:
    lines = str(text).replace("\r\n", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            out.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*$", stripped)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif re.match(r"^(-{3,}|\*{3,}|_{3,})$", stripped):
            out.append("<hr>")
        elif stripped.startswith("|") and i + 1 < len(lines) and re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip()):
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i])
                i += 1
            out.append(_table(block))
            continue
        elif re.match(r"^([-*+]|\d+[.)])\s+", stripped):
            ordered = bool(re.match(r"^\d", stripped))
            items = []
            while i < len(lines) and re.match(r"^\s*([-*+]|\d+[.)])\s+", lines[i]):
                items.append("<li>" + _inline(_BULLET.sub("", lines[i])) + "</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>{''.join(items)}</{tag}>")
            continue
        elif stripped.startswith(">"):
            quote = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                quote.append(lines[i].strip()[1:].strip())
                i += 1
            out.append(f"<blockquote>{markdown_to_html(chr(10).join(quote))}</blockquote>")
            continue
        elif stripped:
            para = [stripped]
            i += 1
            while i < len(lines) and lines[i].strip() and not re.match(r"^(#|```|>|[-*+]\s|\d+[.)]\s|\|)",
                                                                       lines[i].strip()):
                para.append(lines[i].strip())
                i += 1
            out.append(f"<p>{_inline(' '.join(para))}</p>")
            continue
        i += 1
    return "\n".join(out)
