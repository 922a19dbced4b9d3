"""The visit's own facts for a TCM suggestion made on an encounter: its recorded vitals and the
patient's known chronic conditions, written into the record as the ward records write them
(体格检查 "体温：36.8℃ 脉搏：88次/分 血压：165/100mmHg", 病史 "既往史：高血压"). No Flask.

Which engine reads what: the learned model's features read 主诉, 症状, 中医望闻切诊 and 病史 (not
体格检查); its scope check (``runtime.cardinal_findings``) reads a blood pressure reading in
体格检查 too, so a headache at a visit with a recorded 165/100 is in its scope; the knowledge
base reads 主诉, 症状, 中医望闻切诊, 性别 and 年龄 (``differentiation.RECORD_FIELDS``), and 病史
only for a past stroke (the red flags).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.diagnosis.service import recorded_history
from gpassist.followup.tables import FollowUp
from gpassist.patients.tables import Encounter
from gpassist.schemas import Text
from gpassist.tcm.text import spans

EXAMINATION = "体格检查"
HISTORY = "病史"
# The diagnosis panel's history-* findings (an active follow-up programme, or a hypertension or
# diabetes diagnosis on any of the patient's visits), named as 既往史 names them: 糖尿病, not
# 2型糖尿病, for the E10-E14 codes that also count.
KNOWN_CONDITIONS = {
    "history-hypertension": Text(zh="高血压", en="hypertension"),
    "history-diabetes": Text(zh="糖尿病", en="diabetes"),
}


@dataclass(frozen=True)
class Vitals:
    """The readings the examination states (None: not recorded)."""

    sbp: int | None = None
    dbp: int | None = None
    heart_rate: int | None = None
    temperature_c: float | None = None


@dataclass(frozen=True)
class VisitFacts:
    """Record fields to set (the request's own text kept first) and what was added, zh/en."""

    fields: dict[str, str] = field(default_factory=dict)
    notes: list[Text] = field(default_factory=list)


def visit_facts(session: Session, encounter: Encounter, history: str) -> VisitFacts:
    """The encounter's vitals as 体格检查 and the patient's known conditions that ``history``
    (the request's 病史) does not already name, appended to it as 既往史."""
    vitals = encounter_vitals(session, encounter)
    # only the conditions named here: another history finding the diagnosis panel learns later
    # is not a reason to fail the TCM suggestion
    known = recorded_history(session, encounter)
    conditions = [KNOWN_CONDITIONS[c] for c in known if c in KNOWN_CONDITIONS]
    return facts_of(vitals, conditions, history)


def facts_of(vitals: Vitals, conditions: list[Text], history: str) -> VisitFacts:
    """The record fields and notes for these vitals and known conditions (pure)."""
    fields: dict[str, str] = {}
    notes: list[Text] = []
    examination = examination_text(vitals)
    if examination:
        fields[EXAMINATION] = examination
        notes.append(
            Text(
                zh=f"已加入本次就诊记录的生命体征（体格检查）：{examination}",
                en="added the visit's recorded vitals (examination): "
                + examination_text(vitals, "en"),
            )
        )
    # a history that denies it (否认高血压病史) does not name it: the programme's record stands
    stated = "|".join(span.text for span in spans(history, item_scoped=True) if not span.negated)
    missing = [c for c in conditions if c.zh not in stated]
    if missing:
        past = "既往史：" + "，".join(c.zh for c in missing)
        fields[HISTORY] = f"{history}。{past}" if history else past
        notes.append(
            Text(
                zh=f"已加入病人的慢病记录（病史）：{past}",
                en="added the patient's known conditions (history): "
                + ", ".join(c.en for c in missing),
            )
        )
    return VisitFacts(fields, notes)


def encounter_vitals(session: Session, encounter: Encounter) -> Vitals:
    """The encounter's readings; one it lacks is taken from a follow-up recorded on it (the
    follow-up form keeps its readings on its own row when the visit was already saved)."""
    recorded = Vitals(encounter.sbp, encounter.dbp, encounter.heart_rate, encounter.temperature_c)
    follow_up = session.scalars(
        select(FollowUp).where(FollowUp.encounter_id == encounter.id).order_by(FollowUp.id.desc())
    ).first()
    if follow_up is None:
        return recorded
    pressure = (recorded.sbp, recorded.dbp)
    if recorded.sbp is None and follow_up.sbp is not None and follow_up.dbp is not None:
        pressure = (round(follow_up.sbp), round(follow_up.dbp))
    heart_rate = recorded.heart_rate
    if heart_rate is None and follow_up.heart_rate is not None:
        heart_rate = round(follow_up.heart_rate)
    temperature = recorded.temperature_c
    if temperature is None:
        temperature = follow_up.temperature
    return Vitals(*pressure, heart_rate, temperature)


# how a reading is written: the ward records' Chinese, and plain English for the note
_WRITTEN = {
    "zh": ("体温：{:.1f}℃", "脉搏：{}次/分", "血压：{}/{}mmHg", " "),
    "en": ("temperature {:.1f} °C", "pulse {}/min", "BP {}/{} mmHg", ", "),
}


def examination_text(vitals: Vitals, lang: str = "zh") -> str:
    """体温：36.8℃ 脉搏：88次/分 血压：165/100mmHg: the ward records' order and wording."""
    temperature, pulse, pressure, joiner = _WRITTEN[lang]
    parts = []
    if vitals.temperature_c is not None:
        parts.append(temperature.format(vitals.temperature_c))
    if vitals.heart_rate is not None:
        parts.append(pulse.format(vitals.heart_rate))
    if vitals.sbp is not None and vitals.dbp is not None:
        parts.append(pressure.format(vitals.sbp, vitals.dbp))
    return joiner.join(parts)
