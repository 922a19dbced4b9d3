"""Resident identity numbers (GB 11643-1999) and name search keys. Pure functions."""

from __future__ import annotations

import datetime as dt

from pypinyin import Style, lazy_pinyin

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The check character (0-9 or X) of an 18-character resident ID from its first 17."""
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_problem(national_id: str) -> str | None:
    """Why ``national_id`` is not a valid 18-character resident ID, or None if it is."""
    if len(national_id) != 18 or not national_id[:17].isdigit():
        return "must be 17 digits and a check character"
    if national_id[17] not in "0123456789X":
        return "the last character must be a digit or X"
    try:
        dt.date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
    except ValueError:
        return "characters 7–14 must be a real birth date"
    if check_digit(national_id[:17]) != national_id[17]:
        return "the check character does not match"
    return None


def birth_date_in_id(national_id: str) -> dt.date:
    """The birth date written in a resident ID (characters 7 to 14)."""
    return dt.date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))


def sex_in_id(national_id: str) -> str:
    """Odd 17th digit: male; even: female."""
    return "male" if int(national_id[16]) % 2 else "female"


def mask_id(national_id: str | None) -> str | None:
    """Show the region (6) and the last 4 characters only: 341825********123X."""
    if not national_id:
        return None
    return national_id[:6] + "*" * (len(national_id) - 10) + national_id[-4:]


def mask_phone(phone: str | None) -> str | None:
    """A phone number with all but the first three and last four digits hidden."""
    if not phone or len(phone) < 7:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def name_initials(name: str) -> str:
    """Pinyin initials for search: 张三丰 → ``zsf``; Latin letters are kept, lowercased."""
    parts = lazy_pinyin(name, style=Style.FIRST_LETTER)
    return "".join(p for p in parts if p.isascii() and p.isalnum()).lower()[:64]
