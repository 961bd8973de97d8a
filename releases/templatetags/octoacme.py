from __future__ import annotations

import html

import markdown as md
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

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
    "hold": "✋",
    "proceed": "✓",
    "resolved": "✓",
}


@register.filter
def icon(state: str) -> str:
    return ICONS.get(str(state), "•")


@register.filter
def markdown(text: str) -> SafeString:
    """Markdown to HTML. Typed HTML is escaped first so it shows as text, then nh3 sanitizes."""
    rendered = md.markdown(html.escape(text or "", quote=False), extensions=["sane_lists"])
    return mark_safe(nh3.clean(rendered))  # sanitized by nh3 just above


@register.filter
def username(user: object) -> str:
    if user is None:
        return "nobody"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


@register.filter
def get(mapping: dict, key: object) -> object:
    return mapping.get(key) if mapping else None
