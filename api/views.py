"""The offline API docs page (no CDN) and the admins' token pages under /team/tokens/."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from octoacme.errors import Refused
from octoacme.web import form_error, perform
from releases.permissions import require_run_team

from .api import api
from .models import ApiToken, Scope
from .tokens import token_create, token_revoke

METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list of {_ref_name(schema.get('items', {}))}"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " | ".join(_ref_name(s) for s in schema[key])
    return str(schema.get("type", "object"))


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": op.get("operationId", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "scopes": [
                        s for sec in op.get("security", []) for s in sec
                    ],  # scheme names; the scope is in the description
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _ref_name(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _ref_name(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "description": answer.get("description", ""),
                            "type": _ref_name(
                                answer.get("content", {})
                                .get("application/json", {})
                                .get("schema", {})
                            )
                            if answer.get("content")
                            else "",
                        }
                        for status, answer in op.get("responses", {}).items()
                    ],
                }
            )
    return rows


def _schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, model in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(model.get("required", []))
        rows.append(
            {
                "name": name,
                "description": model.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": _ref_name(spec)
                        + (f" ({', '.join(map(str, spec['enum']))})" if "enum" in spec else ""),
                        "required": field in required,
                        "description": spec.get("description", ""),
                    }
                    for field, spec in model.get("properties", {}).items()
                ],
            }
        )
    return rows


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """Every operation, parameter and schema of the served OpenAPI document, rendered here:
    no script and no CDN, so it works offline and under the site's CSP."""
    schema = api.get_openapi_schema()
    return render(
        request,
        "api/docs.html",
        {
            "info": schema.get("info", {}),
            "operations": _operations(schema),
            "schemas": _schemas(schema),
            "openapi_url": reverse("api:openapi-json"),
        },
    )


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Integration")
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=3650, required=False, label="Expires in (days)"
    )


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    require_run_team(request.user)
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST":
        if not form.is_valid():
            form_error(request, form)
        else:
            days = form.cleaned_data["expires_in_days"]
            try:
                token, secret = token_create(
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=timezone.now() + timedelta(days=days) if days else None,
                    actor=request.user,
                )
            except Refused as exc:
                messages.error(request, exc.message)
            else:
                # Rendered, not redirected: the secret lives in this one response only.
                messages.success(request, f"Token {token.name} created. Copy it now.")
                form = TokenForm()
    tokens = ApiToken.objects.select_related("created_by").order_by("revoked_at", "name")
    return render(
        request,
        "api/tokens.html",
        {"tokens": tokens, "form": form, "secret": secret, "now": timezone.now()},
    )


@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_run_team(request.user)
    perform(
        request,
        lambda: token_revoke(token_id=pk, actor=request.user),
        "Token revoked: requests with it are refused from now on.",
    )
    return redirect(reverse("api-tokens"))
