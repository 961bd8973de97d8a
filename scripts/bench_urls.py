"""URLs for the benchmark only: the app plus two bare views that mark the stack's limit.

Kept out of the application packages because its views skip CSRF and sign-in and write rows.
scripts/benchmark.py puts scripts/ on PYTHONPATH and sets ROOT_URLCONF=bench_urls for itself,
collectstatic and gunicorn; nothing else loads it.
"""

import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from notifications.models import Throttle
from octoacme.urls import urlpatterns as app_urlpatterns


@login_not_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
@login_not_required
def insert_one(request: HttpRequest) -> HttpResponse:
    Throttle.objects.create(key=f"bench:{uuid.uuid4().hex}", last_at=timezone.now())
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare", bare),
    path("bench/insert", insert_one),
    *app_urlpatterns,
]
