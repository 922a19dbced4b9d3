"""Diagnoses by name and code, as the printables and the picker's one-tap chips show them: the
names the doctor confirmed (``ConfirmedDiagnosis``), else the catalog's name of a bare code on the
visit, else the code alone. No Flask; reads only."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.db import SHANGHAI
from gpassist.diagnosis.catalog import DiagnosisCatalog, load_catalog
from gpassist.diagnosis.tables import ConfirmedDiagnosis
from gpassist.patients.tables import Encounter

RECENT_VISITS = 200  # how far back a patient's known diagnoses are looked for


@dataclass(frozen=True)
class NamedDiagnosis:
    """A diagnosis as printed: ``高血压（I10）``."""

    icd10: str
    zh: str | None
    en: str | None = None

    @property
    def label(self) -> str:
        return f"{self.zh}（{self.icd10}）" if self.zh else self.icd10


def _name_of(code: str, catalog: DiagnosisCatalog) -> NamedDiagnosis:
    listed = catalog.named(code)
    return NamedDiagnosis(code, listed.zh if listed else None, listed.en if listed else None)


def encounter_diagnoses(
    session: Session, encounters: Iterable[Encounter], catalog: DiagnosisCatalog | None = None
) -> list[NamedDiagnosis]:
    """The diagnoses on ``encounters`` (their ``diagnoses`` codes, in order: a code the doctor
    took off the visit is gone), each with the name the doctor last confirmed it by, else the
    catalog's."""
    encounters = list(encounters)
    if not encounters:
        return []
    catalog = catalog or load_catalog()
    confirmed = session.scalars(
        select(ConfirmedDiagnosis)
        .where(ConfirmedDiagnosis.encounter_id.in_([e.id for e in encounters]))
        .order_by(ConfirmedDiagnosis.id)
    )
    names = {row.icd10: NamedDiagnosis(row.icd10, row.name_zh, row.name_en) for row in confirmed}
    out: dict[str, NamedDiagnosis] = {}
    for encounter in encounters:
        for code in encounter.diagnoses or []:
            if code not in out:
                out[code] = names.get(code) or _name_of(code, catalog)
    return list(out.values())


@dataclass(frozen=True)
class KnownDiagnosis:
    """A diagnosis the patient is known to have: a program's, or one confirmed before."""

    icd10: str
    zh: str
    en: str | None
    program: str | None
    times_confirmed: int


def known_diagnoses(
    session: Session,
    patient_id: int,
    programs: Iterable[tuple[str, str, str, str | None]],
    catalog: DiagnosisCatalog | None = None,
    limit: int = 8,
) -> list[KnownDiagnosis]:
    """The patient's diagnoses to offer with one tap: the programs they are enrolled in
    (``(program, icd10, zh, en)``) first, then the codes of their recent visits, most often
    confirmed first."""
    catalog = catalog or load_catalog()
    visits = list(
        session.scalars(
            select(Encounter)
            .where(Encounter.patient_id == patient_id)
            .order_by(Encounter.id.desc())
            .limit(RECENT_VISITS)
        )
    )
    counts: Counter[str] = Counter()
    for visit in visits:
        counts.update(set(visit.diagnoses or []))
    named = {d.icd10: d for d in encounter_diagnoses(session, visits, catalog)}
    out: dict[str, KnownDiagnosis] = {}
    for program, code, zh, en in programs:
        out[code] = KnownDiagnosis(code, zh, en, program, counts.get(code, 0))
    for code, times in counts.most_common():
        name = named.get(code)
        if code in out or name is None or not name.zh:
            continue  # a bare code with no Chinese name cannot be a chip
        out[code] = KnownDiagnosis(code, name.zh, name.en, None, times)
    return list(out.values())[:limit]


def settlement_diagnoses(
    session: Session, settlement_id: int, patient_id: int, clinic_id: int, day: dt.date
) -> list[NamedDiagnosis]:
    """The diagnoses a receipt names: those of the visit the bill settled (its own link, or the
    visit whose prescription it paid), else those of the patient's visits at the clinic on the
    bill's day (Shanghai) for a counter bill without a visit."""
    from gpassist.prescriptions.tables import Prescription
    from gpassist.settlement.tables import Settlement

    billed_visit = session.scalar(
        select(Settlement.encounter_id).where(Settlement.id == settlement_id)
    )
    encounter_ids = (
        [billed_visit]
        if billed_visit is not None
        else list(
            session.scalars(
                select(Prescription.encounter_id).where(Prescription.settlement_id == settlement_id)
            )
        )
    )
    if encounter_ids:
        query = select(Encounter).where(Encounter.id.in_(encounter_ids))
    else:
        start = dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.UTC)
        query = select(Encounter).where(
            Encounter.patient_id == patient_id,
            Encounter.clinic_id == clinic_id,
            Encounter.occurred_at >= start,
            Encounter.occurred_at < start + dt.timedelta(days=1),
        )
    return encounter_diagnoses(session, session.scalars(query.order_by(Encounter.id)))


def referral_diagnoses(session: Session, referral) -> list[NamedDiagnosis]:
    """The diagnoses a referral letter names: those of the visit it came from (the follow-up's or
    the consultation's), and for a follow-up the program's own diagnosis."""
    from gpassist.consult.tables import Consultation
    from gpassist.followup.definitions import load_programs
    from gpassist.followup.tables import FollowUp
    from gpassist.referrals.tables import ReferralSource

    source = FollowUp if referral.source == ReferralSource.followup else Consultation
    row = session.get(source, referral.source_id) if referral.source_id else None
    encounter = session.get(Encounter, row.encounter_id) if row is not None else None
    found = encounter_diagnoses(session, [encounter] if encounter else [])
    program = load_programs().get(row.program) if isinstance(row, FollowUp) else None
    if program is not None:
        code = program.eligibility.icd10[0]
        if not any(d.icd10.startswith(code) for d in found):
            found.insert(0, NamedDiagnosis(code, program.name.zh, program.name.en))
    return found
