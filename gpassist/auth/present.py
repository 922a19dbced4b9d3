"""Users as response models."""

from __future__ import annotations

import datetime as dt

from gpassist.auth.schemas import UserOut
from gpassist.auth.tables import User
from gpassist.schemas import label_text, text_of


def user_out(user: User, locked_until: dt.datetime | None = None) -> UserOut:
    """A user with the role's name in Chinese and English, their clinic or department (and,
    in the user list, until when their login is locked)."""
    department = (
        f"{user.department.facility.code}/{user.department.code}" if user.department else None
    )
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_name=label_text(user.role),
        clinic_code=user.clinic.code if user.clinic else None,
        clinic_name=text_of(user.clinic, "name") if user.clinic else None,
        department=department,
        active=user.active,
        locked_until=locked_until,
    )
