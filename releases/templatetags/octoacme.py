from __future__ import annotations

import xml.etree.ElementTree as etree
from datetime import datetime, timedelta

import markdown as md
import nh3
from django import template
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from octoacme.names import display_name
from releases import wording
from releases.models import Release

register = template.Library()

ICONS = {
    "approved": "✓",
    "done": "✓",
    "acknowledged": "✓",
    "rejected": "✗",
    "stale": "↻",
    "pending": "○",
    "open": "○",
    "sent": "→",
    "not_applicable": "\u2013",  # en dash
    "hold": "‖",  # a pause sign every font has (the hand emoji is missing from many)
    "proceed": "✓",
    "resolved": "✓",
}


@register.filter
def icon(state: str) -> str:
    return ICONS.get(str(state), "•")


class NoRawHtml(Extension):
    """Typed HTML is text: Markdown's raw-HTML passthrough is switched off, so the serializer
    escapes it exactly once (escaping before Markdown would escape code spans twice)."""

    def extendMarkdown(self, converter: Markdown) -> None:
        converter.preprocessors.deregister("html_block")
        converter.inlinePatterns.deregister("html")


class ImagesAsLinks(Extension):
    """`![alt](url)` becomes a link to the image, never an <img>: an image in release notes
    would make every reader's browser fetch it from wherever it points (their address leaks,
    and the author learns who read the notes and when). An image inside a link keeps only its
    alt text, as a link cannot hold a link."""

    def extendMarkdown(self, converter: Markdown) -> None:
        # After "inline", the treeprocessor that turns ![...](...) into <img>.
        converter.treeprocessors.register(_ImagesAsLinks(converter), "images_as_links", 15)


class _ImagesAsLinks(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for child in parent:
                if child.tag != "img":
                    continue
                src, alt = child.get("src", ""), child.get("alt", "")
                title = child.get("title")
                child.attrib.clear()
                if parent.tag == "a":
                    child.tag = "span"
                    child.text = alt
                    continue
                child.tag = "a"
                child.set("href", src)
                if title:
                    child.set("title", title)
                child.text = alt or src


# What Markdown makes, less <img> (a second guard behind ImagesAsLinks).
ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"img"}


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML; typed HTML shows as text, images are links, and nh3 sanitizes what
    comes out anyway."""
    rendered = md.markdown(text or "", extensions=["sane_lists", NoRawHtml(), ImagesAsLinks()])
    return mark_safe(nh3.clean(rendered, tags=ALLOWED_TAGS))  # sanitized by nh3 just above


DAY_TIME = "D j M Y, H:i"


@register.filter
def window(release: Release) -> str:
    """A release's deployment window in local time; the end repeats its date only when it
    falls on another day than the start, so a window past midnight keeps its end date."""
    if not release.window_start:
        return "not scheduled"
    start = timezone.localtime(release.window_start)
    text = formats.date_format(start, DAY_TIME)
    if release.window_end:
        end = timezone.localtime(release.window_end)
        same_day = end.date() == start.date()
        text += " \u2013 " + formats.date_format(end, "H:i" if same_day else DAY_TIME)  # en dash
    return text


@register.filter
def username(user: object) -> str:
    return display_name(user)


@register.filter
def sentence(event: object) -> str:
    """An audit event in plain words (releases.wording, shared with the CSV and the emails)."""
    return wording.sentence(event)


@register.filter
def duration_words(span: timedelta) -> str:
    """A sign-in cool-off as a person says it: "15 minutes", "1 hour 30 minutes"."""
    minutes = max(round(span.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in ((hours, "hour"), (minutes, "minute"))
        if n
    ]
    return " ".join(parts)


@register.filter
def get(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago, as people say it beside a time: "just now", "5 min ago", "2 h ago",
    "3 d ago"; "" from a month on, where the date says it better."""
    if not moment:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for unit, size in (("min", 60), ("h", 3600), ("d", 86400)):
        if seconds < size * {"min": 60, "h": 24, "d": 30}[unit]:
            return f"{int(seconds // size)} {unit} ago"
    return ""


@register.filter(expects_localtime=True)
def iso8601(moment: datetime | None) -> str:
    """A `<time datetime>` value: HTML allows at most three digits of a second, and
    `|date:'c'` gives Python's six."""
    if not moment:
        return ""
    return moment.isoformat(timespec="milliseconds")
