"""The release notes in the guide's template, as Markdown."""

from __future__ import annotations

import html

from django.template.loader import render_to_string

from .models import Release


def notes_markdown(release: Release) -> str:
    """The guide's release-notes template; HTML is escaped so it stays text in any renderer."""
    return render_to_string(
        "releases/release_notes.md",
        {
            "release": release,
            **{
                f: html.escape(getattr(release, f), quote=False)
                for f in ("name", "summary", "notable_changes", "migration_steps", "known_issues")
            },
        },
    )
