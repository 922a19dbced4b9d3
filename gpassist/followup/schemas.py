"""Request and response models for enrolment, follow-ups, worklists and health checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator

from gpassist.followup.definitions import READING_RANGES, ProgramCode, known_symptoms
from gpassist.followup.rules import Classification
from gpassist.followup.tables import EnrolmentStatus, WithdrawReason
from gpassist.messages_zh import rule_error
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Str, Text

Note = Annotated[Str, Field(max_length=2000)]


def _range(name: str, description: str):
    low, high = READING_RANGES[name]
    return Field(default=None, ge=low, le=high, description=description)


class EnrolIn(ApiModel):
    program: ProgramCode
    enrolled_on: dt.date | None = Field(default=None, description="default: today (Asia/Shanghai)")


class WithdrawIn(ApiModel):
    reason: WithdrawReason
    withdrawn_on: dt.date | None = None


class EnrolmentOut(OutModel):
    id: int
    patient_id: int
    program: str
    program_name: Text
    status: EnrolmentStatus
    enrolled_on: dt.date
    withdrawn_on: dt.date | None
    withdraw_reason: WithdrawReason | None
    next_due: dt.date
    last_follow_up_on: dt.date | None
    last_classification: Classification | None
    last_urgent: bool
    last_referral: bool


class EnrolmentList(OutModel):
    items: list[EnrolmentOut]


# --- the national standard's follow-up record (随访服务记录表) -----------------------------------
# The fields of the standard's hypertension and type-2 diabetes forms that the rules do not read.
# The readings the rules read (BP, glucose, heart rate, adverse reaction, complication, urgent
# symptoms) stay the follow-up's own fields.

VisitMode = Literal["clinic", "home", "phone"]  # 门诊 / 家庭 / 电话
Level3 = Literal["good", "fair", "poor"]  # 良好 / 一般 / 差
Salt = Literal["light", "moderate", "heavy"]  # 轻 / 中 / 重
Adherence = Literal["regular", "intermittent", "none"]  # 规律 / 间断 / 不服药
Hypoglycaemia = Literal["none", "occasional", "frequent"]  # 无 / 偶尔 / 频繁
Pulse = Literal["normal", "weakened", "absent"]  # 触及正常 / 减弱 / 消失
# The standard's symptom checklists (an empty list is 无症状). Unlike the urgent symptoms above,
# these describe the visit and trigger nothing.
RECORD_SYMPTOMS = {
    "hypertension": (
        "headache_dizziness",  # 头痛头晕
        "nausea_vomiting",  # 恶心呕吐
        "blurred_vision_tinnitus",  # 眼花耳鸣
        "dyspnoea",  # 呼吸困难
        "palpitations_chest_tightness",  # 心悸胸闷
        "epistaxis",  # 鼻衄出血不止
        "limb_numbness",  # 四肢发麻
        "leg_oedema",  # 下肢水肿
    ),
    "diabetes": (
        "polydipsia",  # 多饮
        "polyphagia",  # 多食
        "polyuria",  # 多尿
        "blurred_vision",  # 视力模糊
        "infection",  # 感染
        "hand_foot_numbness",  # 手脚麻木
        "leg_oedema",  # 下肢浮肿
        "weight_loss",  # 体重明显下降
    ),
}
RecordSymptom = Literal[tuple(sorted({s for codes in RECORD_SYMPTOMS.values() for s in codes}))]  # type: ignore[valid-type]


class FollowUpRecord(ApiModel):
    """The rest of the standard's form: how the visit went, body measures, lifestyle, adherence."""

    visit_mode: VisitMode = "clinic"
    record_symptoms: list[RecordSymptom] = Field(default_factory=list, max_length=16)
    weight_kg: float | None = Field(default=None, ge=2, le=300)
    height_cm: float | None = Field(default=None, ge=40, le=250, description="for the BMI")
    bmi: float | None = Field(default=None, description="computed from weight and height")
    smoking_per_day: int | None = Field(default=None, ge=0, le=100, description="cigarettes")
    drinking_liang_per_day: float | None = Field(default=None, ge=0, le=50, description="两")
    exercise_times_per_week: int | None = Field(default=None, ge=0, le=21)
    exercise_minutes: int | None = Field(default=None, ge=0, le=600, description="per time")
    salt: Salt | None = Field(default=None, description="hypertension: salt intake")
    staple_food_g_per_day: int | None = Field(default=None, ge=0, le=2000, description="diabetes")
    psychological: Level3 | None = None
    compliance: Level3 | None = Field(default=None, description="遵医行为")
    adherence: Adherence | None = Field(default=None, description="服药依从性")
    adverse_reaction_detail: Note | None = None
    hypoglycaemia: Hypoglycaemia | None = Field(default=None, description="diabetes")
    dorsalis_pedis: Pulse | None = Field(default=None, description="diabetes: 足背动脉搏动")
    hba1c_percent: float | None = Field(default=None, ge=3, le=20)

    def with_bmi(self) -> FollowUpRecord:
        """The record with its BMI (kg/m², one decimal) when weight and height are known."""
        if self.weight_kg and self.height_cm:
            bmi = round(self.weight_kg / (self.height_cm / 100) ** 2, 1)
            return self.model_copy(update={"bmi": bmi})
        return self.model_copy(update={"bmi": None})


