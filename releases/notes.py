"""The release notes in the guide's template, as Markdown."""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Release


def notes_markdown(release: Release) -> str:
    """The guide's release-notes template, with the fields as their author typed them: each
    renderer escapes once (the pages' markdown filter, the HTML email's autoescape)."""
    text = render_to_string("releases/release_notes.md", {"release": release})
    # render_to_string marks its result safe as HTML; this is Markdown text, so the mark is
    # dropped (a plain str) and the HTML email escapes it like any text.
    return str.__str__(text)
