"""The Insights page and its charts' CSV downloads, for everyone signed in.

Both read the same form; a question it cannot answer (an inverted or absurd period, an
unknown type) is answered with what is wrong, as a 400, and a chart that does not exist with
a 404 naming the charts that do.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from octoacme.csvs import BOM, CONTENT_TYPE, Line, attachment, safe

from .forms import InsightsForm
from .report import BY_HANDOFF, BY_ROLE, build


@require_GET
def insights(request: HttpRequest) -> HttpResponse:
    form = InsightsForm(request.GET, now=timezone.now())
    if not form.is_valid():
        return render(request, "insights/insights.html", {"form": form}, status=400)
    report = build(form.cleaned_data["range"], form.cleaned_data["release_type"])
    query = request.GET.urlencode()
    base = reverse("insights-csv", args=["CHART"])
    items = {
        c.key: {
            "chart": c,
            "csv_url": base.replace("CHART", c.key) + (f"?{query}" if query else ""),
        }
        for c in report.charts
    }
    return render(
        request,
        "insights/insights.html",
        {
            "form": form,
            "report": report,
            "by_role": items.pop(BY_ROLE),
            "by_handoff": items.pop(BY_HANDOFF),
            "trends": list(items.values()),
            "zone": timezone.get_current_timezone_name(),
        },
    )


@require_GET
def chart_csv(request: HttpRequest, chart: str) -> HttpResponse:
    form = InsightsForm(request.GET, now=timezone.now())
    if not form.is_valid():
        return HttpResponse(
            "\n".join(form.messages()) + "\n", status=400, content_type="text/plain; charset=utf-8"
        )
    period = form.cleaned_data["range"]
    report = build(period, form.cleaned_data["release_type"])
    found = report.chart(chart)
    if found is None:
        names = ", ".join(c.key for c in report.charts)
        return HttpResponse(
            f"There is no chart “{chart}”. The charts are: {names}.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    writer = csv.writer(Line())
    body = BOM + "".join(
        writer.writerow([safe(str(cell)) for cell in row]) for row in found.csv_rows()
    )
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    attachment(response, f"{found.key}-{period.first:%Y-%m-%d}-to-{period.last:%Y-%m-%d}.csv")
    return response
