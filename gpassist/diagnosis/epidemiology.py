"""The county's season and region applied to the diagnosis posterior. No Flask.

``gpassist load-clinics`` stores the county's ``epidemiology.yaml`` (``clinics.schemas.
EpidemiologyFile``) in ``county_epidemiology``; ``current(session)`` reads the active document and
``Multipliers`` turns it into one factor per condition of a model for a month, an age and the
evidence:

    m_c = season_c(month, age) × endemic_c × (absent_c unless a travel finding is present)
          × (imported_c when its travel finding is present)

The posterior becomes P'(c | x) ∝ P(c | x) · m_c. Since P(c | x) = softmax(z_c) with z_c the
model's logit (log prior + log-likelihoods), P(c | x) · m_c ∝ exp(z_c + log m_c): multiplying and
renormalising is exactly adding log m_c to the model's log prior, i.e. replacing the annual base
rate π_c by π_c · m_c. Conditions the model does not know are skipped; without a stored document
every m_c is 1 (neutral).

Parsed documents and compiled tables are cached per process, keyed by the document's content, so
a reload (a changed document) is picked up at the next request without a restart.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.schemas import EpidemiologyFile
from gpassist.clinics.tables import CountyEpidemiology


@dataclass(frozen=True)
class Epidemiology:
    """A stored document and its parsed form; equal (and cached) by the document's text."""

    document: str
    file: EpidemiologyFile = field(compare=False)

    def __getattr__(self, name: str):  # reads like the file it holds
        return getattr(self.file, name)


def current(session: Session) -> Epidemiology | None:
    """The active epidemiology document of the county (None: none stored)."""
    document = session.scalars(
        select(CountyEpidemiology.document)
        .where(CountyEpidemiology.active)
        .order_by(CountyEpidemiology.id)
        .limit(1)
    ).first()
    if document is None:
        return None
    return parse(json.dumps(document, sort_keys=True))


@functools.lru_cache(maxsize=16)
def parse(document: str) -> Epidemiology:
    return Epidemiology(document, EpidemiologyFile.model_validate_json(document))


class Multipliers:
    """An epidemiology document compiled against one model's labels."""

    def __init__(
        self,
        labels: tuple[str, ...],
        regional: Mapping[str, str],
        epi: EpidemiologyFile,
        aliases: Mapping[str, str] | None = None,
    ):
        # a file may name a condition by an alias of the KB (aliases.csv): it counts as the code
        index = {code: i for i, code in enumerate(labels)}
        for old, new in (aliases or {}).items():
            if new in index:
                index.setdefault(old, index[new])
        n = len(labels)
        # (rule, min_age, max_age, (12, C) month factors): age-limited entries apply apart
        self.seasons: list[tuple[int | None, int | None, np.ndarray]] = []
        for entry in epi.season:
            if entry.condition not in index:
                continue
            table = np.ones((12, n))
            table[:, index[entry.condition]] = entry.months
            self.seasons.append((entry.min_age, entry.max_age, table))
        self.endemic = np.ones(n)
        for entry in epi.endemic:
            if entry.condition in index:
                self.endemic[index[entry.condition]] *= entry.multiplier
        self.absent = np.ones(n)
        self.unless: tuple[str, ...] = ()
        if epi.absent is not None:
            codes = set(epi.absent.conditions)
            codes |= {c for c, tag in regional.items() if tag in epi.absent.kb_regional}
            for code in codes & set(index):
                self.absent[index[code]] = epi.absent.multiplier
            self.unless = epi.absent.unless_present
        # (findings that trigger it, factor per condition): imported diseases given travel
        self.imported: list[tuple[tuple[str, ...], np.ndarray]] = []
        for entry in epi.imported:
            if entry.condition in index:
                factor = np.ones(n)
                factor[index[entry.condition]] = entry.multiplier
                self.imported.append((entry.when_present, factor))

    def factors(self, month: int, age: int | None, evidence: Mapping[str, str]) -> np.ndarray:
        """m_c for ``month`` (1-12), the patient's age (None: age-limited entries apply) and the
        evidence (a present ``unless_present`` finding lifts the absence)."""
        result = self.endemic.copy()
        for min_age, max_age, table in self.seasons:
            if age is not None and (
                (min_age is not None and age < min_age) or (max_age is not None and age > max_age)
            ):
                continue
            result *= table[month - 1]
        if not _any_present(evidence, self.unless):
            result *= self.absent
        for codes, factor in self.imported:
            if _any_present(evidence, codes):
                result *= factor
        return result


def _any_present(evidence: Mapping[str, str], codes: tuple[str, ...]) -> bool:
    return any(evidence.get(code) == "present" for code in codes)


@functools.lru_cache(maxsize=32)
def _compiled(model, epi: Epidemiology) -> Multipliers:
    regional = {code: c.regional for code, c in model.kb.conditions.items()}
    aliases = {old: new for (kind, old), new in model.kb.aliases.items() if kind == "condition"}
    return Multipliers(model.labels, regional, epi.file, aliases)


def multipliers_for(
    model,
    epi: Epidemiology | EpidemiologyFile | None,
    month: int,
    age: int | None,
    evidence: Mapping[str, str],
) -> np.ndarray | None:
    """The factors for ``model``'s labels, or None (neutral) without a document. ``epi`` is a
    stored document (``current``) or a file read elsewhere (e.g. a county folder)."""
    if epi is None:
        return None
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, not {month}")
    if isinstance(epi, EpidemiologyFile):
        epi = parse(epi.model_dump_json())
    return _compiled(model, epi).factors(month, age, evidence)
