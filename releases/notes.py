"""The release notes in the guide's template, as Markdown."""

from __future__ import annotations

import html
import re

from django.template.loader import render_to_string

from .models import Release


def notes_markdown(release: Release) -> str:
    """The guide's release-notes template, with the fields as their author typed them: each
    renderer escapes once (the pages' markdown filter, the HTML email's autoescape). Only a
    link that would run a script or carry a document is made inert (`neutralize_links`)."""
    text = render_to_string("releases/release_notes.md", {"release": release})
    # render_to_string marks its result safe as HTML; this is Markdown text, so the mark is
    # dropped (a plain str) and the HTML email escapes it like any text.
    return neutralize_links(str.__str__(text))


# Where a Markdown or HTML renderer reads a link target, up to the target's first character:
# an inline link or image "](", a reference definition "]:" (the target may be on the next
# line, and either may wrap it in <>), an autolink "<scheme:...>".
_MARKDOWN_TARGET = re.compile(r"\][(:][ \t]*(?:\r?\n[ \t]*)?<?|<(?=[^\s<>]*:)")
# An attribute value inside a raw HTML tag (href=, src=, action=, ... quoted or not).
_HTML_TAG = re.compile(r"<[A-Za-z][^<>]*")
_HTML_VALUE = re.compile(r"""=[ \t\r\n]*["']?""")
_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# A browser drops these from a URL before it reads the scheme (tabs and line breaks anywhere,
# controls and spaces around it); spaces inside are dropped too, which only errs on the safe side.
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")
# Enough for a scheme spelled out in character references ("&#x6A;&#x61;...").
_LOOKAHEAD = 1024


def neutralize_links(text: str) -> str:
    """Each link target that would run a script or open a document built from the link
    itself (`javascript:`, `vbscript:`, `data:`) gets a `#` in front, which makes it a link to
    a fragment of the same page; the rest stays as typed. Targets are read as a renderer or a
    browser would: any case, character references decoded, Markdown's backslash escapes
    dropped, tabs and line breaks ignored. A code sample that spells such a link is changed
    too: the text is not parsed, and a stray `#` there costs less than a live link elsewhere."""
    starts = {m.end() for m in _MARKDOWN_TARGET.finditer(text)}
    for tag in _HTML_TAG.finditer(text):
        starts.update(tag.start() + m.end() for m in _HTML_VALUE.finditer(tag.group()))
    unsafe = sorted(p for p in starts if _is_unsafe(text[p : p + _LOOKAHEAD]))
    pieces, last = [], 0
    for p in unsafe:
        pieces += [text[last:p], "#"]
        last = p
    pieces.append(text[last:])
    return "".join(pieces)


def _is_unsafe(target: str) -> bool:
    url = _IGNORED_IN_URL.sub("", html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", target)))
    return url.lower().startswith(_UNSAFE_SCHEMES)