class FollowUpIn(ApiModel):
    """One face-to-face follow-up. Readings left out are taken from the linked encounter."""

    encounter_id: DbId | None = Field(
        default=None, description="the visit this follow-up belongs to; created when absent"
    )
    visit_date: dt.date | None = Field(
        default=None, description="without encounter_id: the visit's date (default today)"
    )
    programs: list[ProgramCode] | None = Field(
        default=None, description="default: every program the patient is enrolled in"
    )
    sbp: int | None = _range("sbp", "systolic BP, mmHg")
    dbp: int | None = _range("dbp", "diastolic BP, mmHg")
    fasting_glucose: float | None = _range("fasting_glucose", "mmol/L")
    heart_rate: int | None = _range("heart_rate", "beats/min")
    temperature: float | None = _range("temperature", "°C")
    adverse_reaction: bool = False
    new_complication: bool = Field(default=False, description="a new or worsening complication")
    symptoms: list[Annotated[Str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=30
    )
    medication_changes: Note | None = None
    notes: Note | None = None
    record: FollowUpRecord | None = Field(
        default=None, description="the standard form's other fields (随访服务记录表)"
    )

    @field_validator("dbp")
    @classmethod
    def _below_systolic(cls, dbp: int | None, info) -> int | None:
        # Checked here, with the field named, so a typo never reaches the rules or the record.
        sbp = info.data.get("sbp")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise rule_error("dbp must be lower than sbp", "舒张压必须低于收缩压，请核对血压。")
        return dbp

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, symptoms: list[str]) -> list[str]:
        unknown = sorted(set(symptoms) - known_symptoms())
        if unknown:
            raise rule_error(
                f"unknown symptom code {unknown[0]!r}; "
                f"known: {', '.join(sorted(known_symptoms()))}",
                f"不认识的症状“{unknown[0]}”，请从随访表的症状中选择。",
            )
        return symptoms


class ReferralBrief(OutModel):
    id: int
    department: str
    urgent: bool
    reasons: list[str]


class FollowUpOut(OutModel):
    id: int
    enrolment_id: int
    patient_id: int
    encounter_id: int
    program: str
    visit_date: dt.date
    sbp: float | None
    dbp: float | None
    fasting_glucose: float | None
    heart_rate: float | None
    temperature: float | None
    adverse_reaction: bool
    new_complication: bool
    symptoms: list[str]
    medication_changes: str | None
    notes: str | None
    record: dict
    classification: Classification
    classification_name: Text = Field(description="控制满意 / 控制不满意 / 不良反应 / 并发症")
    urgent_referral: bool
    referral: bool
    reasons: list[str]
    reason_texts: list[Text]
    next_due: dt.date
    created_at: LocalDateTime
    referral_record: ReferralBrief | None = None


class FollowUpResult(OutModel):
    follow_ups: list[FollowUpOut]


class FollowUpList(OutModel):
    items: list[FollowUpOut]


class WorklistQuery(ApiModel):
    clinic: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="admins: which clinic"
    )
    program: ProgramCode | None = None


class WorklistEntry(OutModel):
    enrolment_id: int
    patient_id: int
    patient_name: str
    age: int
    village: str
    program: str
    next_due: dt.date
    days_overdue: int
    last_follow_up_on: dt.date | None
    last_classification: Classification | None
    last_urgent: bool
    last_sbp: float | None
    last_dbp: float | None
    last_fasting_glucose: float | None


class Worklist(OutModel):
    kind: Literal["due_today", "due_this_week", "overdue", "lost"]
    as_of: dt.date
    items: list[WorklistEntry]


class AnnualCheckDueEntry(OutModel):
    patient_id: int
    patient_name: str
    age: int
    village: str
    programs: list[str]
    last_check_date: dt.date | None


class AnnualCheckDueList(OutModel):
    as_of: dt.date
    items: list[AnnualCheckDueEntry]


class AnnualCheckIn(ApiModel):
    check_date: dt.date | None = None
    encounter_id: DbId | None = None
    height_cm: float | None = Field(default=None, ge=40, le=250)
    weight_kg: float | None = Field(default=None, ge=2, le=300)
    waist_cm: float | None = Field(default=None, ge=30, le=250)
    findings: Note | None = None
    notes: Note | None = None


class AnnualCheckOut(OutModel):
    id: int
    patient_id: int
    year: int
    check_date: dt.date
    encounter_id: int | None
    findings: dict
    notes: str | None


class AnnualCheckList(OutModel):
    items: list[AnnualCheckOut]


class CertificationIn(ApiModel):
    disease: ProgramCode
    certified_on: dt.date
    certifying_facility: Annotated[Str, Field(max_length=64)] = Field(
        description="code of the certifying hospital"
    )
    certificate_no: Annotated[Str, Field(max_length=64)] | None = None


class CertificationOut(OutModel):
    id: int
    patient_id: int
    disease: str
    icd10: str
    certified_on: dt.date
    certifying_facility: str
    certificate_no: str | None
    revoked_on: dt.date | None


class CertificationList(OutModel):
    items: list[CertificationOut]
