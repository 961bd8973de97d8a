"""`<time datetime>` values: HTML allows at most three digits of a second (issue #18)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import Context, Template
from django.utils import timezone

MOMENT = datetime(2026, 1, 15, 12, 0, 5, 123456, tzinfo=UTC)


def render(moment: datetime | None) -> str:
    template = Template('{% load octoacme %}<time datetime="{{ at|iso8601 }}">')
    return template.render(Context({"at": moment}))


def test_it_keeps_milliseconds_in_the_readers_zone() -> None:
    with timezone.override("Europe/Berlin"):
        assert render(MOMENT) == '<time datetime="2026-01-15T13:00:05.123+01:00">'


def test_it_gives_nothing_for_no_time() -> None:
    assert render(None) == '<time datetime="">'
