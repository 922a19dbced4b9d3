"""Keep the demo alive: move a synthetic county's demo timeline to the day it is opened.

The demo is planned as a snapshot of ``DEMO_TODAY`` (so every run plans the same rows) and then
dated for the day ``seed-demo`` runs: every date and time of what happened in the county —
visits, follow-ups and their due dates, referrals, prescriptions, orders, bills, stock — moves by
the same number of days. The county remembers the day its demo is dated for
(``counties.demo_as_of``), so a later run moves it on by the days since, and a second run on the
same day changes nothing. What did not happen in the county's story stays: birth dates (the
resident IDs carry them), users and tokens, the audit log, the registry's policies.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

import gpassist.all_tables  # noqa: F401  (every table in Base.metadata)
from gpassist.db import Base

# table → the columns that belong to the demo's timeline.
TIMELINE = {
    "households": ("poverty_registered_on", "created_at"),
    "patients": ("contract_start", "contract_end", "created_at"),
    "encounters": ("occurred_at", "created_at"),
    "diagnosis_suggestions": ("created_at",),
    "diagnosis_confirmations": ("confirmed_at",),
    "tcm_suggestions": ("created_at",),
    "followup_enrolments": (
        "enrolled_on",
        "withdrawn_on",
        "next_due",
        "last_follow_up_on",
        "created_at",
    ),
    "followup_visits": ("visit_date", "next_due", "created_at"),
    "followup_annual_checks": ("check_date", "created_at"),
    "chronic_certifications": ("certified_on", "revoked_on", "created_at"),
    "referrals": ("created_at", "closed_at"),
    "consultations": ("requested_at", "accepted_at", "started_at", "ended_at"),
    "consult_messages": ("sent_at",),
    "consult_attachments": ("uploaded_at",),
    "consult_read_receipts": ("read_at",),
    "prescriptions": ("issued_on", "created_at"),
    "pharmacy_orders": ("picked_up_at", "created_at", "updated_at"),
    "pharmacy_order_events": ("at",),
    "delivery_runs": ("created_at",),
    "stock_lots": ("expires_on", "received_at"),
    "stock_movements": ("created_at",),
    "settlement_bills": ("bill_date", "created_at"),
    "settlements": ("settled_on", "created_at", "reversed_at", "reversed_on"),
    "settlement_journal": ("created_at",),
}
# A unique index over a date: rows are moved latest first (earliest first when moving back), so
# no row lands on a date another row of the same enrolment still holds.
ORDER_BY = {"followup_visits": "visit_date"}


def shift_timeline(session: Session, days: int) -> int:
    """Move every timeline date and time by ``days`` (either way); returns the rows moved."""
    if days == 0:
        return 0
    session.flush()
    delta = dt.timedelta(days=days)
    moved = 0
    for name, columns in TIMELINE.items():
        table = Base.metadata.tables[name]
        moved += _shift_table(session, table, columns, delta)
    _recount_check_years(session, forward=days > 0)
    session.expire_all()  # the ORM's copies of the moved rows are stale
    return moved


def _recount_check_years(session: Session, *, forward: bool) -> None:
    """An annual check's ``year`` follows its moved date (one check a patient a year): a check
    that would land in a year the patient already has one for keeps its year. The latest checks
    move first (the earliest when moving back), so each frees its year for the one behind it."""
    table = Base.metadata.tables["followup_annual_checks"]
    order = table.c.check_date.desc() if forward else table.c.check_date.asc()
    rows = session.execute(
        select(table.c.id, table.c.patient_id, table.c.year, table.c.check_date).order_by(order)
    ).all()
    taken = {(r.patient_id, r.year) for r in rows}
    for row in rows:
        year = row.check_date.year
        if year == row.year or (row.patient_id, year) in taken:
            continue
        taken.discard((row.patient_id, row.year))
        taken.add((row.patient_id, year))
        session.execute(update(table).where(table.c.id == row.id).values(year=year))


def _shift_table(session: Session, table: Table, columns: tuple[str, ...], delta) -> int:
    keys = list(table.primary_key.columns)
    order = table.c[ORDER_BY[table.name]] if table.name in ORDER_BY else keys[0]
    query = select(*keys, *(table.c[c] for c in columns)).order_by(
        order.desc() if delta.days > 0 else order.asc()
    )
    rows = []
    for row in session.execute(query):
        ids = {f"_key{i}": row[i] for i in range(len(keys))}
        values = row[len(keys) :]
        rows.append(
            {**ids, **{f"_{c}": _moved(v, delta) for c, v in zip(columns, values, strict=True)}}
        )
    if not rows:
        return 0
    statement = (
        update(table)
        .where(*(key == bindparam(f"_key{i}") for i, key in enumerate(keys)))
        .values({c: bindparam(f"_{c}") for c in columns})
        .execution_options(synchronize_session=False)
    )
    if table.name in ORDER_BY:
        for row in rows:  # one at a time, in order
            session.execute(statement, row)
    else:
        session.execute(statement, rows)
    return len(rows)


def _moved(value, delta):
    return None if value is None else value + delta
