from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Until the sign-off pages exist, the admin is the way in.
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
