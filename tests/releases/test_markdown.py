"""What the `markdown` filter makes of what people type (issue #12): an image is a link, never
an <img> that every reader's browser would fetch from another host, and code shows as typed.
Checked on the pages that show Markdown, not only on the filter.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import RoleKey
from releases.templatetags.octoacme import markdown

from ..builders import gate

pytestmark = pytest.mark.django_db
QA = RoleKey.QA_LEAD

IMAGE = "![status board](http://any-host.example/x.png)"
AS_LINK = '<a href="http://any-host.example/x.png" rel="noopener noreferrer">status board</a>'
# Every field the release and sign-off pages render as Markdown.
MARKDOWN_FIELDS = (
    "summary",
    "notable_changes",
    "migration_steps",
    "known_issues",
    "rollback_plan",
    "smoke_test_plan",
    "links",
)


def pages(release):
    return (
        reverse("release-detail", args=[release.pk]),
        reverse("gate-detail", args=[gate(release, QA).pk]),
    )


def test_an_image_in_any_field_is_a_link_on_the_pages(client, team, build):
    release = build.staging(**dict.fromkeys(MARKDOWN_FIELDS, IMAGE))
    client.force_login(team[QA])
    for url in pages(release):
        page = client.get(url).content.decode()
        assert "<img" not in page, url
        assert AS_LINK in page, url


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        (IMAGE, AS_LINK),
        ("![](https://h.example/a.png)", ">https://h.example/a.png</a>"),
        ('![t](https://h.example/a.png "Title")', 'title="Title"'),
        ("![ref][r]\n\n[r]: https://h.example/b.png", '<a href="https://h.example/b.png"'),
        ("[![logo](https://h.example/l.png)](https://h.example/)", "<span>logo</span></a>"),
        ("![local](/static/css/app.css)", '<a href="/static/css/app.css"'),
    ],
)
def test_no_image_of_any_form_becomes_an_img(typed, shown):
    html = markdown(typed)
    assert "<img" not in html
    assert shown in html


def test_a_tag_in_backticks_shows_as_typed(client, team, build):
    release = build.staging(summary="Wrap it in `<b>` and `&lt;`, not <b>bold</b>.")
    client.force_login(team[QA])
    for url in pages(release):
        page = client.get(url).content.decode()
        # Escaped once: the browser shows <b> and &lt; literally, inside code.
        assert "<code>&lt;b&gt;</code>" in page, url
        assert "<code>&amp;lt;</code>" in page, url
        assert "&amp;lt;b&amp;gt;" not in page and "&amp;amp;" not in page, url
        assert "&lt;b&gt;bold&lt;/b&gt;" in page, url
