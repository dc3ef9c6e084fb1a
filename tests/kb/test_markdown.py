from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from helpdesk.markdown import render_markdown, sanitize_html

XSS_VECTORS = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](&#x6A;avascript&#x3A;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "<scr<script>ipt>alert(1)</script>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '[x](https://ok.example "title" onmouseover=alert(1))',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]


class _Elements(HTMLParser):
    """Collect the elements and attributes a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


DANGEROUS_TAGS = {"script", "iframe", "svg", "math", "style", "object", "embed", "form", "details", "base", "link"}


def _inert(html):
    """True when no element could run script: no dangerous tags, no handlers or styles, only safe URL schemes."""
    for tag, attrs in _Elements(html).found:
        if tag in DANGEROUS_TAGS:
            return False
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                return False
            if name in ("href", "src"):
                scheme = urlsplit((value or "").strip()).scheme.lower()
                if scheme not in ("", "http", "https", "mailto"):
                    return False
    return True


@pytest.mark.parametrize("source", XSS_VECTORS)
def test_markdown_xss_vectors_come_out_inert(source):
    html, _toc = render_markdown(source)
    assert _inert(html), html


@pytest.mark.parametrize("source", XSS_VECTORS)
def test_sanitizer_alone_neutralises_raw_html_vectors(source):
    assert _inert(sanitize_html(source)), sanitize_html(source)


def test_inert_check_catches_live_markup():
    assert not _inert('<a href="javascript:alert(1)">x</a>')
    assert not _inert('<img src="x" onerror="alert(1)">')
    assert _inert("<p>[click](javascript:alert(1))</p>")


def test_safe_links_keep_their_targets_and_get_rel():
    html, _toc = render_markdown("[docs](https://example.com/a) and [mail](mailto:help@example.com) and [rel](/en/)")
    assert 'href="https://example.com/a"' in html
    assert 'href="mailto:help@example.com"' in html
    assert 'href="/en/"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_commonmark_features_render():
    html, _toc = render_markdown("**bold** _em_ `code`\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~")
    for fragment in ("<strong>bold</strong>", "<em>em</em>", "<code>code</code>", "<ol>", "<table>", "<s>old</s>"):
        assert fragment in html


def test_headings_get_unique_anchors_and_form_the_table_of_contents():
    html, toc = render_markdown("## 充值未到账\n\ntext\n\n### Check the **TxID**\n\nmore\n\n## 充值未到账\n")
    assert [item["level"] for item in toc] == [2, 3, 2]
    assert toc[1]["title"] == "Check the TxID"
    anchors = [item["anchor"] for item in toc]
    assert len(set(anchors)) == 3
    for anchor in anchors:
        assert f'id="{anchor}"' in html


def test_raw_html_is_shown_as_text_not_markup():
    html, _toc = render_markdown("Use <b>bold</b> & <i>it</i>")
    assert "&lt;b&gt;" in html
