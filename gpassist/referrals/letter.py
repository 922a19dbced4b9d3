"""The printable referral letter (转诊单) the patient carries to the county hospital, in Chinese."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from gpassist.diagnosis.naming import referral_diagnoses
from gpassist.followup.reasons import reason_text
from gpassist.patients.schemas import age_on
from gpassist.printables import render
from gpassist.referrals.tables import Referral


def referral_letter_html(session: Session, referral: Referral, today: dt.date) -> str:
    """The letter of ``referral``: who is sent, with which diagnoses, to which department, why;
    ages on ``today``."""
    patient = referral.patient
    return render(
        "referral_letter.html",
        issuer=patient.clinic.name_zh,
        document="双向转诊（转出）单",
        referral=referral,
        patient=patient,
        age=age_on(patient.birth_date, today),
        diagnoses=referral_diagnoses(session, referral),
        reasons=[zh for zh, _en in map(reason_text, referral.reasons)],
    )
