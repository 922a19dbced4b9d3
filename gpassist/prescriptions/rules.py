"""The prescribing rules, as pure functions: no database, no Flask.

``check_prescription`` returns every refusal at once (a doctor fixes them all in one go), each with
the request field it is about (``body.lines.2.days``, the same paths as request validation) and a
reason in Chinese and English. The limits are those of 《处方管理办法》 (2007): at most five
Western or Chinese patent medicines on one prescription (第十九条 with the 处方书写规则), seven
days' supply as a rule, longer for chronic disease; the 2021 long-prescription rules
(《长期处方管理规范（试行）》) allow up to 12 weeks for a patient whose chronic disease is managed,
and ask for a recorded reason beyond four weeks.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from gpassist.labels import LabelledEnum
from gpassist.prescriptions.units import DoseForm, dose_text, format_amount, format_count

MAX_DRUGS = 5
STANDARD_MAX_DAYS = 7
LONG_MAX_DAYS = 84  # 12 weeks
LONG_REASON_AFTER_DAYS = 28  # 4 weeks
CHILD_UNDER_YEARS = 14  # paediatric dosing (儿科) up to the 14th birthday
_TOLERANCE = 1e-9  # floating-point slack when comparing doses with limits
PRN_MAX_TIMES = 3  # 必要时: counted as three doses a day for the limits and the supply


class Frequency(LabelledEnum):
    """How often a dose is taken: stored and sent as the usual Latin abbreviation, shown to the
    doctor and the patient as words (每日 3 次), never as ``tid``."""

    qd = "qd", "每日 1 次", "Once a day"
    bid = "bid", "每日 2 次", "Twice a day"
    tid = "tid", "每日 3 次", "Three times a day"
    qid = "qid", "每日 4 次", "Four times a day"
    q12h = "q12h", "每 12 小时 1 次", "Every 12 hours"
    q8h = "q8h", "每 8 小时 1 次", "Every 8 hours"
    q6h = "q6h", "每 6 小时 1 次", "Every 6 hours"
    qn = "qn", "每晚 1 次", "Once at night"
    prn = "prn", "必要时（每日至多 3 次）", "When needed (at most 3 times a day)"


TIMES_PER_DAY = {
    Frequency.qd: 1,
    Frequency.bid: 2,
    Frequency.tid: 3,
    Frequency.qid: 4,
    Frequency.q12h: 2,
    Frequency.q8h: 3,
    Frequency.q6h: 4,
    Frequency.qn: 1,
    # a dose "when needed" is checked and supplied as the most the label allows it to be taken
    Frequency.prn: PRN_MAX_TIMES,
}


@dataclass(frozen=True)
class DrugFacts:
    """What the prescribing rules know of a drug: names, generic group, strength, dose limits,
    pregnancy safety.
    """

    code: str
    name_zh: str
    name_en: str
    generic_group: str
    strength_value: float
    dose_unit: str
    max_daily_dose: float | None  # None: no reviewed limit in the catalog (refused, not unlimited)
    max_daily_dose_per_kg: float | None = None
    pregnancy: str = "ok"
    # ingredient groups a compound product carries besides its own group (消渴丸: glibenclamide;
    # 通宣理肺丸: ephedra), so that allergies, interactions and cautions see what is inside it
    ingredients: tuple[str, ...] = ()
    # the unit a dose is counted in (片, 粒, ml …); None: the dose unit itself, any amount
    dose_form: DoseForm | None = None
    max_single_dose: float | None = None  # in dose_unit; None: only the daily maximum applies
    # the limits are a label's adult doses drafted into the catalog (dose_source): with no
    # per-kg limit there is no child dose to check, so a child is refused
    adult_doses_only: bool = False

    @property
    def groups(self) -> frozenset[str]:
        """The drug's own generic group and its ingredient groups."""
        return frozenset((self.generic_group, *self.ingredients))


@dataclass(frozen=True)
class LineDraft:
    """A prescription line to check: drug, dose, frequency, days and quantity."""

    drug: DrugFacts
    dose: float  # per administration, in drug.dose_unit
    frequency: Frequency
    days: int
    quantity: int  # dispensing units
    # the request field the dose was written in: "dose" (in drug.dose_unit) or "dose_count"
    # (in the product's own unit, 片/粒/ml); refusals about the dose point at it
    dose_field: str = "dose"


