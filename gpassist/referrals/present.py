"""Referrals as response models."""

from __future__ import annotations

from gpassist.followup.reasons import reason_text
from gpassist.referrals.schemas import ReferralOut
from gpassist.referrals.service import ReferralOutcome
from gpassist.referrals.tables import Referral
from gpassist.schemas import Text, text_of


def referral_out(r: Referral) -> ReferralOut:
    """A referral with its patient, department, reasons in Chinese and English, and outcome."""
    return ReferralOut(
        id=r.id,
        patient_id=r.patient_id,
        patient_name=r.patient.name,
        clinic_code=r.patient.clinic.code,
        department=f"{r.department.facility.code}/{r.department.code}",
        department_name=text_of(r.department, "name"),
        source=r.source,
        source_id=r.source_id,
        urgent=r.urgent,
        reasons=list(r.reasons),
        reason_texts=[Text(zh=zh, en=en) for zh, en in map(reason_text, r.reasons)],
        note=r.note,
        status=r.status,
        created_at=r.created_at,
        closed_at=r.closed_at,
        outcome=ReferralOutcome(r.outcome) if r.outcome else None,
        outcome_note=r.outcome_note,
    )
