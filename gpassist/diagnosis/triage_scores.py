"""Early-warning scores for triage: NEWS2 (adults, ≥ 16 y) and Brighton PEWS (children, < 16 y).

Pure functions over the vitals and the red-flag signs present; the charts live in
``triage_scores.yaml``. A parameter not measured scores nothing and is named in ``missing``, so a
low score on two readings is never read as a low score on seven.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

SCORES_FILE = Path(__file__).resolve().parent / "triage_scores.yaml"
NEWS2_PARAMETERS = (
    "respiratory_rate",
    "spo2",
    "supplemental_oxygen",
    "sbp",
    "heart_rate",
    "consciousness",
    "temperature_c",
)
PEWS_COMPONENTS = ("behaviour", "cardiovascular", "respiratory")
NOT_ALERT = ("confused", "voice", "pain", "unresponsive")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    zh: str
    en: str


class Band(_Strict):
    upto: float | None = None
    value: str | bool | None = None
    points: int = Field(ge=0, le=3)


class Response(_Strict):
    min_total: int | None = None
    single: int | None = None
    level: Literal["treat_here", "refer", "emergency"]
    band: str

    def matches(self, total: int, highest: int) -> bool:
        if self.single is not None:
            return highest >= self.single
        return total >= (self.min_total or 0)


class News2Chart(_Strict):
    min_age: int
    source: str
    parameters: dict[str, tuple[Band, ...]]
    response: tuple[Response, ...]


class NormalRange(_Strict):
    max_age: int
    respiratory_rate: tuple[int, int]
    heart_rate: tuple[int, int]


class PewsChart(_Strict):
    max_age: int
    source: str
    ranges_source: str
    bradycardia_margin: int = Field(ge=0)
    normal: tuple[NormalRange, ...]
    response: tuple[Response, ...]


class ScoreBook(_Strict):
    sources: dict[str, Source]
    news2: News2Chart
    pews: PewsChart


@functools.cache
def load_scores(path: Path = SCORES_FILE) -> ScoreBook:
    """The charts in ``path``, validated once."""
    return ScoreBook.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class ScoreItem:
    parameter: str  # a vital (NEWS2) or a component (PEWS)
    value: float | str | bool | None  # the reading that scored (PEWS: the reading behind it)
    points: int


@dataclass(frozen=True)
class Score:
    name: str  # news2 | pews
    total: int
    band: str  # low | low-medium | medium | high
    level: str  # treat_here | refer | emergency
    items: tuple[ScoreItem, ...]
    missing: tuple[str, ...]
    source: str
    source_zh: str
    source_en: str


def _points(bands: tuple[Band, ...], reading: Any) -> int:
    if isinstance(reading, bool | str):
        return next(b.points for b in bands if b.value == reading)
    return next(b.points for b in bands if b.upto is None or reading <= b.upto)


def _score(book: ScoreBook, name: str, chart, items, missing) -> Score:
    total = sum(item.points for item in items)
    highest = max((item.points for item in items), default=0)
    response = next(r for r in chart.response if r.matches(total, highest))
    source = book.sources[chart.source]
    return Score(
        name=name,
        total=total,
        band=response.band,
        level=response.level,
        items=tuple(items),
        missing=tuple(missing),
        source=chart.source,
        source_zh=source.zh,
        source_en=source.en,
    )


def news2(vitals: Mapping[str, Any], book: ScoreBook | None = None) -> Score | None:
    """NEWS2 of the readings given; None when not one of its parameters was measured."""
    book = book or load_scores()
    chart = book.news2
    items, missing = [], []
    for parameter in NEWS2_PARAMETERS:
        reading = vitals.get(parameter)
        if reading is None:
            # Oxygen not mentioned: a village clinic's patient breathes air; scored as air.
            if parameter != "supplemental_oxygen":
                missing.append(parameter)
            continue
        items.append(ScoreItem(parameter, reading, _points(chart.parameters[parameter], reading)))
    if all(item.parameter == "supplemental_oxygen" for item in items):
        return None  # nothing measured: no score rather than a reassuring 0
    return _score(book, "news2", chart, items, missing)


def normal_range(age: int, book: ScoreBook | None = None) -> NormalRange:
    """The APLS normal heart and breathing rates for a whole-year age."""
    ranges = (book or load_scores()).pews.normal
    return next((r for r in ranges if age <= r.max_age), ranges[-1])


def pews(
    vitals: Mapping[str, Any],
    present: Mapping[str, Any],
    age: int | None,
    book: ScoreBook | None = None,
) -> Score | None:
    """Brighton PEWS from what a village clinic records; None when nothing scoreable was given.

    ``present`` holds the red-flag signs present (by sign name: ``lethargy``, ``irritability``,
    ``respiratory_distress``). With an unknown age every age band is tried and the highest
    score kept, so the missing age never lowers it."""
    book = book or load_scores()
    bands = [normal_range(age, book)] if age is not None else list(book.pews.normal)
    scores = [_pews_for(book, vitals, present, band) for band in bands]
    scores = [s for s in scores if s is not None]
    return max(scores, key=lambda s: (s.total, max(i.points for i in s.items)), default=None)


def _pews_for(book, vitals, present, normal: NormalRange) -> Score | None:
    items, missing = [], []
    for component, item in (
        ("behaviour", _behaviour(vitals, present)),
        ("cardiovascular", _cardiovascular(vitals, normal, book.pews.bradycardia_margin)),
        ("respiratory", _respiratory(vitals, present, normal)),
    ):
        if item is None:
            missing.append(component)
        else:
            items.append(item)
    if not items:
        return None
    return _score(book, "pews", book.pews, items, missing)


def _behaviour(vitals, present) -> ScoreItem | None:
    consciousness = vitals.get("consciousness")
    if consciousness in NOT_ALERT or "lethargy" in present:
        return ScoreItem("behaviour", consciousness or "lethargy", 3)
    if "irritability" in present:
        return ScoreItem("behaviour", "irritability", 2)
    if consciousness == "alert":
        return ScoreItem("behaviour", consciousness, 0)
    return None


def _cardiovascular(vitals, normal: NormalRange, margin: int) -> ScoreItem | None:
    rate = vitals.get("heart_rate")
    if rate is None:
        return None
    low, high = normal.heart_rate
    points = 3 if rate < low - margin or rate >= high + 30 else 2 if rate >= high + 20 else 0
    return ScoreItem("cardiovascular", rate, points)


def _respiratory(vitals, present, normal: NormalRange) -> ScoreItem | None:
    rate = vitals.get("respiratory_rate")
    distressed = "respiratory_distress" in present
    oxygen = bool(vitals.get("supplemental_oxygen"))
    if rate is None and not distressed and not oxygen:
        return None
    low, high = normal.respiratory_rate
    points = 0
    if rate is not None:
        points = 3 if rate <= low - 5 else 2 if rate > high + 20 else 1 if rate > high + 10 else 0
    if distressed:
        points = max(points, 2)
    if oxygen:
        points = max(points, 1)
    value = rate if rate is not None else ("respiratory_distress" if distressed else "oxygen")
    return ScoreItem("respiratory", value, points)
