"""续方: the patient's current long-term medicines, to prescribe again with one tap.

A medicine is long-term when its latest line in the last six months was written for more than
the standard seven days (a long prescription, which the rules allow only in chronic care), or
when it belongs to the essential-list class of a program the patient is enrolled in now
(antihypertensives for hypertension, glucose-lowering drugs for diabetes). Each generic group
appears once, with its latest dose, frequency and days. Nothing is written: the page adds the
lines and the prescription is checked by every rule when it is issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import Drug
from gpassist.followup.tables import Enrolment, EnrolmentStatus
from gpassist.prescriptions import rules
from gpassist.prescriptions.service import _never_sent
from gpassist.prescriptions.tables import Prescription, PrescriptionLine

LOOK_BACK_DAYS = 183
# the essential medicines list's subclasses whose drugs a program's patient takes long-term
PROGRAM_CLASSES = {
    "hypertension": ("抗高血压药",),
    "diabetes": ("胰岛素及口服降血糖药",),
}


@dataclass(frozen=True)
class CurrentMedicine:
    """A long-term medicine's latest line, and why it counts as long-term."""

    line: PrescriptionLine
    issued_on: dt.date
    program: str | None  # the program whose class it belongs to; None: a long prescription


def current_medicines(session: Session, patient_id: int, today: dt.date) -> list[CurrentMedicine]:
    """The patient's long-term medicines, latest line each, most recently prescribed first."""
    programs = set(
        session.scalars(
            select(Enrolment.program).where(
                Enrolment.patient_id == patient_id, Enrolment.status == EnrolmentStatus.active
            )
        )
    )
    rows = session.execute(
        select(PrescriptionLine, Prescription.issued_on)
        .join(Prescription, PrescriptionLine.prescription_id == Prescription.id)
        .join(Drug, PrescriptionLine.drug_id == Drug.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.issued_on >= today - dt.timedelta(days=LOOK_BACK_DAYS),
            PrescriptionLine.id.not_in(_never_sent()),
            Drug.active.is_(True),
        )
        .order_by(Prescription.issued_on.desc(), Prescription.id.desc(), PrescriptionLine.line_no)
    )
    seen: set[str] = set()
    out = []
    for line, issued_on in rows:
        group = line.drug.generic_group
        if group in seen:
            continue
        seen.add(group)
        program = _program_of(line.drug, programs)
        if program is not None or line.days > rules.STANDARD_MAX_DAYS:
            out.append(CurrentMedicine(line, issued_on, program))
    return out


def _program_of(drug: Drug, programs: set[str]) -> str | None:
    subclasses = {s for listing in drug.listings for s in (listing.subclass or "").split("；")}
    for program in sorted(programs):
        if subclasses & set(PROGRAM_CLASSES.get(program, ())):
            return program
    return None
