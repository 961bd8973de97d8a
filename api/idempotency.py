"""Every API write runs at most once per (token, Idempotency-Key).

How a write handler uses it:

    from api.idempotency import IdempotencyKey, idempotent

    @router.post("/releases/{release_id}/evidence", auth=TokenAuth(Scope.EVIDENCE_WRITE),
                 response={201: EvidenceOut, 409: ErrorOut})
    def evidence_record(request, release_id: int, payload: EvidenceIn, key: IdempotencyKey):
        return idempotent(request, lambda: (201, evidence_service(..., actor=request.auth.user)))

`key: IdempotencyKey` only declares the header (required, 1..200 chars) in the schema; a
missing one is ninja's 422 naming `Idempotency-Key`. `fn` returns (status, body): a body is a
ninja Schema/pydantic model, a dict or a list. idempotent() returns a JsonResponse.

- First time: the record is inserted first, then `fn` runs, then its answer is stored, all in
  one transaction. A concurrent retry's insert waits on the first's uncommitted unique row, so
  it never runs `fn` too; once the first commits it replays that answer.
- Same token, key and request (method, path, body): the stored status and body, with the
  header `Idempotent-Replayed: true`.
- Same key, different request: 422 `idempotency_key_reused`, nothing run.
- `fn` raises (ApiError, Refused, ...): everything rolls back, the record too, so a retry with
  the same key runs again (the refusal may no longer hold). Only answers are replayed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from ninja import Header
from pydantic import BaseModel

from .errors import ApiError
from .models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IdempotencyKey = Annotated[
    str,
    Header(
        alias=HEADER,
        min_length=1,
        max_length=200,
        description="A unique key per logical write (e.g. the pipeline run id and step); "
        "a retry with the same key replays the first answer.",
    ),
]


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path, request.body):
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _jsonable(body: Any) -> Any:
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json", by_alias=True)
    # Round-trip so dates and decimals are stored exactly as they are answered.
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def _replay(record: IdempotencyRecord, request_hash: str) -> JsonResponse:
    if record.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used for a different request; use a new key.",
        )
    response = JsonResponse(record.response, status=record.status, safe=False)
    response[REPLAYED] = "true"
    return response


def idempotent(request: HttpRequest, fn: Callable[[], tuple[int, Any]]) -> JsonResponse:
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken):
        raise ApiError(401, "no_token", "A bearer token is required.")
    key = request.headers.get(HEADER, "").strip()
    if not key or len(key) > 200:
        raise ApiError(422, "idempotency_key_required", f"Send an {HEADER} header (1-200 chars).")
    request_hash = _request_hash(request)

    with transaction.atomic():
        try:
            # Savepoint: a duplicate key must not break the outer transaction.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    token=token, key=key, request_hash=request_hash
                )
        except IntegrityError:
            # The first request committed (we waited on its row): replay its answer.
            done = IdempotencyRecord.objects.get(token=token, key=key)
            return _replay(done, request_hash)
        status, body = fn()
        record.status = status
        record.response = _jsonable(body)
        record.save(update_fields=["status", "response"])
    return JsonResponse(record.response, status=status, safe=False)
