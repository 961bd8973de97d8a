"""`manage.py verify_audit`: recompute the audit trail's hash chain; exit 1 where it breaks."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from releases import chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain in id order. Prints 'Audit trail intact: N "
        "events.' and exits 0, or names the first event that does not match and exits 1."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--anchor",
            default="",
            help=(
                "A chain hash noted earlier (the 'Latest hash' of a previous run, kept off "
                "this machine). Fails unless that event is still in the chain: it catches a "
                "chain rewritten from some point on, which the hashes alone cannot."
            ),
        )
        parser.add_argument("--chunk-size", type=int, default=2000, help=argparse.SUPPRESS)

    def handle(self, *args: Any, anchor: str, chunk_size: int, **options: Any) -> None:
        verdict = chain.verify(anchor=anchor.strip().lower(), chunk_size=chunk_size)
        if verdict.broken is not None:
            self.stderr.write(verdict.broken.describe())
            self.stderr.write(f"The {verdict.checked} events before it match.")
            raise SystemExit(1)
        if verdict.anchor_missing:
            self.stderr.write(
                f"The anchor {anchor} is not the hash of any event: the chain was rewritten "
                f"or cut short since it was noted ({verdict.checked} events match among "
                "themselves)."
            )
            raise SystemExit(1)
        self.stdout.write(f"Audit trail intact: {verdict.checked} events.")
        self.stdout.write(f"Latest hash: {verdict.last_hash or '(none yet)'}")