@dataclass(frozen=True)
class PatientFacts:
    """What the prescribing rules know of the patient: age, weight, pregnancy, allergies,
    chronic enrolment, drugs taken and supply in hand.
    """

    age_years: int
    weight_kg: float | None
    pregnant: bool
    allergies: tuple[str, ...] = ()
    chronic_enrolled: bool = False
    current_drugs: tuple[DrugFacts, ...] = ()  # still being taken from earlier prescriptions
    # (generic group, days of supply still in hand) from earlier prescriptions, so that a second
    # prescription (the same day or later) cannot add up past the days limit
    running_supply: tuple[tuple[str, int], ...] = ()
    conditions: tuple[str, ...] = ()  # ICD-10 codes of the patient's confirmed diagnoses


@dataclass(frozen=True)
class Interaction:
    """A dangerous pair: any drug of ``groups_a`` with any of ``groups_b`` (generic groups)."""

    code: str
    groups_a: frozenset[str]
    groups_b: frozenset[str]
    effect_zh: str
    effect_en: str
    source: str

    def applies(self, group_1: str, group_2: str) -> bool:
        return (group_1 in self.groups_a and group_2 in self.groups_b) or (
            group_2 in self.groups_a and group_1 in self.groups_b
        )

    def applies_to(self, drug_1: DrugFacts, drug_2: DrugFacts) -> bool:
        """Whether any group of one drug (its own or an ingredient's) pairs with one of the
        other's."""
        return any(self.applies(g1, g2) for g1 in drug_1.groups for g2 in drug_2.groups)


@dataclass(frozen=True)
class Caution:
    """What a drug's label or the pharmacopoeia says about an ingredient: for which patients
    (a condition by ICD-10 prefix, pregnancy, everyone) or beyond how many days it must not
    (``refuse``) or should only with the doctor's acknowledgement (``warn``, 慎用) be given."""

    code: str
    ingredients: frozenset[str]  # ingredient or generic groups the caution is about
    level: str  # "refuse" | "warn"
    zh: str
    en: str
    source: str
    icd10_prefixes: tuple[str, ...] = ()
    in_pregnancy: bool = False
    max_days: int | None = None
    everyone: bool = False

    def reason(self, line: LineDraft, patient: PatientFacts) -> tuple[str, str] | None:
        """Why the caution applies to this line and patient (Chinese, English), or None."""
        if not self.ingredients & line.drug.groups:
            return None
        if self.everyone:
            return "所有患者", "every patient"
        if self.in_pregnancy and patient.pregnant:
            return "患者妊娠", "the patient is pregnant"
        hits = [c for c in patient.conditions if c.upper().startswith(self.icd10_prefixes)]
        if self.icd10_prefixes and hits:
            return f"患者诊断 {'、'.join(hits)}", f"the patient's diagnosis {', '.join(hits)}"
        if self.max_days is not None and line.days > self.max_days:
            return (
                f"开 {line.days} 天，超过 {self.max_days} 天",
                f"{line.days} days, over {self.max_days}",
            )
        return None


@dataclass(frozen=True)
class AllergyClass:
    """Names a patient's allergy may be recorded under (青霉素, penicillin) and the generic
    groups it covers."""

    names: frozenset[str]
    groups: frozenset[str]


@dataclass(frozen=True)
class Refusal:
    """A broken rule: the field path, a code, and the message in Chinese and English."""

    field: str
    code: str
    zh: str
    en: str
    caution: str | None = None  # a warn-level caution the doctor may acknowledge to go on

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "message": self.en, "message_zh": self.zh, "code": self.code}


def daily_dose(line: LineDraft) -> float:
    """The line's dose per day, in the drug's dose unit."""
    return line.dose * TIMES_PER_DAY[line.frequency]


