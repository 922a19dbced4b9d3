"""Import every capability's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from gpassist.audit import tables as audit_tables
from gpassist.auth import tables as auth_tables
from gpassist.clinics import tables as clinics_tables
from gpassist.consult import tables as consult_tables
from gpassist.db import Base
from gpassist.diagnosis import tables as diagnosis_tables
from gpassist.followup import tables as followup_tables
from gpassist.patients import tables as patients_tables
from gpassist.pharmacy import tables as pharmacy_tables
from gpassist.prescriptions import tables as prescriptions_tables
from gpassist.referrals import tables as referrals_tables
from gpassist.scheduler import SchedulerLease
from gpassist.settlement import tables as settlement_tables
from gpassist.tcm import tables as tcm_tables

metadata = Base.metadata

__all__ = [
    "SchedulerLease",
    "audit_tables",
    "auth_tables",
    "clinics_tables",
    "consult_tables",
    "diagnosis_tables",
    "followup_tables",
    "metadata",
    "patients_tables",
    "pharmacy_tables",
    "prescriptions_tables",
    "referrals_tables",
    "settlement_tables",
    "tcm_tables",
]
