"""Dashboard cards, rendered once per release revision and kept in the "fragments" cache.

A card depends only on its release's rows, and every change to them goes through a service
that writes an audit event and bumps `Release.revision`. So the key (id, revision) can never
name stale content, whichever process cached it; nothing has to be invalidated. The one thing
a card shows that changes with time alone, how many hand-offs are overdue, is part of the key
too (`selectors.dashboard` reads it with the page), and so are the people's revision (names
change without a release changing) and the reader's time zone.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from . import selectors

TEMPLATE = "releases/_release_card.html"


def render(entries: list[tuple[int, ...]], *, freezes: list[Any] | None = None) -> list[SafeString]:
    """The cards of these (id, revision, ...) entries, in order, rendering only those not
    cached; every part of an entry is part of its key (the freeze a window falls in is: a
    freeze changes no revision). `freezes`: the active ones, for the cards drawn afresh."""
    cache = caches["fragments"]
    # A card shows times in the reader's zone: people in two zones never share one.
    zone = timezone.get_current_timezone_name()
    keys = {entry[0]: f"card:{zone}:" + ":".join(map(str, entry)) for entry in entries}
    found: dict[str, SafeString] = cache.get_many(keys.values())
    missing = [pk for pk, key in keys.items() if key not in found]
    if missing:
        # Filed under the revision read with the page: the summary may be newer still, never
        # older, and a newer revision misses this key and draws itself again.
        fresh = {
            keys[s.release.pk]: render_to_string(TEMPLATE, {"s": s})
            for s in selectors.summaries(missing, freezes=freezes)
        }
        cache.set_many(fresh)
        found.update(fresh)
    return [found[key] for key in keys.values() if key in found]
