"""Request and response models of the diagnosis API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from gpassist.messages_zh import rule_error
from gpassist.patients.schemas import ICD10
from gpassist.patients.tables import Sex
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Str, Text

ModelName = Annotated[
    Str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="a model name from GET /api/v1/diagnosis/models; default general",
        examples=["general"],
    ),
]
SymptomCode = Annotated[
    Str, Field(min_length=1, max_length=100, description="a symptom code of the model")
]
EvidenceValue = Literal["present", "absent", "unknown"]
Consciousness = Literal["alert", "confused", "voice", "pain", "unresponsive"]
MAX_EVIDENCE = 400


class TriageVitals(ApiModel):
    """Vital signs for triage; the ranges are the encounter's (physiologically possible)."""

    sbp: int | None = Field(default=None, ge=40, le=300, description="systolic BP, mmHg")
    dbp: int | None = Field(default=None, ge=20, le=200, description="diastolic BP, mmHg")
    heart_rate: int | None = Field(default=None, ge=20, le=250, description="beats/min")
    temperature_c: float | None = Field(default=None, ge=30, le=45)
    spo2: int | None = Field(default=None, ge=50, le=100, description="%")
    glucose_mmol_l: float | None = Field(default=None, ge=0.5, le=50)
    glucose_fasting: bool | None = Field(default=None, description="was the glucose fasting")
    respiratory_rate: int | None = Field(default=None, ge=4, le=120, description="breaths/min")
    consciousness: Consciousness | None = Field(
        default=None, description="ACVPU: alert, new confusion, responds to voice, to pain, none"
    )
    supplemental_oxygen: bool | None = Field(
        default=None, description="on oxygen when measured (NEWS2 scores it); omitted: air"
    )
    weight_kg: float | None = Field(default=None, ge=0.5, le=300)

    @field_validator("dbp")
    @classmethod
    def _below_systolic(cls, dbp: int | None, info: ValidationInfo) -> int | None:
        # A field validator (not a model one) so the error names body.vitals.dbp.
        sbp = info.data.get("sbp")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise rule_error("dbp must be lower than sbp", "舒张压必须低于收缩压，请核对血压。")
        return dbp


class SuggestIn(ApiModel):
    model: ModelName | None = Field(
        default=None, description="default general; benchmark models only when named"
    )
    # strict: JSON true would otherwise be age 1 and skip the adult-only triage rules
    age: int = Field(ge=0, le=120, strict=True, description="whole years")
    age_months: int | None = Field(
        default=None,
        ge=0,
        le=23,
        strict=True,
        description="an infant's age in whole months, 0-23 (optional; with encounter_id the "
        "service computes it from the patient's birth date)",
    )
    sex: Sex
    evidence: dict[SymptomCode, EvidenceValue] = Field(
        max_length=MAX_EVIDENCE,
        description="symptom code → present | absent | unknown (codes of the model in use)",
        examples=[{"fever": "present", "cough": "present", "sore-throat": "present"}],
    )
    vitals: TriageVitals | None = None
    month: int | None = Field(
        default=None,
        ge=1,
        le=12,
        description="month of the illness for the county's season (default: this month)",
    )
    encounter_id: DbId | None = Field(
        default=None, description="store the suggestion on this encounter (village doctors)"
    )


class InterviewIn(SuggestIn):
    questions_asked: int = Field(default=0, ge=0, le=100, description="questions asked so far")
    max_questions: int = Field(default=10, ge=1, le=50, description="stop after this many")


class SymptomRef(OutModel):
    code: str
    zh: str
    en: str


class Differential(OutModel):
    code: str
    icd10: str | None
    zh: str
    en: str
    urgency: str = Field(description="emergency | urgent | routine (knowledge base)")
    probability: float
    supporting: list[SymptomRef] = Field(description="present evidence that raised it most")


