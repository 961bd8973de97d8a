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


def test_how_long_ago_reads_as_people_say_it():
    from datetime import timedelta

    from django.utils import timezone

    from releases.templatetags.octoacme import ago

    now = timezone.now()
    assert ago(now - timedelta(seconds=20)) == "just now"
    assert ago(now - timedelta(minutes=5, seconds=10)) == "5 min ago"
    assert ago(now - timedelta(hours=2, minutes=59)) == "2 h ago"
    assert ago(now - timedelta(days=3, hours=1)) == "3 d ago"
    assert ago(now - timedelta(days=45)) == ""  # the date says it better
    assert ago(None) == ""
