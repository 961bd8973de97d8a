"""The audit trail as CSV: one release's (whoever may read its page), or a period's (admins
and the team's Project Manager), each event with its chain hash.

The cells are made safe for spreadsheets (octoacme.csvs): a comment typed as `=HYPERLINK(...)`
shows as text in whoever opens the download.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from octoacme.csvs import BOM, CONTENT_TYPE, Line, attachment, safe
from octoacme.names import display_name

from .. import permissions, wording
from ..chain import utc_iso
from ..forms import AuditPeriodForm
from ..models import AuditEvent, Release
from ..selectors.audit import period_audit, release_audit, release_audit_page

HEADER = [
    "time",
    "actor",
    "on behalf of",
    "verb",
    "subject",
    "from",
    "to",
    "comment",
    "release",
    "chain hash",
    # The sentence the pages show; scripts keep reading the raw verb column.
    "what happened",
]


def row(event: AuditEvent) -> list[str]:
    cells = [
        display_name(event.actor, nobody=""),
        display_name(event.on_behalf_of, nobody=""),
        event.verb,
        event.subject,
        event.from_state,
        event.to_state,
        event.comment,
        str(event.release) if event.release else "",
    ]
    return [
        utc_iso(event.created_at),
        *map(safe, cells),
        event.chain_hash,
        safe(wording.sentence(event)),
    ]


def lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(Line())
    yield BOM + writer.writerow(HEADER)
    for event in events:
        yield writer.writerow(row(event))


@require_GET
def release_audit_list(request: HttpRequest, pk: int) -> HttpResponse:
    """A release's whole audit trail, a page at a time (its page shows the latest events)."""
    release = get_object_or_404(Release, pk=pk)
    events = release_audit_page(release.pk, request.GET.get("page"))
    return render(request, "releases/audit.html", {"release": release, "events": events})


@require_GET
def release_audit_csv(request: HttpRequest, pk: int) -> HttpResponse:
    # As readable as the release page itself: everyone signed in (the middleware sees to that).
    release = get_object_or_404(Release, pk=pk)
    response = HttpResponse("".join(lines(release_audit(release.pk))), CONTENT_TYPE)
    attachment(response, f"audit-{release.version}.csv")
    return response


@require_GET
def period_audit_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    permissions.require_export_audit(request.user)
    form = AuditPeriodForm(request.GET)
    if not form.is_valid():
        messages = [m for errors in form.errors.values() for m in errors]
        return HttpResponseBadRequest(
            "\n".join(messages) + "\n", content_type="text/plain; charset=utf-8"
        )
    first: dt.date = form.cleaned_data["from"]
    last: dt.date = form.cleaned_data["to"]
    # Whole days in the site's time zone, the one the pages show times in.
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    response = StreamingHttpResponse(lines(period_audit(start, end)), content_type=CONTENT_TYPE)
    attachment(response, f"audit-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}.csv")
    return response