def units_needed(dose: float, frequency: Frequency, days: int, strength_value: float) -> int:
    """Whole dispensing units that cover ``days`` of ``dose`` at ``frequency``."""
    need = dose * TIMES_PER_DAY[frequency] * days / strength_value
    return max(1, math.ceil(need - _TOLERANCE))


def max_days(patient: PatientFacts) -> int:
    """The most days a prescription may cover: 84 for a patient in chronic care, else 7."""
    return LONG_MAX_DAYS if patient.chronic_enrolled else STANDARD_MAX_DAYS


def _line(i: int, what: str) -> str:
    return f"body.lines.{i}.{what}"


def check_count(lines: Sequence[LineDraft]) -> list[Refusal]:
    """A refusal when the prescription holds more drugs than allowed."""
    if len(lines) <= MAX_DRUGS:
        return []
    return [
        Refusal(
            "body.lines",
            "too_many_drugs",
            f"一张西药、中成药处方最多开 {MAX_DRUGS} 种药品，本处方有 {len(lines)} 种。",
            f"A prescription holds at most {MAX_DRUGS} Western or Chinese patent medicines; "
            f"this one has {len(lines)}.",
        )
    ]


def check_duplicates(lines: Sequence[LineDraft]) -> list[Refusal]:
    """A refusal for each line of a generic group an earlier line already has."""
    seen: dict[str, int] = {}
    out = []
    for i, line in enumerate(lines):
        first = seen.setdefault(line.drug.generic_group, i)
        if first != i:
            out.append(
                Refusal(
                    _line(i, "drug"),
                    "duplicate_drug",
                    f"第 {i + 1} 行与第 {first + 1} 行是同一种药（{line.drug.name_zh}）。",
                    f"Line {i + 1} is the same drug as line {first + 1} ({line.drug.name_en}).",
                )
            )
    return out


def check_days(
    lines: Sequence[LineDraft], patient: PatientFacts, long_reason: str | None
) -> list[Refusal]:
    """Refusals for lines longer than the patient's limit, and a missing reason for a long
    prescription.
    """
    limit = max_days(patient)
    out = []
    for i, line in enumerate(lines):
        if line.days > limit:
            if patient.chronic_enrolled:
                zh = f"第 {i + 1} 行 {line.days} 天超过慢病长处方上限 {LONG_MAX_DAYS} 天（12 周）。"
                en = (
                    f"Line {i + 1}: {line.days} days exceeds the {LONG_MAX_DAYS}-day (12-week) "
                    "limit of a chronic-disease long prescription."
                )
            else:
                zh = (
                    f"第 {i + 1} 行 {line.days} 天超过 {STANDARD_MAX_DAYS} 天用量；"
                    "长处方仅限已纳入慢病管理的患者。"
                )
                en = (
                    f"Line {i + 1}: {line.days} days exceeds the {STANDARD_MAX_DAYS}-day supply; "
                    "longer prescriptions are for patients enrolled in a chronic-disease program."
                )
            out.append(Refusal(_line(i, "days"), "too_many_days", zh, en))
    longest = max((line.days for line in lines), default=0)
    if longest > LONG_REASON_AFTER_DAYS and longest <= limit and not long_reason:
        out.append(
            Refusal(
                "body.long_prescription_reason",
                "missing",
                f"超过 {LONG_REASON_AFTER_DAYS} 天（4 周）的长处方须注明理由。",
                f"A long prescription over {LONG_REASON_AFTER_DAYS} days (4 weeks) needs a "
                "recorded reason.",
            )
        )
    return out


def check_running_supply(lines: Sequence[LineDraft], patient: PatientFacts) -> list[Refusal]:
    """The days limit counts the supply still in hand: two 7-day prescriptions of one drug on the
    same day are 14 days' supply, refused like one 14-day line."""
    left_of: dict[str, int] = {}
    for group, left in patient.running_supply:
        left_of[group] = max(left_of.get(group, 0), left)
    limit = max_days(patient)
    out = []
    for i, line in enumerate(lines):
        left = left_of.get(line.drug.generic_group, 0)
        # a line over the limit on its own is already refused as too_many_days
        if left > 0 and left + line.days > limit and line.days <= limit:
            out.append(
                Refusal(
                    _line(i, "days"),
                    "supply_in_hand",
                    f"第 {i + 1} 行 {line.drug.name_zh}：患者仍有 {left} 天的用量，再开 "
                    f"{line.days} 天共 {left + line.days} 天，超过 {limit} 天上限。",
                    f"Line {i + 1}: the patient still has {left} days of {line.drug.name_en}; "
                    f"{line.days} more makes {left + line.days}, over the {limit}-day limit.",
                )
            )
    return out