class StoredCondition(OutModel):
    """One entry of a differential as stored on the encounter (``DiagnosisSuggestion.differential``)
    and read back by GET /encounters/<id>/diagnosis: the supporting symptoms by code only."""

    condition: str = Field(description="the condition code of the model")
    icd10: str | None
    zh: str
    en: str
    probability: float
    supporting: list[str] = Field(description="symptom codes")

    @classmethod
    def of(cls, entry: Differential) -> StoredCondition:
        """The stored form of a differential entry of the response."""
        return cls(
            condition=entry.code,
            icd10=entry.icd10,
            zh=entry.zh,
            en=entry.en,
            probability=entry.probability,
            supporting=[s.code for s in entry.supporting],
        )


class TriageReason(OutModel):
    code: str
    level: str
    zh: str
    en: str
    field: str = Field(description="vitals.<name>, evidence or differential")
    value: int | float | str | list[str] = Field(
        description="the reading, the present codes or the conditions that fired the rule"
    )
    source: Text = Field(description="the guideline the rule follows")
    missing: list[str] = Field(
        default_factory=list, description="a score's parameters not measured (they score 0)"
    )


class ScoreItemOut(OutModel):
    parameter: str = Field(description="a vital sign (NEWS2) or a component (PEWS)")
    value: bool | int | float | str | None = Field(description="the reading that scored")
    points: int


class TriageScore(OutModel):
    name: Literal["news2", "pews"]
    total: int
    band: str = Field(description="low | low-medium (a single 3) | medium | high")
    level: Literal["emergency", "refer", "treat_here"] = Field(
        description="the level this score alone asks for"
    )
    items: list[ScoreItemOut] = Field(description="each parameter's points")
    missing: list[str] = Field(description="parameters not measured (they score 0)")
    source: Text


class TriageOut(OutModel):
    level: Literal["emergency", "refer", "treat_here"]
    reasons: list[TriageReason]
    scores: list[TriageScore] = Field(
        default_factory=list, description="early-warning scores: NEWS2 (≥ 16 y), PEWS (< 16 y)"
    )


class ModelRef(OutModel):
    name: str
    version: str
    title: Text
    clinical: bool


class DerivedFinding(OutModel):
    code: str
    zh: str
    en: str
    state: EvidenceValue
    source: str = Field(description="vitals.<name> or record (programme enrolment, diagnosis)")
    value: int | float | None = Field(description="the reading it was derived from")


class SuggestionOut(OutModel):
    model: ModelRef
    differential: list[Differential] = Field(description="top 10, most probable first")
    triage: TriageOut
    out_of_scope: bool
    notes: list[Text] = Field(description="why the case may be out of scope; benchmark warnings")
    ignored: list[str] = Field(description="evidence codes the model's features do not use")
    derived_findings: list[DerivedFinding] = Field(
        default_factory=list,
        description="findings added from the vitals and the patient's records (the doctor did "
        "not state them); they are part of the evidence ranked",
    )
    suggestion_id: int | None = Field(description="the stored suggestion, with encounter_id")


class InterviewOut(SuggestionOut):
    next_question: SymptomRef | None
    expected_gain: float | None = Field(description="the question's score (runtime's policy)")
    should_stop: bool


class ModelOut(OutModel):
    name: str
    title: Text
    version: str
    clinical: bool
    default: bool
    symptoms: int
    conditions: int
    metrics: dict[str, Any] = Field(description="headline held-out figures of the model card")


class ModelList(OutModel):
    items: list[ModelOut]


class SymptomQuery(ApiModel):
    q: Annotated[Str, Field(max_length=50)] | None = Field(
        default=None, description="Chinese, synonym, pinyin initials (fr), pinyin, English"
    )
    model: ModelName | None = None
    limit: int = Field(default=20, ge=1, le=500)


class SymptomHit(OutModel):
    code: str
    zh: str
    en: str
    synonyms: list[str]
    matched: str | None = Field(
        description="zh, synonym, initials, pinyin, en or code; broader: found through a "
        "broader code the model does not use (胸痛 chest-pain -> sharp-chest-pain)"
    )
    match: str | None = Field(description="exact, prefix, word_prefix or substring")


class SymptomList(OutModel):
    model: str
    items: list[SymptomHit]


class DiagnosisQuery(ApiModel):
    q: Annotated[Str, Field(min_length=1, max_length=50)] = Field(
        description="Chinese name, pinyin initials (gxy), pinyin, English or ICD-10 code (I10)"
    )
    limit: int = Field(default=20, ge=1, le=100)


