"""Request and response models for patients, households and encounters."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator, model_validator

from gpassist.db import shanghai_today
from gpassist.messages_zh import rule_error
from gpassist.patients.identity import id_problem
from gpassist.patients.tables import PregnancyStatus, Sex
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Page, Str

Name = Annotated[Str, Field(min_length=1, max_length=100)]
Phone = Annotated[Str, Field(pattern=r"^\+?[0-9][0-9 -]{4,18}[0-9]$")]
ICD10 = Annotated[
    Str,
    Field(
        pattern=r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$",
        description="ICD-10 code, e.g. I10 or E11.9",
        examples=["I10"],
    ),
]
SymptomTerm = Annotated[Str, Field(min_length=1, max_length=64)]
Allergy = Annotated[Str, Field(min_length=1, max_length=100)]


# identity.id_problem's reasons, as the registration form says them.
ID_PROBLEMS_ZH = {
    "must be 17 digits and a check character": "应为 17 位数字加 1 位校验码",
    "the last character must be a digit or X": "最后一位应是数字或 X",
    "characters 7–14 must be a real birth date": "第 7–14 位应是真实的出生日期",
    "the check character does not match": "校验码不对，请逐位核对",
}


def _not_future(value: dt.date) -> dt.date:
    if value > shanghai_today():
        raise rule_error("must not be in the future", "日期不能晚于今天。")
    return value


class HouseholdIn(ApiModel):
    code: Annotated[Str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$")] | None = Field(
        default=None, description="household number (户编号); generated when absent"
    )
    head_name: Name
    address: Annotated[Str, Field(max_length=200)] | None = None
    poverty_registered: bool = Field(default=False, description="建档立卡 poverty registration")
    poverty_registered_on: dt.date | None = None


class HouseholdOut(OutModel):
    id: int
    code: str
    head_name: str
    address: str | None
    poverty_registered: bool
    poverty_registered_on: dt.date | None


class ContractIn(ApiModel):
    """Family-doctor contract (签约): which doctor, from when to when."""

    doctor_id: DbId
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> ContractIn:
        if self.end < self.start:
            raise rule_error("end must not be before start", "签约结束日期不能早于开始日期。")
        return self


class PatientIn(ApiModel):
    name: Name
    sex: Sex
    birth_date: dt.date
    national_id: Annotated[Str, Field(min_length=18, max_length=18)] | None = Field(
        default=None, description="18-character resident ID; checked, stored, shown masked in lists"
    )
    phone: Phone | None = None
    village: Annotated[Str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="defaults to the clinic's village"
    )
    household_id: DbId | None = None
    drug_allergies: list[Allergy] = Field(default_factory=list, max_length=30)
    pregnancy_status: PregnancyStatus | None = None
    contract: ContractIn | None = None

    @field_validator("birth_date")
    @classmethod
    def _birth_date(cls, value: dt.date) -> dt.date:
        if value.year < 1900:
            raise rule_error("must be 1900 or later", "出生日期不能早于 1900 年。")
        return _not_future(value)

    @field_validator("national_id")
    @classmethod
    def _national_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        problem = id_problem(value)
        if problem:
            raise rule_error(problem, f"身份证号有误：{ID_PROBLEMS_ZH.get(problem, '请核对')}。")
        return value


class PatientUpdate(ApiModel):
    """Fields a doctor may correct or keep current; omitted fields are left as they are."""

    phone: Phone | None = None
    village: Annotated[Str, Field(min_length=1, max_length=100)] | None = None
    household_id: DbId | None = None
    drug_allergies: list[Allergy] | None = Field(default=None, max_length=30)
    pregnancy_status: PregnancyStatus | None = None
    contract: ContractIn | None = None


class PatientSummary(OutModel):
    """A row of a patient list: the ID and phone masked."""

    id: int
    name: str
    sex: Sex
    birth_date: dt.date
    age: int
    national_id_masked: str | None
    phone_masked: str | None
    village: str
    clinic_code: str
    poverty_registered: bool


class ContractOut(OutModel):
    doctor_id: int
    start: dt.date
    end: dt.date
    active: bool


class PatientDetail(PatientSummary):
    national_id: str | None = Field(description="unmasked only for the patient's own clinic")
    phone: str | None
    household: HouseholdOut | None
    drug_allergies: list[str]
    pregnancy_status: PregnancyStatus
    contract: ContractOut | None
    created_at: LocalDateTime


class PatientList(OutModel):
    items: list[PatientSummary]
    total: int


class PatientQuery(Page):
    q: Annotated[Str, Field(max_length=50)] | None = Field(
        default=None,
        description="name (contains), pinyin initials (prefix, e.g. zs for 张三), "
        "or the last 4 characters of the resident ID",
    )
    village: Annotated[Str, Field(max_length=100)] | None = None
    clinic: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="admins only: filter by clinic code"
    )


class Vitals(ApiModel):
    sbp: int | None = Field(default=None, ge=40, le=300, description="systolic BP, mmHg")
    dbp: int | None = Field(default=None, ge=20, le=200, description="diastolic BP, mmHg")
    heart_rate: int | None = Field(default=None, ge=20, le=250, description="beats/min")
    temperature_c: float | None = Field(default=None, ge=30, le=45)
    spo2: int | None = Field(default=None, ge=50, le=100, description="%")
    glucose_mmol_l: float | None = Field(default=None, ge=0.5, le=50)
    glucose_fasting: bool | None = Field(default=None, description="was the glucose fasting")
    weight_kg: float | None = Field(default=None, ge=0.5, le=300)

    @model_validator(mode="after")
    def _pressures(self) -> Vitals:
        if (self.sbp is None) != (self.dbp is None):
            raise rule_error(
                "give both sbp and dbp, or neither", "血压请同时填写收缩压和舒张压，或都不填。"
            )
        if self.sbp is not None and self.dbp is not None and self.dbp >= self.sbp:
            raise rule_error("dbp must be lower than sbp", "舒张压必须低于收缩压，请核对血压。")
        if self.glucose_fasting is not None and self.glucose_mmol_l is None:
            raise rule_error(
                "glucose_fasting needs glucose_mmol_l", "勾选了“空腹”，请同时填写血糖值。"
            )
        return self


class EncounterIn(ApiModel):
    occurred_at: AwareDatetime | None = Field(
        default=None, description="when the visit happened; default now; needs a UTC offset"
    )
    chief_complaint: Annotated[Str, Field(min_length=1, max_length=500)]
    symptoms: list[SymptomTerm] = Field(default_factory=list, max_length=60)
    vitals: Vitals = Field(default_factory=Vitals)
    diagnoses: list[ICD10] = Field(default_factory=list, max_length=20)
    notes: Annotated[Str, Field(max_length=4000)] | None = None


class EncounterUpdate(ApiModel):
    """Change a saved visit: what is given is replaced, what is left out stays.

    The visit page saves once (POST with an Idempotency-Key) and sends every later edit of the
    form here, so an edited visit stays one visit. ``vitals``, when given, replaces the recorded
    vitals as a whole (a field left out of it is cleared)."""

    chief_complaint: Annotated[Str, Field(min_length=1, max_length=500)] | None = None
    vitals: Vitals | None = None
    diagnoses: list[ICD10] | None = Field(default=None, max_length=20)
    notes: Annotated[Str, Field(max_length=4000)] | None = None


class VitalsOut(OutModel):
    sbp: int | None
    dbp: int | None
    heart_rate: int | None
    temperature_c: float | None
    spo2: int | None
    glucose_mmol_l: float | None
    glucose_fasting: bool | None
    weight_kg: float | None


class EncounterOut(OutModel):
    id: int
    patient_id: int
    clinic_code: str
    doctor_id: int
    occurred_at: LocalDateTime
    chief_complaint: str
    symptoms: list[str]
    vitals: VitalsOut
    diagnoses: list[str]
    notes: str | None
    created_at: LocalDateTime


class EncounterList(OutModel):
    items: list[EncounterOut]


def age_on(birth_date: dt.date, day: dt.date) -> int:
    years = day.year - birth_date.year
    return max(0, years - ((day.month, day.day) < (birth_date.month, birth_date.day)))


def months_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed months of age on ``day`` (a 2-month-old is 2 until the day it turns 3)."""
    months = (day.year - birth_date.year) * 12 + day.month - birth_date.month
    return max(0, months - (day.day < birth_date.day))
