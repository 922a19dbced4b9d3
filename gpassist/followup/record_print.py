"""The printable follow-up record (随访服务记录表) of one follow-up, in Chinese, laid out as the
national standard's hypertension or type-2 diabetes form."""

from __future__ import annotations

import datetime as dt

from gpassist.auth.tables import User
from gpassist.followup.form import ANSWERS, RECORD_SYMPTOM_NAMES
from gpassist.followup.reasons import SYMPTOM_NAMES, reason_text
from gpassist.followup.service import program
from gpassist.followup.tables import FollowUp
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Patient
from gpassist.printables import render


def answer(record: dict, field: str) -> str:
    """A coded answer of the record in the standard's words, or an empty cell."""
    value = record.get(field)
    return ANSWERS[field].get(value, ("", ""))[0] if value else ""


def follow_up_record_html(
    follow_up: FollowUp, patient: Patient, doctor: User | None, today: dt.date
) -> str:
    """The record of ``follow_up``: readings, lifestyle, adherence, classification, next date."""
    record = follow_up.record or {}
    definition = program(follow_up.program)
    symptoms = [RECORD_SYMPTOM_NAMES.get(s, (s, s))[0] for s in record.get("record_symptoms", [])]
    return render(
        "followup_record.html",
        issuer=patient.clinic.name_zh,
        document=f"{definition.name.zh}患者随访服务记录表",
        f=follow_up,
        r=record,
        diabetes=follow_up.program == "diabetes",
        patient=patient,
        age=age_on(patient.birth_date, follow_up.visit_date),
        doctor=doctor.display_name if doctor else "",
        symptoms="、".join(symptoms) or "无症状",
        warning_signs="、".join(SYMPTOM_NAMES.get(s, (s, s))[0] for s in follow_up.symptoms),
        answers={field: answer(record, field) for field in ANSWERS},
        reasons=[zh for zh, _en in map(reason_text, follow_up.reasons)],
        printed_on=today,
    )
