from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import token_urlpatterns

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path(
        "signin/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("gates/", include("signoffs.urls")),
    # Bearer-token API (api/urls.py: exempt from sign-in and CSRF; no cookies).
    path("api/v1/", include("api.urls")),
    path("team/tokens/", include(token_urlpatterns)),
    path("insights/", include("insights.urls")),
    path("", include("api.calendar_urls")),
    path("", include("releases.urls")),
]