class DiagnosisHit(OutModel):
    icd10: str
    zh: str | None = Field(description="null for a WHO code the list does not name in Chinese")
    en: str | None
    source: str = Field(
        description="program, general (the general KB), benchmark, or who (a WHO ICD-10 code "
        "with its English title only: confirm it with a Chinese name)"
    )
    matched: str | None = Field(default=None, description="zh, code, initials, pinyin or en")
    match: str | None = Field(default=None, description="exact, prefix, word_prefix, substring")


class DiagnosisList(OutModel):
    items: list[DiagnosisHit]


class KnownDiagnosis(OutModel):
    icd10: str
    zh: str
    en: str | None
    program: str | None = Field(description="the chronic program the patient is enrolled in")
    times_confirmed: int = Field(description="how many of the patient's visits confirmed it")


class KnownDiagnosisList(OutModel):
    items: list[KnownDiagnosis]


class ComplaintIn(ApiModel):
    """The complaint as typed (主诉); read, never stored."""

    text: Annotated[Str, Field(min_length=1, max_length=2000)] = Field(
        description="Chinese free text, e.g. 发热3天，咳嗽，无胸痛，昨日被蜱虫叮咬",
        examples=["发热3天，咳嗽，无胸痛，昨日被蜱虫叮咬"],
    )
    model: ModelName | None = Field(default=None, description="default general")


class ComplaintFinding(OutModel):
    code: str = Field(description="a symptom code of the model (one it uses where there is one)")
    zh: str
    en: str
    state: Literal["present", "absent"]
    duration_days: float | None = Field(description="how long (昨日 = 1, 今天 = 0); null: not said")
    start: int = Field(description="offset of the word in the text (Unicode characters)")
    end: int
    word: str = Field(description="the word of the text that matched")
    matched_code: str = Field(
        description="the code the word names; differs from code when the "
        "model does not use it and a narrower code was offered"
    )
    alternatives: list[str] = Field(description="other used codes for the same word")
    used: bool = Field(description="whether the model uses the code (a feature or evidence)")


class ComplaintClause(OutModel):
    text: str
    start: int
    end: int


class ComplaintOut(OutModel):
    model: str
    findings: list[ComplaintFinding] = Field(description="suggested findings, in text order")
    unmatched: list[ComplaintClause] = Field(description="clauses that matched nothing")


class ConfirmIn(ApiModel):
    """The doctor's confirmed diagnosis: a condition of the model, or a free ICD-10 code."""

    condition: Annotated[Str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="a condition code of the model of the latest suggestion"
    )
    model: ModelName | None = Field(
        default=None, description="the model of `condition`; default: the latest suggestion's"
    )
    icd10: ICD10 | None = None
    zh: Annotated[Str, Field(min_length=1, max_length=200)] | None = Field(
        default=None,
        description="Chinese name; with a code of GET /api/v1/diagnoses it picks that name "
        "(default: the code's first name there); needed with a code the list does not carry",
    )
    en: Annotated[Str, Field(min_length=1, max_length=200)] | None = None


class ConfirmedOut(OutModel):
    id: int
    encounter_id: int
    condition: str | None
    model: str | None
    icd10: str
    zh: str
    en: str | None
    suggestion_id: int | None
    matched_top1: bool | None = Field(description="null when no suggestion was stored before")
    in_top3: bool | None
    confirmed_by_id: int
    confirmed_at: LocalDateTime


class ConfirmResult(ConfirmedOut):
    encounter_diagnoses: list[str] = Field(description="the encounter's ICD-10 list after this")


class StoredSuggestion(OutModel):
    id: int
    mode: str
    model: str
    model_version: str
    request: dict[str, Any]
    differential: list[StoredCondition] = Field(description="top 10, most probable first")
    triage_level: str
    triage_reasons: list[dict[str, Any]]
    out_of_scope: bool
    created_by_id: int
    created_at: LocalDateTime


class EncounterDiagnosis(OutModel):
    encounter_id: int
    suggestions: list[StoredSuggestion] = Field(description="newest first")
    confirmed: list[ConfirmedOut] = Field(description="oldest first")
