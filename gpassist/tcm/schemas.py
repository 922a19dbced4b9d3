"""Request and response models of the TCM API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Str, Text

EntryCode = Annotated[
    Str, Field(min_length=1, max_length=64, description="a code from GET /api/v1/tcm/vocabulary")
]
ModelName = Annotated[
    Str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="default tbosd")
]
Category = Literal["tongue_colour", "coating", "pulse", "symptom"]


class SuggestIn(ApiModel):
    """Free text (as a record is written) and/or entries picked from the lists; both reach the
    same model. At least one finding is required."""

    chief_complaint: Str | None = Field(
        default=None, max_length=500, description="主诉", examples=["阵发性眩晕10年，加重半月"]
    )
    symptoms_text: Str | None = Field(
        default=None, max_length=4000, description="症状 as free text"
    )
    tongue_pulse_text: Str | None = Field(
        default=None, max_length=2000, description="中医望闻切诊: tongue, coating, pulse"
    )
    history: Str | None = Field(default=None, max_length=8000, description="病史")
    tongue_colour: list[EntryCode] = Field(default_factory=list, max_length=6)
    coating: list[EntryCode] = Field(default_factory=list, max_length=6)
    pulse: list[EntryCode] = Field(default_factory=list, max_length=6)
    symptoms: list[EntryCode] = Field(
        default_factory=list, max_length=60, description="symptoms present"
    )
    absent_symptoms: list[EntryCode] = Field(
        default_factory=list, max_length=60, description="symptoms asked about and denied"
    )
    model: ModelName | None = None
    encounter_id: DbId | None = Field(
        default=None, description="store the suggestion on this encounter"
    )
    icd10: Str | None = Field(
        default=None,
        pattern=r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,4})?$",
        description="the Western diagnosis (ICD-10) to start the TCM view from; by default the "
        "encounter's latest confirmed diagnosis",
        examples=["J06.9"],
    )


class FindingOut(OutModel):
    zh: str = Field(description="the finding as read in the record (无胸痛 when negated)")
    block: Literal["complaint", "tongue_pulse"]
    negated: bool


class DiseaseOut(OutModel):
    zh: str
    en: str
    probability: float
    supporting: list[FindingOut]


class SyndromeOut(OutModel):
    zh: str
    en: str
    probability: float
    suggested: bool
    supporting: list[FindingOut]


class StoredSyndrome(OutModel):
    """A syndrome as stored on the encounter (``TcmSuggestion.syndromes``) and read back by
    GET /encounters/<id>/tcm: the response's syndrome without its English name."""

    zh: str
    probability: float
    suggested: bool
    supporting: list[FindingOut]

    @classmethod
    def of(cls, syndrome: SyndromeOut) -> StoredSyndrome:
        """The stored form of a syndrome of the response."""
        return cls(
            zh=syndrome.zh,
            probability=syndrome.probability,
            suggested=syndrome.suggested,
            supporting=syndrome.supporting,
        )


class MedicineOut(OutModel):
    code: str
    zh: str
    en: str
    fit: Literal["full", "partial"]
    label: str = Field(description="功能主治 (label indication) the mapping rests on")
    in_catalog: bool
    in_formulary: bool | None = Field(
        description="stocked by the caller's clinic; null for users without a clinic"
    )


class TreatmentOut(OutModel):
    syndrome: Text
    principle: Text
    medicines: list[MedicineOut]
    note: Text | None


class ModelOut(OutModel):
    name: str
    version: str
    clinical: bool


class KbFindingOut(OutModel):
    zh: str = Field(description="the knowledge base's finding term (恶寒重, 苔薄白, 脉浮紧)")
    kind: Literal["main", "secondary", "tongue", "coating", "pulse", "against"]
    how: Literal["stated", "partial", "denied"] = Field(
        description="stated in the record, only its core stated (恶寒 for 恶寒重), or denied"
    )
    points: float = Field(description="signed contribution to the syndrome's score")


class KbMedicineOut(OutModel):
    code: str
    zh: str
    en: str
    in_catalog: bool
    in_formulary: bool | None = Field(
        description="stocked by the caller's clinic; null for users without a clinic"
    )
    note: Text | None = Field(default=None, description="a caution recorded with the medicine")