def check_quantities(lines: Sequence[LineDraft]) -> list[Refusal]:
    """Refusals for lines that dispense more than their days need."""
    out = []
    for i, line in enumerate(lines):
        needed = units_needed(line.dose, line.frequency, line.days, line.drug.strength_value)
        if line.quantity > needed:
            out.append(
                Refusal(
                    _line(i, "quantity"),
                    "quantity_exceeds_days",
                    f"第 {i + 1} 行数量 {line.quantity} 超过 {line.days} 天所需的 {needed}。",
                    f"Line {i + 1}: quantity {line.quantity} is more than the {needed} that "
                    f"{line.days} days need.",
                )
            )
    return out


def amount_words(drug: DrugFacts, amount: float, lang: str = "zh") -> str:
    """An ingredient amount as the doctor counts it: "4 片（2 g）", or "2 g" when the product
    has no dose form."""
    if drug.dose_form is None:
        return format_amount(amount, drug.dose_unit)
    return dose_text(drug.dose_form, drug.dose_form.to_count(amount), drug.dose_unit, lang)


def check_dose_steps(lines: Sequence[LineDraft]) -> list[Refusal]:
    """Refusals for doses that cannot be given in the product's unit: less than its smallest
    divisible part (0.1 片; 0.5 mg of a 0.5 g tablet typed as if it were grams) or not a whole
    number of such parts (0.3 片 of a tablet that halves; ½ 粒 of a capsule)."""
    out = []
    for i, line in enumerate(lines):
        form = line.drug.dose_form
        if form is None:
            continue
        count = form.to_count(line.dose)
        if form.divisible(count):
            continue
        smallest = f"{format_count(form.step)} {form.unit_zh}"
        smallest_en = f"{format_count(form.step)} {form.unit_en}"
        amount = format_amount(form.to_amount(form.step), line.drug.dose_unit, form.display_unit)
        given = f"{count:.3g} {form.unit_zh}"
        given_en = f"{count:.3g} {form.unit_en}"
        if count < form.step:
            zh = (
                f"第 {i + 1} 行 {line.drug.name_zh} 每次 {given}，少于本品最小可分剂量 "
                f"{smallest}（{amount}）。"
            )
            en = (
                f"Line {i + 1}: {given_en} of {line.drug.name_en} a dose is less than the "
                f"smallest part of its unit, {smallest_en} ({amount})."
            )
            code = "dose_below_smallest_part"
        else:
            zh = (
                f"第 {i + 1} 行 {line.drug.name_zh} 每次 {given} 无法给药：本品只能按 "
                f"{smallest}（{amount}）的整数倍分取。"
            )
            en = (
                f"Line {i + 1}: {given_en} of {line.drug.name_en} cannot be given: it is "
                f"divided only in whole multiples of {smallest_en} ({amount})."
            )
            code = "dose_not_divisible"
        out.append(Refusal(_line(i, line.dose_field), code, zh, en))
    return out


