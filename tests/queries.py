"""One helper for pinned query counts: when a count drifts, the failure lists every statement.

In the spirit of Zulip's `assert_database_query_count`: a number alone says that a page got
slower, the statements say which query was added (usually one per row, an N+1).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


@contextmanager
def assert_num_queries(
    expected: int, *, using: str = DEFAULT_DB_ALIAS
) -> Iterator[CaptureQueriesContext]:
    """Fail unless the block runs exactly `expected` queries, printing each one if not."""
    with CaptureQueriesContext(connections[using]) as captured:
        yield captured
    queries = captured.captured_queries
    if len(queries) != expected:
        statements = "\n".join(f"{n}. {q['sql']}" for n, q in enumerate(queries, 1))
        print(f"{len(queries)} queries, expected {expected}:\n{statements}")
        raise AssertionError(
            f"{len(queries)} queries, expected {expected}; each is in the captured stdout"
        )
