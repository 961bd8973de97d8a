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
    path(
        "releases/<int:pk>/failed-deploy/",
        views.incident_failed_deploy,
        name="release-failed-deploy",
    ),
    path("releases/<int:pk>/<slug:action>/", views.release_action, name="release-action"),
    path("checklist/<int:pk>/<slug:action>/", views.checklist_action, name="checklist-action"),
    path("duties/<int:pk>/done/", views.duty_done, name="duty-done"),
    path("handoffs/<int:pk>/send/", views.handoff_send, name="handoff-send"),
    path("handoffs/<int:pk>/acknowledge/", views.handoff_acknowledge, name="handoff-ack"),
    path("incidents/<int:pk>/rollback/", views.incident_rollback, name="incident-rollback"),
    path("incidents/<int:pk>/resolve/", views.incident_resolve, name="incident-resolve"),
    path("incidents/<int:pk>/mitigate/", views.incident_mitigate, name="incident-mitigate"),
    path(
        "incidents/<int:pk>/fix-forward/", views.incident_fix_forward, name="incident-fix-forward"
    ),
    path("incidents/<int:pk>/action-items/", views.incident_item_add, name="action-item-add"),
    path(
        "incidents/<int:pk>/close-review/",
        views.incident_close_review,
        name="incident-close-review",
    ),
    path("action-items/<int:pk>/done/", views.action_item_done, name="action-item-done"),
    path("action-items/<int:pk>/defer/", views.action_item_defer, name="action-item-defer"),
]
