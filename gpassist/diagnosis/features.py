"""Feature encoding shared by training, export and the runtime.

Row layout (float32, in this order; the order is written to metadata.json as ``features``):

1. ``present:<code>`` for every model symptom — 1 when the symptom is present;
2. ``absent:<code>`` for every model symptom — 1 when the doctor asked and it is absent;
   so an **unknown** (not asked, or "not sure") symptom is 0 in both columns: the model is told
   nothing about it, which is what an interview needs (most symptoms are never asked);
3. when the model uses demographics (``general``): ``age:<band>`` one-hot over the eight SymCat
   age bands and ``sex:male`` / ``sex:female`` one-hot; an unknown age or sex is all zeros.

With this layout a linear-softmax model can represent the exact naive-Bayes posterior for any
subset of known symptoms (weights log P(present|c), log P(absent|c); unknown adds nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

AGE_BANDS = (
    ("age-1-years", 0, 0),
    ("age-1-4-years", 1, 4),
    ("age-5-14-years", 5, 14),
    ("age-15-29-years", 15, 29),
    ("age-30-44-years", 30, 44),
    ("age-45-59-years", 45, 59),
    ("age-60-74-years", 60, 74),
    ("age-75-years", 75, 200),
)
AGE_BAND_NAMES = tuple(b[0] for b in AGE_BANDS)
SEXES = ("male", "female")
STATES = ("present", "absent", "unknown")


def age_band(age: int | None) -> int | None:
    """Index of the SymCat age band for an age in whole years (None when unknown)."""
    if age is None:
        return None
    for index, (_, low, high) in enumerate(AGE_BANDS):
        if low <= age <= high:
            return index
    raise ValueError(f"age out of range: {age}")


@dataclass(frozen=True)
class FeatureSpace:
    symptoms: tuple[str, ...]
    demographics: bool

    @property
    def n_symptoms(self) -> int:
        return len(self.symptoms)

    @property
    def width(self) -> int:
        return 2 * self.n_symptoms + (len(AGE_BANDS) + len(SEXES) if self.demographics else 0)

    @property
    def age_offset(self) -> int:
        return 2 * self.n_symptoms

    @property
    def sex_offset(self) -> int:
        return self.age_offset + len(AGE_BANDS)

    def names(self) -> list[str]:
        names = [f"present:{s}" for s in self.symptoms] + [f"absent:{s}" for s in self.symptoms]
        if self.demographics:
            names += [f"age:{b}" for b in AGE_BAND_NAMES] + [f"sex:{s}" for s in SEXES]
        return names

    @classmethod
    def from_names(cls, names: list[str]) -> FeatureSpace:
        symptoms = tuple(n.removeprefix("present:") for n in names if n.startswith("present:"))
        space = cls(symptoms, demographics=any(n.startswith("age:") for n in names))
        if space.names() != list(names):
            raise ValueError("feature names are not in the layout this code writes")
        return space

    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.symptoms)}

    def encode(
        self,
        evidence: Mapping[str, str],
        age: int | None = None,
        sex: str | None = None,
        index: dict[str, int] | None = None,
    ) -> np.ndarray:
        """One float32 row; evidence codes outside the feature space are skipped (see runtime)."""
        index = index if index is not None else self.index()
        row = np.zeros(self.width, dtype=np.float32)
        for code, state in evidence.items():
            column = index.get(code)
            if column is None or state == "unknown":
                continue
            if state == "present":
                row[column] = 1.0
            elif state == "absent":
                row[self.n_symptoms + column] = 1.0
            else:
                raise ValueError(f"symptom {code}: state {state!r} is not one of {STATES}")
        if self.demographics:
            band = age_band(age)
            if band is not None:
                row[self.age_offset + band] = 1.0
            if sex is not None:
                row[self.sex_offset + SEXES.index(sex)] = 1.0
        return row

    def encode_arrays(
        self,
        present: np.ndarray,
        known: np.ndarray,
        bands: np.ndarray | None = None,
        sexes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Vectorised encoding: ``present``/``known`` are (n, n_symptoms) booleans; ``bands`` and
        ``sexes`` are int arrays with -1 for unknown."""
        n = present.shape[0]
        rows = np.zeros((n, self.width), dtype=np.float32)
        rows[:, : self.n_symptoms] = present & known
        rows[:, self.n_symptoms : 2 * self.n_symptoms] = ~present & known
        if self.demographics:
            for values, offset in ((bands, self.age_offset), (sexes, self.sex_offset)):
                if values is None:
                    continue
                have = values >= 0
                rows[np.flatnonzero(have), offset + values[have]] = 1.0
        return rows
