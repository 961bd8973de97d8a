"""/api/v1/ (mounted in octoacme/urls.py) and the token pages under /team/tokens/."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, path

from . import views
from .api import api


def _public(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    # The API authenticates by bearer token, not by session: LoginRequiredMiddleware must not
    # redirect it to the sign-in page. (Ninja's views are CSRF-exempt already: no cookies.)
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
        else:
            login_not_required(pattern.callback)
    return patterns


ninja_patterns, _app, _namespace = api.urls
app_name = "api"

urlpatterns = [
    path("docs", login_not_required(views.api_docs), name="api-docs"),
    *_public(list(ninja_patterns)),
]

token_urlpatterns = [
    path("", views.token_list, name="api-tokens"),
    path("<int:pk>/revoke/", views.token_revoke_view, name="api-token-revoke"),
]