def check_doses(lines: Sequence[LineDraft], patient: PatientFacts) -> list[Refusal]:
    """Refusals for single or daily doses above the drug's maximum, or a child's by weight (which
    needs the weight). A drug whose maximum the catalog does not record is refused too: a dose
    that cannot be checked must not pass as if the drug had no limit.
    """
    out = []
    for i, line in enumerate(lines):
        drug, daily = line.drug, daily_dose(line)
        if drug.max_daily_dose is None:
            out.append(
                Refusal(
                    _line(i, "drug"),
                    "dose_limit_unknown",
                    f"第 {i + 1} 行 {drug.name_zh}：药品目录未录入最大日剂量，无法核对剂量；"
                    "请县中心药房补录后再开。",
                    f"Line {i + 1}: the catalog has no maximum daily dose for {drug.name_en}, so "
                    "the dose cannot be checked; ask the county pharmacy to record it first.",
                )
            )
            continue
        if (
            patient.age_years < CHILD_UNDER_YEARS
            and drug.adult_doses_only
            and drug.max_daily_dose_per_kg is None
        ):
            out.append(_child_dose_unknown(i, drug))
            continue
        single = drug.max_single_dose
        if single is not None and line.dose > single + _TOLERANCE:
            out.append(
                Refusal(
                    _line(i, line.dose_field),
                    "single_dose_above_maximum",
                    f"第 {i + 1} 行每次 {amount_words(drug, line.dose)} 超过 {drug.name_zh} 的"
                    f"单次最大剂量 {amount_words(drug, single)}。",
                    f"Line {i + 1}: a dose of {amount_words(drug, line.dose, 'en')} exceeds the "
                    f"largest single dose of {drug.name_en}, {amount_words(drug, single, 'en')}.",
                )
            )
            continue
        if daily > drug.max_daily_dose + _TOLERANCE:
            out.append(
                Refusal(
                    _line(i, line.dose_field),
                    "dose_above_maximum",
                    f"第 {i + 1} 行日剂量 {amount_words(drug, daily)}（每次 "
                    f"{amount_words(drug, line.dose)}，{line.frequency.zh}）超过 {drug.name_zh} 的"
                    f"最大日剂量 {amount_words(drug, drug.max_daily_dose)}。",
                    f"Line {i + 1}: a daily dose of {amount_words(drug, daily, 'en')} "
                    f"({amount_words(drug, line.dose, 'en')} {line.frequency.en.lower()}) exceeds "
                    f"the maximum of {amount_words(drug, drug.max_daily_dose, 'en')} for "
                    f"{drug.name_en}.",
                )
            )
            continue
        if patient.age_years < CHILD_UNDER_YEARS and drug.max_daily_dose_per_kg is not None:
            out.extend(_check_child_dose(i, line, daily, patient))
    return out


def _child_dose_unknown(i: int, drug: DrugFacts) -> Refusal:
    return Refusal(
        _line(i, "drug"),
        "child_dose_unknown",
        f"第 {i + 1} 行 {drug.name_zh}：药品目录只录入了说明书的成人剂量，没有儿童剂量，"
        f"{CHILD_UNDER_YEARS} 岁以下不能开具。",
        f"Line {i + 1}: the catalog records only the label's adult dose of {drug.name_en}, no "
        f"child dose, so it cannot be prescribed under {CHILD_UNDER_YEARS}.",
    )


def _check_child_dose(
    i: int, line: LineDraft, daily: float, patient: PatientFacts
) -> list[Refusal]:
    drug = line.drug
    if patient.weight_kg is None:
        return [
            Refusal(
                "body.weight_kg",
                "missing",
                f"儿童用 {drug.name_zh} 须按体重核对剂量：请记录体重。",
                f"A child's dose of {drug.name_en} is checked by weight: record the weight.",
            )
        ]
    limit = drug.max_daily_dose_per_kg * patient.weight_kg  # type: ignore[operator]
    if daily <= limit + _TOLERANCE:
        return []
    return [
        Refusal(
            _line(i, line.dose_field),
            "dose_above_child_maximum",
            f"第 {i + 1} 行日剂量 {daily:g} {drug.dose_unit} 超过儿童上限 "
            f"{drug.max_daily_dose_per_kg:g} {drug.dose_unit}/kg × {patient.weight_kg:g} kg = "
            f"{limit:g} {drug.dose_unit}。",
            f"Line {i + 1}: a daily dose of {daily:g} {drug.dose_unit} exceeds the child limit of "
            f"{drug.max_daily_dose_per_kg:g} {drug.dose_unit}/kg × {patient.weight_kg:g} kg = "
            f"{limit:g} {drug.dose_unit}.",
        )
    ]


def pregnancy_caution(drug: DrugFacts) -> str:
    """The acknowledgement code of one drug's 孕妇慎用: each drug is acknowledged on its own, so
    accepting amlodipine's caution never lets a second such drug pass unseen."""
    return f"pregnancy:{drug.code}"


