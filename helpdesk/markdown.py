"""Markdown → safe HTML: CommonMark (plus tables and strikethrough) rendered, then sanitised with an allow-list."""

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt

# Raw HTML in Markdown is escaped by the renderer (html=False) and anything that slips through is cleaned by nh3.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html):
    """Clean HTML to the allow-list: no scripts, no event handlers, only http/https/mailto links."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text):
    """Render Markdown to sanitised HTML; return (html, toc) where toc lists the h2/h3 headings as dicts."""
    tokens = _md.parse(text or "")
    toc, seen = [], set()
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in ("h2", "h3"):
            continue
        title = tokens[index + 1].content.strip()
        anchor = slugify(title, allow_unicode=True)[:60] or "section"
        anchor = base = f"h-{anchor}"
        n = 2
        while anchor in seen:
            anchor, n = f"{base}-{n}", n + 1
        seen.add(anchor)
        token.attrSet("id", anchor)
        toc.append({"level": int(token.tag[1]), "title": _plain(tokens[index + 1]), "anchor": anchor})
    html = _md.renderer.render(tokens, _md.options, {})
    return sanitize_html(html), toc


def _plain(inline_token):
    """The visible text of an inline token (markup such as **bold** or links dropped)."""
    parts = [child.content for child in inline_token.children or () if child.type in ("text", "code_inline")]
    return "".join(parts).strip() or inline_token.content.strip()
