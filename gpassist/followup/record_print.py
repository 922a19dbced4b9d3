"""The printable follow-up record (随访服务记录表) of one follow-up, in Chinese, laid out as the
national standard's hypertension or type-2 diabetes form."""

from __future__ import annotations

import datetime as dt

from gpassist.auth.tables import User
from gpassist.followup.reasons import SYMPTOM_NAMES, reason_text
from gpassist.followup.service import program
from gpassist.followup.tables import FollowUp
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Patient
from gpassist.printables import render

# The standard's words for the record's coded answers.
ANSWERS = {
    "visit_mode": {"clinic": "门诊", "home": "家庭", "phone": "电话"},
    "salt": {"light": "轻", "moderate": "中", "heavy": "重"},
    "psychological": {"good": "良好", "fair": "一般", "poor": "差"},
    "compliance": {"good": "良好", "fair": "一般", "poor": "差"},
    "adherence": {"regular": "规律", "intermittent": "间断", "none": "不服药"},
    "hypoglycaemia": {"none": "无", "occasional": "偶尔", "frequent": "频繁"},
    "dorsalis_pedis": {"normal": "触及正常", "weakened": "减弱", "absent": "消失"},
}
RECORD_SYMPTOM_NAMES = {
    "headache_dizziness": "头痛头晕",
    "nausea_vomiting": "恶心呕吐",
    "blurred_vision_tinnitus": "眼花耳鸣",
    "dyspnoea": "呼吸困难",
    "palpitations_chest_tightness": "心悸胸闷",
    "epistaxis": "鼻衄出血不止",
    "limb_numbness": "四肢发麻",
    "leg_oedema": "下肢水肿",
    "polydipsia": "多饮",
    "polyphagia": "多食",
    "polyuria": "多尿",
    "blurred_vision": "视力模糊",
    "infection": "感染",
    "hand_foot_numbness": "手脚麻木",
    "weight_loss": "体重明显下降",
}


def answer(record: dict, field: str) -> str:
    """A coded answer of the record in the standard's words, or an empty cell."""
    value = record.get(field)
    return ANSWERS[field].get(value, "") if value else ""


def follow_up_record_html(
    follow_up: FollowUp, patient: Patient, doctor: User | None, today: dt.date
) -> str:
    """The record of ``follow_up``: readings, lifestyle, adherence, classification, next date."""
    record = follow_up.record or {}
    definition = program(follow_up.program)
    symptoms = [RECORD_SYMPTOM_NAMES.get(s, s) for s in record.get("record_symptoms", [])]
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
