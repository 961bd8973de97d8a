"""The notes.md export makes `javascript:`, `vbscript:` and `data:` links inert (issue #12):
a Markdown or HTML renderer that does not sanitize, or a reader who clicks, gets no script.
Everything else stays as the author typed it.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown
import pytest

from releases.notes import neutralize_links

UNSAFE_LINKS = [
    "[x](javascript:alert(1))",
    "[x]( JavaScript:alert(document.cookie) 'title')",
    "[x](<javascript:alert(1)>)",
    "[x](&#x6A;avascript&colon;alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](javascript\\:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/svg+xml,<svg onload=alert(1)>)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]:\n  <vbscript:msgbox(1)>",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<a title='t' href = 'java&#x09;script:alert(1)'>x</a>",
    "<a href=DATA:text/html,hi>x</a>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<form action=javascript:alert(1)><button>go</button></form>",
]


class _Targets(HTMLParser):
    """Every URL a browser would follow or load from the rendered HTML, entities decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in {"href", "src", "action", "formaction"}]


def live_targets(text: str) -> list[str]:
    """The link targets of `text` rendered by Python-Markdown with raw HTML left alone, as a
    browser reads them (tabs, line breaks and surrounding controls dropped, any case)."""
    parser = _Targets()
    parser.feed(markdown.markdown(text))
    return [re.sub(r"[\x00-\x20]", "", html.unescape(url)).lower() for url in parser.urls]


# Live in CommonMark renderers (GitHub's, for one), which take backslash escapes out of a
# target and make an autolink of any scheme; Python-Markdown shows them as text.
COMMONMARK_ONLY = {"[x](javascript\\:alert(1))", "<javascript:alert(1)>"}


@pytest.mark.parametrize("typed", UNSAFE_LINKS)
def test_a_script_or_data_link_is_inert(typed):
    if typed not in COMMONMARK_ONLY:  # the case is a live link before
        assert any(t.startswith(("javascript:", "vbscript:", "data:")) for t in live_targets(typed))

    inert = neutralize_links(typed)

    assert not any(t.startswith(("javascript:", "vbscript:", "data:")) for t in live_targets(inert))
    # Only a "#" was added in front of each target: what the author typed is all still there.
    assert inert.replace("#", "") == typed.replace("#", "")


@pytest.mark.parametrize(
    "typed",
    [
        "[docs](https://example.com/javascript:guide) and <https://example.com/a>",
        "Mail <mailto:ops@example.com>, see [the plan](#rollback) or [ref]\n\n[ref]: /releases/1/",
        "Set `DATA=data:1` if x < data: y, then run `[x](javascript:void)` never.",
        '<script>alert("x")</script><img src=x onerror=alert(1)> and A & B',
        "- a\n- b\n\n```\ncode\n```",
    ],
)
def test_everything_else_stays_as_typed(typed):
    if "`[x](javascript:void)`" in typed:
        # A code sample that spells such a link gets its "#" too: the text is not parsed.
        assert neutralize_links(typed) == typed.replace("](javascript", "](#javascript")
    else:
        assert neutralize_links(typed) == typed
