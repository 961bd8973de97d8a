"""Ticks backed by evidence: which release fields an item needs filled in before its tick.

The mapping is `tables.ITEM_FIELDS`; pages and services ask `missing_fields` through
`actions.item_action`, and the page links each missing field to the edit form.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import ChecklistItem, Release
from .tables import EVIDENCE_ITEMS, ITEM_FIELDS


@dataclass(frozen=True)
class MissingField:
    name: str
    label: str

    @property
    def anchor(self) -> str:
        """The field's id in the release form (Django's `id_<name>`)."""
        return f"id_{self.name}"


def label(name: str) -> str:
    verbose = str(Release._meta.get_field(name).verbose_name)
    return verbose[:1].upper() + verbose[1:]


def missing_fields(item: ChecklistItem, release: Release) -> list[MissingField]:
    """The fields of `release` that `item` needs and that are empty, in the mapping's order."""
    return [
        MissingField(name, label(name))
        for name in ITEM_FIELDS.get(item.template.key, ())
        if is_empty(getattr(release, name))
    ]


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def takes_evidence(item: ChecklistItem) -> bool:
    return item.template.key in EVIDENCE_ITEMS


def evidence_links(item: ChecklistItem) -> list[str]:
    """The stored evidence, one link a line (validated when it was recorded)."""
    return [line for line in item.evidence.splitlines() if line.strip()]


def items_needing(field_names: set[str]) -> dict[str, tuple[str, ...]]:
    """Template keys of the items tied to any of `field_names`, with their fields."""
    return {key: fields for key, fields in ITEM_FIELDS.items() if field_names & set(fields)}
