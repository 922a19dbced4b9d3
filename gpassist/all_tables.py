"""Import every capability's tables so ``Base.metadata`` is complete (Alembic, tests)."""

from gpassist.audit import tables as audit_tables
from gpassist.auth import tables as auth_tables
from gpassist.clinics import tables as clinics_tables
from gpassist.db import Base
from gpassist.followup import tables as followup_tables
from gpassist.patients import tables as patients_tables
from gpassist.referrals import tables as referrals_tables
from gpassist.settlement import tables as settlement_tables

metadata = Base.metadata

__all__ = [
    "audit_tables",
    "auth_tables",
    "clinics_tables",
    "followup_tables",
    "metadata",
    "patients_tables",
    "referrals_tables",
    "settlement_tables",
]
