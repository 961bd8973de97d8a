"""A person's secret calendar URL: the services that create, replace and revoke it, the
feed a calendar client fetches, and the person's page (`/me/calendar/`).

The URL is `/calendar/<prefix>.<secret>.ics`. Calendar clients cannot sign in or send a
header, so the secret in the URL is the credential: it is shown once, kept only as its
SHA-256, and the row is found by the public prefix. Anything wrong (unknown prefix, wrong
secret, a revoked or replaced URL, a deactivated person) is the same 404, so the feed does
not tell a guesser which prefixes exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from releases import audit
from releases.locks import begin_write

from . import calendar
from .models import CalendarFeed

# The URL's two parts, as calendar_urls.py matches them: 12 hex digits, then 43 URL-safe
# characters (32 random bytes).
PREFIX_BYTES = 6
SECRET_BYTES = 32
# Compared against when the prefix is unknown, so a miss costs what a hit costs.
_NO_HASH = hashlib.sha256(b"no such feed").hexdigest()


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewFeed:
    """What the person is shown once: the URL holds the only copy of the secret."""

    feed: CalendarFeed
    url: str


def feed_url(prefix: str, secret: str) -> str:
    return settings.SITE_URL + reverse("calendar-feed", args=[prefix, secret])


@transaction.atomic
def calendar_feed_create(*, user: AbstractBaseUser) -> NewFeed:
    """Give `user` a new secret URL, replacing any they had: the old URL answers 404 from the
    commit on. A new prefix too, so nothing of the old URL still finds the row."""
    # The audit chain's lock before the person's row (releases.locks); the person's row lock
    # makes two clicks at once queue, so one URL wins rather than a unique-key error.
    begin_write()
    get_user_model().objects.select_for_update().filter(pk=user.pk).get()
    prefix, secret = secrets.token_hex(PREFIX_BYTES), secrets.token_urlsafe(SECRET_BYTES)
    feed, created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"prefix": prefix, "secret_hash": _hash(secret)}
    )
    audit.record(
        release=None,
        actor=user,
        verb="calendar.created" if created else "calendar.regenerated",
        subject=f"calendar feed {prefix}",
        comment="" if created else "The previous calendar URL no longer works.",
    )
    return NewFeed(feed, feed_url(prefix, secret))


@transaction.atomic
def calendar_feed_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete `user`'s secret URL; False when they had none (nothing changes then)."""
    begin_write()
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return False
    feed.delete()
    audit.record(
        release=None,
        actor=user,
        verb="calendar.revoked",
        subject=f"calendar feed {feed.prefix}",
        comment="The calendar URL no longer works.",
    )
    return True


def feed_for(prefix: str, secret: str) -> CalendarFeed | None:
    """The active person's feed this URL opens, or None (one query)."""
    feed = CalendarFeed.objects.filter(prefix=prefix, user__is_active=True).first()
    # Compared in constant time whether or not the prefix exists.
    expected = feed.secret_hash if feed is not None else _NO_HASH
    if not hmac.compare_digest(_hash(secret), expected) or feed is None:
        return None
    return feed


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, prefix: str, secret: str) -> HttpResponse:
    if feed_for(prefix, secret) is None:
        raise Http404("No such calendar.")
    response = HttpResponse(
        calendar.build(now=timezone.now()), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="octoacme-releases.ics"'
    # The URL is a credential: no shared cache may keep what it answers.
    patch_cache_control(response, private=True, max_age=0)
    return response


@require_http_methods(["GET"])
def my_calendar(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own feed, and only theirs: no other person's id is in any URL."""
    feed = CalendarFeed.objects.filter(user=request.user).first()
    return render(request, "api/calendar.html", {"feed": feed, "new_url": ""})


@require_POST
def my_calendar_create(request: HttpRequest) -> HttpResponse:
    new = calendar_feed_create(user=request.user)
    # Rendered, not redirected: the secret is shown on this one response and kept nowhere
    # (not in the session); the page is `Cache-Control: no-store` for a signed-in person.
    return render(request, "api/calendar.html", {"feed": new.feed, "new_url": new.url})


@require_POST
def my_calendar_revoke(request: HttpRequest) -> HttpResponse:
    if calendar_feed_revoke(user=request.user):
        messages.success(request, "Calendar URL revoked: it no longer works.")
    else:
        messages.error(request, "You have no calendar URL to revoke.")
    return redirect("my-calendar")
