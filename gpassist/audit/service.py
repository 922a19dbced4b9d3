"""Record every write automatically, and read the log back.

A session listener writes one audit row per inserted, updated or deleted record at each flush, so
no service can forget to; ``record_event`` adds the events that are not row writes (logins).
The actor comes from ``session.info`` (set by the request's authentication or the CLI).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from gpassist.audit.tables import AuditEvent
from gpassist.db import utcnow

SYSTEM_ACTOR = "system"


def record_event(
    session: Session, action: str, entity: str, entity_id: int | str | None, detail: dict[str, Any]
) -> None:
    """Add an audit event for ``entity`` (``action`` and its ``detail``) with the session's actor
    and request id; written with the session's transaction, never on its own.
    """
    session.add(
        AuditEvent(
            at=utcnow(),
            actor=session.info.get("actor", SYSTEM_ACTOR),
            actor_id=session.info.get("actor_id"),
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            changes=detail,
            request_id=session.info.get("request_id"),
        )
    )


def _audited(obj: object) -> bool:
    return getattr(type(obj), "__audit__", True) and hasattr(type(obj), "__tablename__")


def _changed_fields(obj: object) -> list[str]:
    state = inspect(obj)
    return sorted(
        attr.key
        for attr in state.attrs
        if attr.history.has_changes() and attr.key in state.mapper.columns
    )


def _entity_id(obj: object) -> str | None:
    # ``state.identity`` is only set after the flush completes; read the key from the row itself.
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if any(part is None for part in key):
        return None
    return ":".join(str(part) for part in key)


def _after_flush(session: Session, _flush_context) -> None:
    now = utcnow()
    base = {
        "at": now,
        "actor": session.info.get("actor", SYSTEM_ACTOR),
        "actor_id": session.info.get("actor_id"),
        "request_id": session.info.get("request_id"),
    }
    rows = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not _audited(obj):
                continue
            fields = _changed_fields(obj) if action != "delete" else []
            if action == "update" and not fields:
                continue
            rows.append(
                {
                    **base,
                    "action": action,
                    "entity": type(obj).__tablename__,
                    "entity_id": _entity_id(obj),
                    "changes": {"fields": fields},
                }
            )
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def install_audit_listener() -> None:
    """Attach the listener to every Session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def list_events(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """Audit events, newest first, filtered by entity, entity id, actor and time, one page."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if since:
        query = query.where(AuditEvent.at >= since)
    return list(session.scalars(query.limit(limit).offset(offset)))