class KbSyndromeOut(OutModel):
    code: str
    zh: str
    en: str
    fit: float = Field(description="0-1 degree of match of the findings (not a probability)")
    supporting: list[KbFindingOut]
    against: list[KbFindingOut]
    principle: Text = Field(description="治法")
    formula: Text = Field(description="代表方")
    medicines: list[KbMedicineOut] = Field(
        description="Chinese patent medicines: the clinic's formulary first, then the catalog"
    )
    referral: bool
    source: str
    status: Literal["machine", "reviewed"]


class KbDiseaseOut(OutModel):
    code: str
    zh: str
    en: str
    term: str = Field(description="GB/T 16751.1-2021 term")
    fit: float = Field(
        description="best syndrome fit + complaint mention + ICD-10 prior boost, capped at 1"
    )
    mentioned: list[str] = Field(description="names of the disease the complaint uses")
    prior: float = Field(description="boost from the Western diagnosis (0 when none)")
    syndromes: list[KbSyndromeOut]


class AskNextOut(OutModel):
    zh: str
    kind: Literal["main", "secondary", "tongue", "coating", "pulse"]
    favours: str = Field(description="the syndrome the finding would speak for")


class RankedOut(OutModel):
    zh: str
    score: float


class CombinedOut(OutModel):
    learned_used: bool = Field(description="false when the record is outside the learned model")
    weights: dict[str, float] = Field(
        description="learned model's share of the disease and syndrome scores (cross-validated; "
        "disease 1 on a record written like the model's training records)"
    )
    diseases: list[RankedOut]
    syndromes: list[RankedOut]


class KbOut(OutModel):
    name: str
    version: str
    diseases: list[KbDiseaseOut] = Field(description="best first (at most 5)")
    margin: float | None = Field(description="fit of the leading syndrome minus the runner-up's")
    close: bool = Field(description="the two leading syndromes are within the ask-next margin")
    ask_next: list[AskNextOut]
    icd10: str | None
    icd10_source: Literal["request", "encounter"] | None
    icd10_diseases: list[str] = Field(description="KB disease codes the ICD-10 code maps to")
    red_flag: Text | None = Field(
        default=None,
        description="the leading disease leads on a stated red flag (a suspected stroke): "
        "what was stated and whether to refer at once",
    )
    notes: list[Text]
    combined: CombinedOut


class SuggestionOut(OutModel):
    model: ModelOut
    disease: DiseaseOut
    diseases: list[DiseaseOut]
    syndromes: list[SyndromeOut]
    treatments: list[TreatmentOut] = Field(description="for each suggested syndrome, top first")
    out_of_scope: bool
    scope_notes: list[Text]
    notice: Text
    suggestion_id: int | None
    from_visit: list[Text] = Field(
        default_factory=list,
        description="what the encounter added to the record both engines read: its recorded "
        "vitals (体格检查) and the patient's known chronic conditions (病史 既往史); empty "
        "without encounter_id",
    )
    kb_suggestion_id: int | None = Field(
        default=None,
        description="the knowledge base's 辨证 stored on the encounter (model kb:<name>)",
    )
    kb: KbOut | None = Field(
        default=None,
        description="辨证 over the knowledge base, combined with the learned model where it "
        "applies; null when no knowledge base is installed",
    )


class VocabularyQuery(ApiModel):
    q: Str | None = Field(
        default=None, max_length=50, description="Chinese, pinyin, pinyin initials or English"
    )
    category: Category | None = None
    limit: int = Field(default=50, ge=1, le=200)


class VocabularyEntryOut(OutModel):
    category: Category
    code: str
    zh: str
    en: str
    pinyin: str
    initials: str
    text: str
    feature: bool = Field(
        default=False, description="a tongue's shape or mark (胖大, 齿痕), ticked beside its colour"
    )


class VocabularyOut(OutModel):
    categories: dict[str, Text]
    items: list[VocabularyEntryOut]


class StoredSuggestionOut(OutModel):
    id: int
    model: str
    model_version: str
    request: dict
    disease: str
    disease_probability: float
    syndromes: list[StoredSyndrome] = Field(description="most probable first")
    out_of_scope: bool
    created_by_id: int
    created_at: LocalDateTime


class EncounterTcmOut(OutModel):
    encounter_id: int
    suggestions: list[StoredSuggestionOut]
