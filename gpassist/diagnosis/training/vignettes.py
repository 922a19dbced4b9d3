"""Clinical vignettes (病例): scoring a diagnosis model as a GP examiner would (issue 13).

A vignette file is a JSON list of written cases, each with the findings a village doctor would
record, the vital signs, the acceptable diagnoses (``gold_codes``, any one counts) and the right
triage (``gold_triage``: emergent | non-emergent | self-care). The format is in
docs/diagnosis.md ("Vignettes"). Reading and scoring are pure functions; the model is called
through one ``assess`` function that the command passes in, so the figures can be unit tested on
hand-made assessments.

Triage mapping: emergency ↔ emergent, refer ↔ non-emergent, treat_here ↔ self-care. Under-triage
is a decision less severe than the gold one (the worst error); over-triage a more severe one.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIDENT",
    "TRIAGE_CLASSES",
    "Outcome",
    "Vignette",
    "VignetteError",
    "case_json",
    "case_line",
    "check_codes",
    "evidence_of",
    "outcome_of",
    "parse_vignettes",
    "read_aliases",
    "read_vignettes",
    "run",
    "summarise",
    "triage_class",
]

TRIAGE_CLASSES = ("self-care", "non-emergent", "emergent")  # least to most severe
SEVERITY = {name: i for i, name in enumerate(TRIAGE_CLASSES)}
CLASS_OF_LEVEL = {"treat_here": "self-care", "refer": "non-emergent", "emergency": "emergent"}
CONFIDENT = 0.9  # "a confident answer": the threshold for confident_wrong
TOP_SHOWN = 3

# Vignette vital names → the triage module's names (VITAL_FIELDS).
VITAL_NAMES = {
    "temperature": "temperature_c",
    "heart_rate": "heart_rate",
    "resp_rate": "respiratory_rate",
    "spo2": "spo2",
    "sbp": "sbp",
    "dbp": "dbp",
    "consciousness": "consciousness",
}
CONSCIOUSNESS = ("alert", "confused", "voice", "pain", "unresponsive")  # ACVPU
SEXES = ("male", "female")
CODE_LISTS = ("present", "absent", "exposures", "chronic")


class VignetteError(ValueError):
    """A case file that cannot be scored; the message names the case and the field or code."""


@dataclass(frozen=True)
class Vignette:
    id: str
    age: int | None
    sex: str | None
    month: int | None
    vitals: dict[str, Any]  # triage names (temperature_c, respiratory_rate, …)
    present: tuple[str, ...]
    absent: tuple[str, ...]
    exposures: tuple[str, ...]
    chronic: tuple[str, ...]
    gold_codes: tuple[str, ...]
    gold_triage: str
    age_months: int | None = None  # optional, 0-23: an infant's age in months


@dataclass(frozen=True)
class Outcome:
    """What one case scored."""

    id: str
    gold_codes: tuple[str, ...]
    gold_triage: str
    rank: int | None  # 1-based rank of the first gold code; None: not ranked at all
    top: tuple[tuple[str, float], ...]  # the leading (code, probability) pairs, best first
    triage: str  # the decision as a vignette class (self-care | non-emergent | emergent)

    @property
    def confident_wrong(self) -> bool:
        return (
            bool(self.top) and self.top[0][1] >= CONFIDENT and self.top[0][0] not in self.gold_codes
        )


# --- reading ----------------------------------------------------------------------------------


def read_vignettes(path: Path) -> list[Vignette]:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VignetteError(f"{path}: not JSON ({exc})") from exc
    return parse_vignettes(raw)


def parse_vignettes(raw: Any) -> list[Vignette]:
    """The cases of a decoded file; unknown fields are ignored (notes, sources, month …)."""
    if not isinstance(raw, list):
        raise VignetteError("a vignette file is a JSON list of cases")
    cases = [_parse_case(i, item) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise VignetteError(f"case {case.id}: the id is used twice")
        seen.add(case.id)
    return cases


def _parse_case(index: int, item: Any) -> Vignette:
    if not isinstance(item, dict):
        raise VignetteError(f"case #{index + 1}: not a JSON object")
    case_id = item.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise VignetteError(f"case #{index + 1}: 'id' must be a non-empty string")

    def fail(message: str) -> VignetteError:
        return VignetteError(f"case {case_id}: {message}")

    lists = {}
    for name in (*CODE_LISTS, "gold_codes"):
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise fail(f"'{name}' must be a list of codes")
        lists[name] = tuple(value)
    if not lists["gold_codes"]:
        raise fail("'gold_codes' names no condition")
    clash = set(lists["present"] + lists["exposures"] + lists["chronic"]) & set(lists["absent"])
    if clash:
        raise fail(f"{', '.join(sorted(clash))} both present and absent")
    gold_triage = item.get("gold_triage")
    if gold_triage not in TRIAGE_CLASSES:
        raise fail(f"'gold_triage' must be one of {', '.join(TRIAGE_CLASSES)}")
    age = item.get("age")
    if age is not None and (
        not isinstance(age, int) or isinstance(age, bool) or not 0 <= age <= 120
    ):
        raise fail("'age' must be a whole number of years, 0-120")
    sex = item.get("sex")
    if sex is not None and sex not in SEXES:
        raise fail("'sex' must be male or female")
    month = item.get("month")
    if month is not None and (not isinstance(month, int) or not 1 <= month <= 12):
        raise fail("'month' must be 1-12")
    return Vignette(
        id=case_id,
        age=age,
        sex=sex,
        month=month,
        vitals=_vitals(item.get("vitals"), fail),
        **lists,
        gold_triage=gold_triage,
        age_months=_age_months(item.get("age_months"), age, fail),
    )


def _age_months(raw: Any, age: int | None, fail: Callable[[str], VignetteError]) -> int | None:
    """The optional ``age_months`` (0-23), consistent with ``age`` when both are given."""
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= 23:
        raise fail("'age_months' must be a whole number of months, 0-23")
    if age is not None and raw // 12 != age:
        raise fail(f"'age_months' {raw} does not match 'age' {age}")
    return raw


def _vitals(raw: Any, fail: Callable[[str], VignetteError]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise fail("'vitals' must be an object")
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if value is None or name not in VITAL_NAMES:  # an unknown vital is ignored, like a field
            continue
        if name == "consciousness":
            if value not in CONSCIOUSNESS:
                raise fail(f"vitals.consciousness must be one of {', '.join(CONSCIOUSNESS)}")
        elif not isinstance(value, int | float) or isinstance(value, bool):
            raise fail(f"vitals.{name} must be a number")
        out[VITAL_NAMES[name]] = value
    return out


def read_aliases(folder: Path) -> dict[str, dict[str, str]]:
    """``aliases.csv`` of a model folder (kind,old_code,new_code) as {kind: {old: new}}."""
    path = Path(folder) / "aliases.csv"
    aliases: dict[str, dict[str, str]] = {"symptom": {}, "condition": {}}
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                aliases.setdefault(row["kind"], {})[row["old_code"]] = row["new_code"]
    return aliases


def check_codes(
    cases: Sequence[Vignette],
    symptoms: Iterable[str],
    conditions: Iterable[str],
    aliases: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Vignette]:
    """The cases with old codes replaced by their aliases' new ones; a code the model does not
    know is an error naming the case and the code (a typo must not quietly score as a miss)."""
    symptom_set, condition_set = set(symptoms), set(conditions)
    symptom_alias = dict((aliases or {}).get("symptom", {}))
    condition_alias = dict((aliases or {}).get("condition", {}))

    def resolve(case: Vignette, codes, known, alias, what) -> tuple[str, ...]:
        out = []
        for code in codes:
            new = code if code in known else alias.get(code)
            if new not in known:
                raise VignetteError(f"case {case.id}: unknown {what} code {code!r}")
            out.append(new)
        return tuple(dict.fromkeys(out))

    resolved = []
    for case in cases:
        lists = {
            name: resolve(case, getattr(case, name), symptom_set, symptom_alias, "symptom")
            for name in CODE_LISTS
        }
        gold = resolve(case, case.gold_codes, condition_set, condition_alias, "condition")
        # replace(): every other field (age_months, and any added later) is kept as read
        resolved.append(dataclasses.replace(case, **lists, gold_codes=gold))
    return resolved


def evidence_of(case: Vignette) -> dict[str, str]:
    """Exposures and known chronic diagnoses are findings the doctor records as present."""
    evidence = {code: "absent" for code in case.absent}
    for code in (*case.present, *case.exposures, *case.chronic):
        evidence[code] = "present"
    return evidence


# --- scoring ----------------------------------------------------------------------------------


def triage_class(level: Any) -> str:
    """A triage level (enum or string) as a vignette class."""
    name = getattr(level, "value", level)
    if name not in CLASS_OF_LEVEL:
        raise ValueError(f"unknown triage level {level!r}")
    return CLASS_OF_LEVEL[name]


def outcome_of(case: Vignette, assessment: Any) -> Outcome:
    """Score one assessment (anything with ``.ranking.ranked`` of items with ``.condition.code``
    and ``.probability``, and ``.triage_decision.level``)."""
    ranked = [(item.condition.code, float(item.probability)) for item in assessment.ranking.ranked]
    gold = set(case.gold_codes)
    rank = next((i + 1 for i, (code, _) in enumerate(ranked) if code in gold), None)
    return Outcome(
        id=case.id,
        gold_codes=case.gold_codes,
        gold_triage=case.gold_triage,
        rank=rank,
        top=tuple(ranked[:TOP_SHOWN]),
        triage=triage_class(assessment.triage_decision.level),
    )


def summarise(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The figures of the issue (fractions of all cases unless named a count).

    emergent_missed: count of emergent cases not triaged emergent; confident_wrong: count of
    answers with top probability ≥ 0.9 on a condition not in gold; self_care_sent_on: fraction
    of self-care cases triaged above treat_here.
    """
    n = len(outcomes)

    def share(count: int, of: int) -> float | None:
        return round(count / of, 4) if of else None

    def within(k: int) -> int:
        return sum(1 for o in outcomes if o.rank is not None and o.rank <= k)

    gap = [SEVERITY[o.triage] - SEVERITY[o.gold_triage] for o in outcomes]
    by_class = {c: [o for o in outcomes if o.gold_triage == c] for c in TRIAGE_CLASSES}
    return {
        "n": n,
        "top1": share(within(1), n),
        "top3": share(within(3), n),
        "top10": share(within(10), n),
        "triage_exact": share(sum(1 for g in gap if g == 0), n),
        "under_triage": share(sum(1 for g in gap if g < 0), n),
        "over_triage": share(sum(1 for g in gap if g > 0), n),
        "emergent_missed": sum(1 for o in by_class["emergent"] if o.triage != "emergent"),
        "confident_wrong": sum(1 for o in outcomes if o.confident_wrong),
        "self_care_sent_on": share(
            sum(1 for o in by_class["self-care"] if o.triage != "self-care"),
            len(by_class["self-care"]),
        ),
        "n_by_triage": {c: len(cases) for c, cases in by_class.items()},
    }


