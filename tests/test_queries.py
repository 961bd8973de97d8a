"""The query-count helper passes on the pinned count and shows every statement when it drifts."""

from __future__ import annotations

import pytest

from releases.models import Role

from .queries import assert_num_queries

pytestmark = pytest.mark.django_db


def test_it_passes_when_the_count_is_the_pinned_one():
    with assert_num_queries(1):
        Role.objects.count()


def test_it_fails_and_prints_every_statement_when_the_count_drifts(capsys):
    with pytest.raises(AssertionError, match="2 queries, expected 1"), assert_num_queries(1):
        Role.objects.count()
        Role.objects.filter(key="qa-lead").exists()
    printed = capsys.readouterr().out
    assert '1. SELECT COUNT(*) AS "__count" FROM "releases_role"' in printed
    assert "2. SELECT 1 AS" in printed and "'qa-lead'" in printed
