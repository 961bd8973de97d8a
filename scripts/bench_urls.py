"""URLs for the benchmark only: the app plus the baselines each page is measured against.

- /bench/bare: anonymous, a few bytes; the limit of this stack (a reference line).
- /bench/signed-in: behind sign-in like every page: the session and the user are loaded.
- /bench/insert: a signed-in POST that passes the CSRF check and inserts one row.

Kept out of the application packages because its views exist only to be measured and write
throwaway rows. scripts/benchmark.py puts scripts/ on PYTHONPATH and sets
ROOT_URLCONF=bench_urls for itself, collectstatic and gunicorn; nothing else loads it.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from notifications.models import Throttle
from octoacme.urls import urlpatterns as app_urlpatterns


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


def signed_in(request: HttpRequest) -> HttpResponse:
    # LoginRequiredMiddleware has read the session and loaded the user to let this through;
    # the pk is in the body so the view cannot be answered without them.
    return HttpResponse(f"ok {request.user.pk}")


@require_POST
def insert_one(request: HttpRequest) -> HttpResponse:
    # A Throttle row with a key of its own: a real INSERT into a table that exists, no conflicts.
    Throttle.objects.create(
        key=f"bench:{request.user.pk}:{uuid.uuid4().hex}", last_at=timezone.now()
    )
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare", bare),
    path("bench/signed-in", signed_in),
    path("bench/insert", insert_one),
    *app_urlpatterns,
]
