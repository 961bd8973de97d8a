"""Throttles: a key is claimed at most once per interval, by one caller."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.throttles import claim_many

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def test_a_key_is_claimed_once_per_interval():
    now = timezone.now()
    assert claim_many(["a", "b"], now=now, interval=DAY) == {"a", "b"}
    assert claim_many(["a", "b", "c"], now=now + DAY / 2, interval=DAY) == {"c"}
    assert claim_many(["a", "b", "c"], now=now + DAY, interval=DAY) == {"a", "b"}


def test_no_keys_claim_nothing():
    assert claim_many([], now=timezone.now(), interval=DAY) == set()
