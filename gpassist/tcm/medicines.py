"""Suggested Chinese patent medicines in the clinic's terms: what is on this clinic's shelf first,
then what the central pharmacy sends; each with its usual line (dose, frequency, days from the
catalog) and what the prescribing rules say of it for this patient.

The rules are the prescription service's own (``prescriptions.service.review``): a medicine the
list offers is refused or warned for exactly the reasons issuing it would be. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.dosing import dose_form_of
from gpassist.clinics.tables import Drug, FormularyEntry
from gpassist.patients.tables import Patient
from gpassist.pharmacy import stock
from gpassist.prescriptions import rules
from gpassist.prescriptions import service as prescribing
from gpassist.prescriptions.units import DoseForm

# A patent medicine for an acute complaint is usually reviewed after three days; the doctor
# changes it in the prescription section when the course is longer.
DEFAULT_DAYS = 3
_TRY_FREQUENCIES = (rules.Frequency.tid, rules.Frequency.bid, rules.Frequency.qd)


@dataclass(frozen=True)
class Note:
    """A refusal or warning of the rules, for one suggested medicine."""

    code: str
    zh: str
    en: str
    caution: str | None = None


@dataclass
class Option:
    """One suggested medicine as the clinic can give it."""

    code: str
    drug: Drug | None
    where: str  # "clinic" (dispensed here) | "central" (the central pharmacy sends it)
    in_formulary: bool
    on_hand: int
    line: rules.LineDraft | None
    refusals: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)

    @property
    def prescribable(self) -> bool:
        return self.drug is not None and self.line is not None and not self.refusals


_LABEL_TIMES = re.compile(r"一日\s*(\d)")
_BY_TIMES = {1: rules.Frequency.qd, 2: rules.Frequency.bid, 3: rules.Frequency.tid}


def _frequencies(drug: Drug) -> tuple[rules.Frequency, ...]:
    """The label's own times a day first where the catalog keeps the label's line (感冒清热胶囊
    一次3粒，一日2次 is offered as 3 粒 twice a day, not 2 粒 three times), then three, two, one."""
    found = _LABEL_TIMES.search((drug.dose_source or {}).get("label") or "")
    first = _BY_TIMES.get(int(found.group(1))) if found else None
    if first is None:
        return _TRY_FREQUENCIES
    return (first, *(f for f in _TRY_FREQUENCIES if f is not first))


def usual_line(drug: Drug, days: int = DEFAULT_DAYS) -> rules.LineDraft | None:
    """The label's usual daily dose in whole units of the product's dose form at the label's
    times a day, else three, two or one times a day, else in its smallest parts where it may be
    divided (感冒清热颗粒 24 g a day → one 12 g sachet twice a day; 安宫牛黄丸 one pill a day,
    not half a pill twice); None when the catalog records no usual dose."""
    if drug.usual_daily_dose is None:
        return None
    form = dose_form_of(drug)
    for step in sorted({1.0, form.step}, reverse=True):
        for frequency in _frequencies(drug):
            per_dose = drug.usual_daily_dose / rules.TIMES_PER_DAY[frequency]
            steps = _whole_steps(per_dose, step, form)
            if steps is not None:
                # the dose the units hold: a third of 5.55 g is one 1.85 g bottle, not 1.8499… g
                return _draft(drug, form.to_amount(steps * step), frequency, days)
    return _draft(drug, drug.usual_daily_dose / 3, rules.Frequency.tid, days)


def _draft(drug: Drug, dose: float, frequency: rules.Frequency, days: int) -> rules.LineDraft:
    quantity = rules.units_needed(dose, frequency, days, drug.strength_value)
    return rules.LineDraft(prescribing.drug_facts(drug), dose, frequency, days, quantity)


def _whole_steps(per_dose: float, step: float, form: DoseForm) -> int | None:
    """How many ``step`` parts of the dose form hold ``per_dose``; None unless a whole number."""
    parts = form.to_count(per_dose) / step
    if parts >= 1 - 1e-9 and abs(parts - round(parts)) < 1e-9:
        return round(parts)
    return None


def _probe_line(drug: Drug) -> rules.LineDraft:
    # Without a usual dose the patient-level rules (pregnancy, allergy, interactions, cautions)
    # still apply; one unit a day for one day stands in for the dose.
    return rules.LineDraft(
        prescribing.drug_facts(drug), drug.strength_value, rules.Frequency.qd, 1, 1
    )


def _notes(refusals: Sequence[rules.Refusal]) -> tuple[list[Note], list[Note]]:
    hard = [Note(r.code, r.zh, r.en) for r in refusals if r.caution is None]
    soft = [Note(r.code, r.zh, r.en, r.caution) for r in refusals if r.caution is not None]
    return hard, soft


def _strip_line_number(note: Note) -> Note:
    # The rules speak of "第 1 行"; here there is one medicine and no line yet.
    return Note(
        note.code,
        note.zh.replace("第 1 行 ", "", 1),
        note.en.replace("Line 1 (", "(", 1).replace("Line 1: ", "", 1),
        note.caution,
    )


def patent_medicine_options(
    session: Session,
    codes: Sequence[str],
    clinic_id: int,
    patient: Patient,
    today: dt.date,
    *,
    weight_kg: float | None = None,
    days: int = DEFAULT_DAYS,
) -> list[Option]:
    """The suggested ``codes`` (best first, repeats dropped) ordered as the clinic gives them:
    on the clinic's shelf, then in its formulary but out of stock, then the central pharmacy;
    within each, the ones the rules allow first, the suggestion's order kept otherwise."""
    wanted = list(dict.fromkeys(codes))
    found = {
        d.code: d
        for d in session.scalars(select(Drug).where(Drug.code.in_(wanted), Drug.active.is_(True)))
    }
    formulary = set(
        session.scalars(
            select(FormularyEntry.drug_id).where(
                FormularyEntry.facility_id == clinic_id,
                FormularyEntry.drug_id.in_([d.id for d in found.values()]),
            )
        )
    )
    facts = prescribing.patient_facts(session, patient, weight_kg, today)
    options = [
        _option(session, code, found.get(code), formulary, clinic_id, facts, today, days)
        for code in wanted
    ]
    rank = {"clinic": 0, "central": 1}

    def order(option: Option) -> tuple[int, int, int]:
        return (rank[option.where], 0 if option.in_formulary else 1, 1 if option.refusals else 0)

    return sorted(options, key=order)


