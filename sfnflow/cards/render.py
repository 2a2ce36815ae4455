"""Saved cards (runtime/cards.py's JSON) as HTML: a fragment for the run report, or a page
of its own (`sfnflow card get`). No script and nothing loaded from elsewhere: images are
data URIs, charts inline SVG, Markdown escaped before it is formatted; an `html` card's
own markup goes into a sandboxed iframe, where its scripts cannot run."""
from __future__ import annotations

import json
from html import escape
from typing import Any, Mapping

from .markdown import markdown_to_html
from .vega import vega_svg

__all__ = ["CARD_CSS", "card_page", "render_card", "render_component"]

CARD_CSS = """
.card{border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;margin:8px 0;background:#fff}
.card .card-title{font-size:12px;color:#757575;margin-bottom:6px}.card img{max-width:100%}
.card figure{margin:8px 0}.card figcaption{font-size:12px;color:#616161}
.card .progress{background:#eceff1;border-radius:4px;height:14px;width:320px;overflow:hidden;display:inline-block}
.card .progress>span{display:block;background:#43a047;height:100%}.card iframe{width:100%;min-height:360px;border:0}
.card blockquote{border-left:3px solid #cfd8dc;margin:6px 0;padding-left:10px;color:#546e7a}
"""


def render_component(component: Mapping[str, Any]) -> str:
    kind = component.get("type")
    if kind == "markdown":
        return f"<div class='md'>{markdown_to_html(component.get('text', ''))}</div>"
    if kind == "text":
        return f"<p>{escape(str(component.get('text', '')))}</p>"
    if kind == "artifact":
        name = f"<code>{escape(component['name'])}</code> " if component.get("name") else ""
        return f"<div>{name}{component.get('html', '')}</div>"  # made by report.previews, escaped there
    if kind == "table":
        return _table(component)
    if kind == "image":
        mime = str(component.get("mime", "image/png"))
        if not mime.startswith("image/"):
            return "<p class='kind'>an image whose format sfnflow does not recognise</p>"
        label = component.get("label")
        caption = f"<figcaption>{escape(str(label))}</figcaption>" if label else ""
        alt = escape(str(label or "image"), quote=True)
        return (f"<figure><img alt=\"{alt}\" src=\"data:{escape(mime, quote=True)};base64,"
                f"{escape(str(component.get('data', '')), quote=True)}\">{caption}</figure>")
    if kind == "vega":
        return _vega(component.get("spec") or {})
    if kind == "progress":
        top = float(component.get("max") or 100) or 100.0
        value = float(component.get("value") or 0)
        share = max(0.0, min(1.0, value / top))
        unit = f" {escape(str(component['unit']))}" if component.get("unit") else ""
        label = f"{escape(str(component['label']))}: " if component.get("label") else ""
        note = f" <span class='kind'>{escape(str(component['metadata']))}</span>" if component.get("metadata") else ""
        return (f"<p>{label}<span class='progress'><span style='width:{share * 100:.1f}%'></span></span> "
                f"{value:g}/{top:g}{unit}{note}</p>")
    return f"<p class='kind'>a card component of type {escape(str(kind))}, which sfnflow does not draw</p>"


def render_card(card: Mapping[str, Any], artifacts_html: Mapping[str, str] | None = None) -> str:
    """One card: its components in order; a 'default' card adds the task's artifacts
    (previews, when given), an 'html' card shows its markup."""
    title = f"@card(type={card.get('type', 'default')!r}" + (f", id={card['id']!r})" if card.get("id") else ")")
    body = [render_component(c) for c in card.get("components", [])]
    if card.get("type") == "html":
        html = card.get("html")
        body.append("<p class='kind'>this step set no <code>html</code> artifact</p>" if html is None else
                    f"<iframe sandbox srcdoc=\"{escape(str(html), quote=True)}\" title='html card'></iframe>")
    if card.get("type") == "default" and artifacts_html:
        rows = "".join(f"<tr><td><code>{escape(k)}</code></td><td>{v}</td></tr>" for k, v in artifacts_html.items())
        body.append(f"<table><thead><tr><th>artifact</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>")
    if not body:
        body.append("<p class='kind'>the step added nothing to this card</p>")
    return f"<div class='card'><div class='card-title'>{escape(title)}</div>{''.join(body)}</div>"


def card_page(title: str, cards_html: list[str], extra_css: str = "") -> str:
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#212121;background:#f5f5f5}"
        "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px 3px 0;text-align:left;"
        "vertical-align:top}.kind{color:#757575;font-size:12px}.frame td,.frame th{padding:1px 8px;"
        "border-bottom:1px solid #eee}pre{background:#fafafa;border:1px solid #eee;padding:8px;overflow:auto}"
        f"{CARD_CSS}{extra_css}</style>", "</head>", "<body>", f"<h1>{escape(title)}</h1>", *cards_html,
        "</body>", "</html>"])


def _table(component: Mapping[str, Any]) -> str:
    headers = "".join(f"<th>{escape(str(h))}</th>" for h in component.get("headers", []))
    rows = "".join("<tr>" + "".join(f"<td>{render_component(c)}</td>" for c in row) + "</tr>"
                   for row in component.get("rows", []))
    shown, total = len(component.get("rows", [])), int(component.get("total_rows", 0) or 0)
    more = f"<p class='kind'>the first {shown:,} of {total:,} rows</p>" if total > shown else ""
    head = f"<thead><tr>{headers}</tr></thead>" if headers else ""
    return f"<div class='scroll'><table class='frame'>{head}<tbody>{rows}</tbody></table></div>{more}"


def _vega(spec: Mapping[str, Any]) -> str:
    svg = vega_svg(dict(spec))
    if svg is not None:
        return f"<div class='scroll'>{svg}</div>"
    values = (spec.get("data") or {}).get("values") if isinstance(spec.get("data"), dict) else None
    data = ""
    if isinstance(values, list) and values and all(isinstance(v, dict) for v in values[:200]):
        columns = list(dict.fromkeys(k for v in values[:200] for k in v))
        data = _table({"headers": columns, "total_rows": len(values),
                       "rows": [[{"type": "text", "text": str(v.get(c, ""))} for c in columns] for v in values[:200]]})
    spec_text = escape(json.dumps(spec, indent=1, default=str)[:20000])
    return ("<p class='kind'>a Vega-Lite chart sfnflow does not draw itself (it draws one view of inline data "
            f"with bar, line, point or area marks); its data and spec:</p>{data}"
            f"<details><summary>spec</summary><pre>{spec_text}</pre></details>")
