"""The one idempotency convention of the API: an ``Idempotency-Key`` header (read by
``gpassist.endpoints.idempotency_key``), stored per user on the row it created together with a
digest of the request. The same key with the same request replays the first result; the same key
with a different request is a 409. Settling a bill and recording a visit both use it.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel

from gpassist.errors import Conflict


def request_hash(data: BaseModel, **context: object) -> str:
    """A digest of the request as sent, canonicalised, to tell a replay from a different one.

    ``context`` adds what the path says (the patient of ``/patients/<id>/encounters``)."""
    document = {**data.model_dump(mode="json"), **({"_path": context} if context else {})}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_replay(stored_hash: str | None, digest: str, what: str) -> None:
    """Raise 409 when a key comes back with a request other than the one it first carried."""
    if stored_hash != digest:
        raise Conflict(
            f"This Idempotency-Key was used for a different {what}.",
            detail_zh=f"此请求键已用于另一{_zh(what)}，请刷新页面后重试。",
        )


def _zh(what: str) -> str:
    return {"bill": "笔账单", "visit": "次就诊"}.get(what, "个请求")