def check_pregnancy(
    lines: Sequence[LineDraft], patient: PatientFacts, acknowledged: Collection[str] = ()
) -> list[Refusal]:
    """Refusals for drugs contraindicated in pregnancy when the patient is pregnant, and for
    drugs whose pregnancy safety the catalog does not record (unknown is not safe). A drug the
    label says to use with care in pregnancy (孕妇慎用) is a warn-level caution: it goes on only
    once the doctor acknowledges it (``pregnancy_caution``), never silently."""
    if not patient.pregnant:
        return []
    out = []
    for i, line in enumerate(lines):
        if line.drug.pregnancy == "caution" and pregnancy_caution(line.drug) not in acknowledged:
            out.append(
                Refusal(
                    _line(i, "drug"),
                    "caution",
                    f"第 {i + 1} 行 {line.drug.name_zh}：孕妇慎用（患者妊娠；来源：药品目录）。"
                    "如确需使用，请确认知晓后开具。",
                    f"Line {i + 1} ({line.drug.name_en}): use with caution in pregnancy (the "
                    "patient is pregnant; source: the catalog). Acknowledge the caution to "
                    "prescribe it anyway.",
                    caution=pregnancy_caution(line.drug),
                )
            )
        if line.drug.pregnancy == "contraindicated":
            out.append(
                Refusal(
                    _line(i, "drug"),
                    "contraindicated_in_pregnancy",
                    f"第 {i + 1} 行 {line.drug.name_zh} 孕妇禁用。",
                    f"Line {i + 1}: {line.drug.name_en} is contraindicated in pregnancy.",
                )
            )
        elif line.drug.pregnancy == "unknown":
            out.append(
                Refusal(
                    _line(i, "drug"),
                    "pregnancy_safety_unknown",
                    f"第 {i + 1} 行 {line.drug.name_zh}：药品目录未录入孕期安全性，孕妇不能开具。",
                    f"Line {i + 1}: the catalog does not record whether {line.drug.name_en} is "
                    "safe in pregnancy, so it cannot be prescribed to a pregnant patient.",
                )
            )
    return out


_ALLERGY_WORDS = ("过敏史", "过敏", "allergy", "allergic")


def _allergy_name(allergy: str) -> str:
    """The drug or class a free-text allergy names: doctors write 青霉素过敏 and
    "penicillin allergy" as often as 青霉素, and the word 过敏 must not hide the drug."""
    text = allergy.strip().lower()
    for word in _ALLERGY_WORDS:
        text = text.replace(word, " ")
    return text.strip(" \t,，。.;；:：()（）")


def allergy_matches(allergy: str, drug: DrugFacts, classes: Sequence[AllergyClass]) -> bool:
    """Whether a recorded allergy (free text: 青霉素, 阿莫西林, penicillin) covers ``drug``."""
    text = _allergy_name(allergy)
    if not text:
        return False
    if text == drug.code.lower() or text in {g.lower() for g in drug.groups}:
        return True
    # A name inside the drug's name (阿莫西林 in 阿莫西林胶囊); one character matches too much.
    if len(text) >= 2 and (text in drug.name_zh.lower() or text in drug.name_en.lower()):
        return True
    # the class through any group: 磺脲类 covers the glibenclamide inside 消渴丸
    return any(text in c.names and drug.groups & c.groups for c in classes)


def check_allergies(
    lines: Sequence[LineDraft], patient: PatientFacts, classes: Sequence[AllergyClass]
) -> list[Refusal]:
    """Refusals for drugs matching one of the patient's recorded allergies or its class."""
    out = []
    for i, line in enumerate(lines):
        for allergy in patient.allergies:
            if allergy_matches(allergy, line.drug, classes):
                out.append(
                    Refusal(
                        _line(i, "drug"),
                        "allergy",
                        f"第 {i + 1} 行 {line.drug.name_zh}：患者有“{allergy}”过敏史。",
                        f"Line {i + 1}: the patient is recorded as allergic to {allergy!r} "
                        f"({line.drug.name_en}).",
                    )
                )
                break
    return out


