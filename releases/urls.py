from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("releases/", views.dashboard, name="dashboard"),
    path("releases/new/", views.release_create, name="release-create"),
    path("releases/<int:pk>/", views.release_detail, name="release-detail"),
    path("releases/<int:pk>/edit/", views.release_edit, name="release-edit"),
    path("releases/<int:pk>/notes.md", views.release_notes, name="release-notes"),
    path("releases/<int:pk>/incidents/", views.incident_open, name="incident-open"),
    path("releases/<int:pk>/<slug:action>/", views.release_action, name="release-action"),
    path("checklist/<int:pk>/<slug:action>/", views.checklist_action, name="checklist-action"),
    path("handoffs/<int:pk>/send/", views.handoff_send, name="handoff-send"),
    path("handoffs/<int:pk>/acknowledge/", views.handoff_acknowledge, name="handoff-ack"),
    path("incidents/<int:pk>/rollback/", views.incident_rollback, name="incident-rollback"),
    path("incidents/<int:pk>/resolve/", views.incident_resolve, name="incident-resolve"),
]
