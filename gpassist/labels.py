"""One home for the Chinese and English name of every enum member the users see.

A labelled enum is still a ``StrEnum`` whose value is the code stored in the database and sent
in the API; each member also carries its label in both languages, so a status, a role or a
payer is named the same way on the receipt, in the API's ``name`` fields and on the pages::

    class OrderStatus(LabelledEnum):
        pending = "pending", "待配药", "pending"

    OrderStatus.pending == "pending"; OrderStatus.pending.zh == "待配药"

Names that come from the county's data files (diseases, drugs, towns) are data, not labels, and
stay in those files.
"""

from __future__ import annotations

import enum
from typing import Self

LANGUAGES = ("zh", "en")


class LabelledEnum(enum.StrEnum):
    """A string enum whose members are declared as ``name = code, zh, en``."""

    zh: str
    en: str

    def __new__(cls, value: str, zh: str, en: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member

    def label(self, lang: str) -> str:
        """The label in ``lang`` ("zh" or "en"); Chinese, the county's language, otherwise."""
        return self.en if lang.startswith("en") else self.zh


def labelled_enums() -> list[type[LabelledEnum]]:
    """Every labelled enum defined so far (import the modules first), for checks and pages."""
    found: list[type[LabelledEnum]] = []
    pending = list(LabelledEnum.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
