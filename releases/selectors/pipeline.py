"""The release page's "Pipeline" card: what pipelines asked and recorded, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import lifecycle
from ..models import Release

CARD_ROWS = 5  # the latest few of each: the full history is in the audit trail and the API


@dataclass(frozen=True)
class PipelineCard:
    gate_checks: list[Any]
    deployments: list[Any]
    evidence: list[Any]
    # The latest security scan when it failed: a blocker of the deploy, with its link.
    failed_scan: Any

    @property
    def empty(self) -> bool:
        return not (self.gate_checks or self.deployments or self.evidence)


def pipeline_card(release: Release) -> PipelineCard:
    """Four queries, whatever the number of rows."""
    return PipelineCard(
        gate_checks=list(release.gate_checks.select_related("asked_by")[:CARD_ROWS]),
        deployments=list(release.deployments.all()[:CARD_ROWS]),
        evidence=list(release.evidence_records.all()[:CARD_ROWS]),
        failed_scan=lifecycle.readiness.failed_scan(release),
    )
