"""`python manage.py create_api_token NAME --scopes releases:read,deployments:write` prints
a new token's secret (shown once) for scripts and tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from api.tokens import token_create
from octoacme.errors import Refused


class Command(BaseCommand):
    help = "Create an API token for a named integration and print its secret (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scopes", required=True, help="comma-separated, e.g. releases:read")
        parser.add_argument("--expires-in-days", type=int, default=None)
        parser.add_argument(
            "--actor", default=None, help="the admin named in the audit trail (default: the first)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        admins = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")
        actor = (
            admins.filter(username=options["actor"]).first() if options["actor"] else admins.first()
        )
        if actor is None:
            raise CommandError("No active admin to name as its creator: create a superuser first.")
        days = options["expires_in_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-in-days must be 1 or more.")
        try:
            _token, secret = token_create(
                name=options["name"],
                scopes=options["scopes"].split(","),
                expires_at=timezone.now() + timedelta(days=days) if days else None,
                actor=actor,
            )
        except Refused as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(secret)
