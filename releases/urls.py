from django.urls import path

from . import views
from .views.audit import period_audit_csv, release_audit_csv, release_audit_list
from .views.delegations import delegation_cancel, my_delegations, team_delegations
from .views.policies import policy_page, policy_set
from .views.profile import profile
from .views.webhooks import webhook_create, webhook_list, webhook_redeliver_view, webhook_toggle

urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("releases/", views.dashboard, name="dashboard"),
    path("releases/new/", views.release_create, name="release-create"),
    path("releases/<int:pk>/", views.release_detail, name="release-detail"),
    path("releases/<int:pk>/edit/", views.release_edit, name="release-edit"),
    path("releases/<int:pk>/notes.md", views.release_notes, name="release-notes"),
    path("releases/<int:pk>/audit.csv", release_audit_csv, name="release-audit-csv"),
    path("releases/<int:pk>/audit/", release_audit_list, name="release-audit"),
    path("audit.csv", period_audit_csv, name="audit-csv"),
    path("releases/<int:pk>/incidents/", views.incident_open, name="incident-open"),
    path(
        "releases/<int:pk>/failed-deploy/",
        views.incident_failed_deploy,
        name="release-failed-deploy",
    ),
    # Before the catch-all release action below, which would take "deploy-override" as one.
    path("releases/<int:pk>/deploy-override/", views.deploy_override, name="deploy-override"),
    path("team/freezes/", views.freeze_list, name="freezes"),
    path("team/freezes/new/", views.freeze_create, name="freeze-create"),
    path("team/freezes/<int:pk>/end/", views.freeze_end, name="freeze-end"),
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
    path("team/", views.team, name="team"),
    path("me/", profile, name="profile"),
    path("me/delegations/", my_delegations, name="my-delegations"),
    path("team/delegations/", team_delegations, name="team-delegations"),
    path("delegations/<int:pk>/cancel/", delegation_cancel, name="delegation-cancel"),
    path("team/policies/", policy_page, name="team-policies"),
    path("team/webhooks/", webhook_list, name="webhooks"),
    path("team/webhooks/new/", webhook_create, name="webhook-create"),
    path("team/webhooks/<int:pk>/toggle/", webhook_toggle, name="webhook-toggle"),
    path(
        "team/webhooks/deliveries/<int:pk>/redeliver/",
        webhook_redeliver_view,
        name="webhook-redeliver",
    ),
    path("team/policies/<slug:release_type>/", policy_set, name="team-policy-set"),
    path("team/defaults/<slug:role_key>/", views.team_default_set, name="team-default-set"),
    path("team/separation/", views.team_separation_set, name="team-separation-set"),
    path("team/releases/<int:pk>/roles/<slug:role_key>/", views.team_assign, name="team-assign"),
    path(
        "team/releases/<int:pk>/exceptions/",
        views.team_exception_record,
        name="team-exception-record",
    ),
]