def run(cases: Sequence[Vignette], assess_case: Callable[[Vignette], Any]) -> list[Outcome]:
    return [outcome_of(case, assess_case(case)) for case in cases]


# --- printing ---------------------------------------------------------------------------------


def _verdict(outcome: Outcome) -> str:
    gap = SEVERITY[outcome.triage] - SEVERITY[outcome.gold_triage]
    return "ok" if gap == 0 else ("UNDER" if gap < 0 else "over")


def case_line(outcome: Outcome) -> str:
    rank = outcome.rank if outcome.rank is not None else "-"
    top = ", ".join(f"{code} {p:.2f}" for code, p in outcome.top)
    flag = "  CONFIDENT-WRONG" if outcome.confident_wrong else ""
    return (
        f"{outcome.id}  gold={'|'.join(outcome.gold_codes)}  rank={rank}  top3=[{top}]  "
        f"triage={outcome.triage} (gold {outcome.gold_triage}) {_verdict(outcome)}{flag}"
    )


def case_json(outcome: Outcome) -> dict[str, Any]:
    return {
        "id": outcome.id,
        "gold_codes": list(outcome.gold_codes),
        "rank": outcome.rank,
        "top": [{"code": code, "probability": round(p, 4)} for code, p in outcome.top],
        "triage": outcome.triage,
        "gold_triage": outcome.gold_triage,
        "confident_wrong": outcome.confident_wrong,
    }


RECORD_FILE = "vignettes.json"


def record(folder: Path, cases: Path, county: Path | None, figures: dict[str, Any]) -> None:
    """Keep a run's figures beside the model (``vignettes.json``), with what they were run on:
    the model card quotes them, and a test checks they are what the committed model scores."""
    from gpassist.diagnosis.knowledge import file_sha256

    document = {
        "cases": _shown(cases),
        "cases_sha256": file_sha256(cases),
        "county": _shown(county) if county is not None else None,
        "model_sha256": file_sha256(Path(folder) / "model.onnx"),
        "figures": figures,
    }
    text = json.dumps(document, ensure_ascii=False, indent=1) + "\n"
    (Path(folder) / RECORD_FILE).write_text(text, encoding="utf-8")


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is under it (the repository's own)."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
