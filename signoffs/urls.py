from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/", views.gate_detail, name="gate-detail"),
    path("<int:pk>/<slug:decision>/", views.gate_decide, name="gate-decide"),
]