def check_interactions(
    lines: Sequence[LineDraft], patient: PatientFacts, table: Sequence[Interaction]
) -> list[Refusal]:
    """Refusals for dangerous interactions between lines and with drugs the patient is
    taking.
    """
    out = []
    for j, line in enumerate(lines):
        for i in range(j):
            other = lines[i].drug
            for hit in _interactions(line.drug, other, table):
                out.append(
                    Refusal(
                        _line(j, "drug"),
                        "interaction",
                        f"第 {j + 1} 行 {line.drug.name_zh} 与第 {i + 1} 行 {other.name_zh} "
                        f"存在危险相互作用：{hit.effect_zh}（来源：{hit.source}）",
                        f"Line {j + 1} ({line.drug.name_en}) and line {i + 1} ({other.name_en}) "
                        f"interact dangerously: {hit.effect_en} (source: {hit.source})",
                    )
                )
        for current in patient.current_drugs:
            for hit in _interactions(line.drug, current, table):
                out.append(
                    Refusal(
                        _line(j, "drug"),
                        "interaction_with_current",
                        f"第 {j + 1} 行 {line.drug.name_zh} 与患者正在长期服用的 "
                        f"{current.name_zh} 存在危险相互作用："
                        f"{hit.effect_zh}（来源：{hit.source}）",
                        f"Line {j + 1} ({line.drug.name_en}) interacts dangerously with "
                        f"{current.name_en}, which the patient is taking: {hit.effect_en} "
                        f"(source: {hit.source})",
                    )
                )
    return out


def _interactions(a: DrugFacts, b: DrugFacts, table: Sequence[Interaction]) -> list[Interaction]:
    return [hit for hit in table if hit.applies_to(a, b)]


def check_cautions(
    lines: Sequence[LineDraft],
    patient: PatientFacts,
    cautions: Sequence[Caution],
    acknowledged: Collection[str] = (),
) -> list[Refusal]:
    """Refusals for the cautions that apply to a line and this patient: ``refuse`` ones always,
    ``warn`` ones (慎用) until the prescription acknowledges their code."""
    out = []
    for i, line in enumerate(lines):
        for caution in cautions:
            why = caution.reason(line, patient)
            if why is None:
                continue
            name = line.drug.name_zh
            if caution.level == "refuse":
                zh = f"第 {i + 1} 行 {name}：{caution.zh}（{why[0]}；来源：{caution.source}）"
                en = (
                    f"Line {i + 1} ({line.drug.name_en}): {caution.en} ({why[1]}; source: "
                    f"{caution.source})"
                )
                out.append(Refusal(_line(i, "drug"), "caution_refused", zh, en))
            elif caution.code not in acknowledged:
                zh = (
                    f"第 {i + 1} 行 {name}：{caution.zh}（{why[0]}；来源：{caution.source}）。"
                    "如确需使用，请确认知晓后开具。"
                )
                en = (
                    f"Line {i + 1} ({line.drug.name_en}): {caution.en} ({why[1]}; source: "
                    f"{caution.source}). Acknowledge the caution to prescribe it anyway."
                )
                out.append(Refusal(_line(i, "drug"), "caution", zh, en, caution=caution.code))
    return out


def check_prescription(
    lines: Sequence[LineDraft],
    patient: PatientFacts,
    *,
    long_reason: str | None = None,
    interactions: Sequence[Interaction] = (),
    allergy_classes: Sequence[AllergyClass] = (),
    cautions: Sequence[Caution] = (),
    acknowledged: Collection[str] = (),
) -> list[Refusal]:
    """Every reason to refuse this prescription; empty when it may be issued."""
    return [
        *check_count(lines),
        *check_duplicates(lines),
        *check_days(lines, patient, long_reason),
        *check_running_supply(lines, patient),
        *check_quantities(lines),
        *check_dose_steps(lines),
        *check_doses(lines, patient),
        *check_pregnancy(lines, patient, acknowledged),
        *check_allergies(lines, patient, allergy_classes),
        *check_interactions(lines, patient, interactions),
        *check_cautions(lines, patient, cautions, acknowledged),
    ]