def _option(
    session: Session,
    code: str,
    drug: Drug | None,
    formulary: set[int],
    clinic_id: int,
    facts: rules.PatientFacts,
    today: dt.date,
    days: int,
) -> Option:
    if drug is None:
        missing = Note(
            "not_in_catalog",
            f"{code} 不在县药品目录中（或已停用），不能开具。",
            f"{code} is not in the county catalog (or is withdrawn) and cannot be prescribed.",
        )
        return Option(code, None, "central", False, 0, None, [missing])
    in_formulary = drug.id in formulary
    on_hand = stock.available(session, clinic_id, drug.id, today) if in_formulary else 0
    line = usual_line(drug, days)
    hard, soft = _notes(prescribing.review(session, facts, [line or _probe_line(drug)]))
    if line is None:
        hard.insert(
            0,
            Note(
                "usual_dose_unknown",
                f"药品目录未录入 {drug.name_zh} 的常用量，请在处方区手工填写剂量。",
                f"The catalog records no usual dose of {drug.name_en}; write the dose by hand "
                "in the prescription section.",
            ),
        )
    enough = line is not None and on_hand >= line.quantity
    return Option(
        code=code,
        drug=drug,
        where="clinic" if in_formulary and enough else "central",
        in_formulary=in_formulary,
        on_hand=on_hand,
        line=line,
        refusals=[_strip_line_number(n) for n in hard],
        warnings=[_strip_line_number(n) for n in soft],
    )
