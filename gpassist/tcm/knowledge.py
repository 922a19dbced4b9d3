"""The TCM knowledge base (中医知识库): ``models/tcm/<name>/kb.yaml`` + ``diseases/<code>.yaml``.

One file per disease (the issue 16 contract, /work/notes/issue16-contract.md). Loading validates
every file with pydantic and collects every problem before raising, each named by its file and
key path (``diseases/ganmao.yaml: syndromes.0.pulse: …``), so a data author fixes them in one
pass. Patent medicine codes are *not* checked here: the catalog lives in the database, so
``missing_medicines`` checks them at runtime (and the service drops unknown ones with a note).
No Flask, no database at load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEPARTMENTS = ("内科", "妇科", "儿科", "外科", "皮肤科", "五官科", "骨伤科")
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
KB_FILE = "kb.yaml"
DISEASE_DIR = "diseases"


class KnowledgeBaseError(ValueError):
    """The knowledge base folder does not follow the contract; ``problems`` lists every one."""

    def __init__(self, folder: Path, problems: list[str]):
        self.folder = folder
        self.problems = problems
        super().__init__(f"{folder}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class SourceRef(_Strict):
    ref: str = Field(min_length=1)
    where: str | None = None


class Source(_Strict):
    key: str = Field(min_length=1)
    name: Bilingual | str
    citation: str | None = None
    licence: str | None = None
    kind: str | None = None


class KbMeta(_Strict):
    name: str = Field(pattern=SLUG)
    title: Bilingual
    version: str | int
    sources: list[Source] = Field(min_length=1)
    description: Bilingual | None = None


Findings = list[str]


class Syndrome(_Strict):
    code: str = Field(pattern=SLUG)
    name: Bilingual
    aliases: list[str] = []
    main: Findings = Field(min_length=1)
    secondary: Findings = []
    tongue: Findings = []
    coating: Findings = []
    pulse: Findings = []
    against: Findings = []
    principle: Bilingual
    formula: Bilingual
    patent_medicines: list[str] = []
    source: SourceRef
    status: Literal["machine", "reviewed"]
    # extensions some authors use (tcmkb2): the stage (急性期·中经络), a referral flag for the
    # syndromes a village clinic must send on, and a caution per patent medicine
    stage: str | None = None
    referral: bool = False
    medicine_notes: dict[str, Bilingual] = {}

    @field_validator("main", "secondary", "tongue", "coating", "pulse", "against")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        for term in value:
            if not term or not term.strip() or len(term) > 20:
                raise ValueError(f"{term!r}: a finding is a short Chinese term (1-20 characters)")
        return [t.strip() for t in value]


class AgeRange(_Strict):
    """The ages (years, inclusive) a disease is defined for: 绝经前后诸症 around the menopause,
    小儿遗尿 from five years on. Either end may be left open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def holds(self, age: int) -> bool:
        return (self.min is None or age >= self.min) and (self.max is None or age <= self.max)


class Differential(_Strict):
    """One 鉴别诊断 of the textbook chapter: this disease told from ``disease`` (the other one's
    code) by the findings that favour each. A finding stated for one side moves the two
    diseases apart when both are in the running (``differentiation.differential``)."""

    disease: str = Field(pattern=SLUG)
    for_this: Findings = []
    for_other: Findings = []
    source: SourceRef
    status: Literal["machine", "reviewed"]

    @field_validator("for_this", "for_other")
    @classmethod
    def _findings(cls, value: list[str]) -> list[str]:
        return Syndrome._terms(value)

    @model_validator(mode="after")
    def _says_something(self) -> Differential:
        if not self.for_this and not self.for_other:
            raise ValueError("for_this and for_other are both empty: the entry tells nothing")
        return self


class Disease(_Strict):
    code: str = Field(pattern=SLUG)
    name: Bilingual
    term: str = Field(min_length=1)
    aliases: list[str] = []
    gbt15657: str | None = None
    department: Literal[DEPARTMENTS]  # type: ignore[valid-type]
    icd10: list[str] = []
    # the findings that make the disease (GB/T 16751.1-2021 clinical features, as short terms):
    # 淋证 尿频、尿急、尿痛; they count for the disease, whichever syndrome it is
    cardinal: Findings = []
    # optional: findings that, stated, put the disease first whatever else fits, and its
    # ``referral`` syndromes first unless the note places it past the acute stage: a GP
    # suspects a stroke at the first facial droop or slurred word (FAST), however well the
    # dizziness beside it fits 眩晕
    red_flags: Findings = []
    # optional: the ages the disease is defined for (the department already gates sex for
    # 妇科 and childhood for 儿科)
    ages: AgeRange | None = None
    # optional: the textbook's differential diagnosis against the diseases it is confused with
    differential: list[Differential] = []
    source: SourceRef
    status: Literal["machine", "reviewed"]
    syndromes: list[Syndrome] = Field(min_length=1)

    @field_validator("cardinal", "red_flags")
    @classmethod
    def _cardinal(cls, value: list[str]) -> list[str]:
        return Syndrome._terms(value)

    @field_validator("icd10")
    @classmethod
    def _icd(cls, value: list[str]) -> list[str]:
        for code in value:
            if not code or not code[0].isalpha() or not code[1:3].isdigit():
                raise ValueError(f"{code!r} is not an ICD-10 code or prefix (e.g. J06, J06.9)")
        return [c.upper() for c in value]

    def names(self) -> list[str]:
        """The names a complaint may use: the Chinese name, the GB/T term, the aliases."""
        return list(dict.fromkeys([self.name.zh, self.term, *self.aliases]))


@dataclass(frozen=True)
class KnowledgeBase:
    folder: Path
    meta: KbMeta
    diseases: dict[str, Disease]  # by code, in file-name order
    warnings: tuple[str, ...] = ()  # repaired, not rejected (see ``_repair_commas``)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> str:
        return str(self.meta.version)

    def by_term(self, term: str) -> Disease | None:
        """The disease whose GB/T term, Chinese name or alias is ``term`` (e.g. 眩晕病)."""
        for disease in self.diseases.values():
            if term in disease.names():
                return disease
        return None

    def medicine_codes(self) -> set[str]:
        return {c for d in self.diseases.values() for s in d.syndromes for c in s.patent_medicines}

    def for_icd10(self, code: str) -> list[Disease]:
        """Diseases whose ``icd10`` list covers ``code``, most specific match first (J06.9 before
        J06 before J), then in file order."""
        code = code.strip().upper()
        hits: list[tuple[int, int, Disease]] = []
        for i, disease in enumerate(self.diseases.values()):
            best = max(
                (len(p) for p in disease.icd10 if code == p or code.startswith(p)), default=0
            )
            if best:
                hits.append((-best, i, disease))
        return [d for _, _, d in sorted(hits, key=lambda h: (h[0], h[1]))]


def _where(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(top)"


def _read_yaml(path: Path, folder: Path, problems: list[str]):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        problems.append(f"{path.relative_to(folder)}: cannot read YAML ({exc})")
        return None


def _repair_commas(data: Any, label: str, warnings: list[str], path: str = "") -> Any:
    """``{zh: 辛温解表, en: release the exterior, dispel cold}`` in a YAML flow mapping reads as
    en='release the exterior' plus a key 'dispel cold' with no value. A {zh, en} mapping whose
    other keys all have no value is that mistake: rejoin the English and warn (quote it)."""
    if isinstance(data, list):
        return [_repair_commas(v, label, warnings, f"{path}.{i}") for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    extra = [k for k in data if k not in ("zh", "en")]
    if {"zh", "en"} <= set(data) and extra and all(data[k] is None for k in extra):
        en = ", ".join([str(data["en"]), *map(str, extra)])
        warnings.append(f"{label}: {path.lstrip('.')}.en: unquoted comma, read as {en!r}")
        return {"zh": data["zh"], "en": en}
    return {k: _repair_commas(v, label, warnings, f"{path}.{k}") for k, v in data.items()}


def _validate(model, data, label: str, problems: list[str]):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(f"{label}: {_where(e)}: {e['msg']}" for e in exc.errors())
        return None


def _cross_checks(label: str, disease: Disease, stem: str, keys: set[str]) -> Iterable[str]:
    if disease.code != stem:
        yield f"{label}: code: {disease.code!r} differs from the file name {stem!r}"
    if disease.source.ref not in keys:
        yield f"{label}: source.ref: {disease.source.ref!r} is not a source key of {KB_FILE}"
    seen: set[str] = set()
    for i, syndrome in enumerate(disease.syndromes):
        if syndrome.code in seen:
            yield f"{label}: syndromes.{i}.code: {syndrome.code!r} is repeated"
        seen.add(syndrome.code)
        if syndrome.source.ref not in keys:
            yield (
                f"{label}: syndromes.{i}.source.ref: {syndrome.source.ref!r} "
                f"is not a source key of {KB_FILE}"
            )
    if disease.red_flags and not any(s.referral for s in disease.syndromes):
        # a red flag sends the patient on: the acute syndromes it leads with must say so
        yield f"{label}: red_flags: the disease has no syndrome marked referral: true"
    others: set[str] = set()
    for i, entry in enumerate(disease.differential):
        if entry.disease in others:
            yield f"{label}: differential.{i}.disease: {entry.disease!r} is repeated"
        if entry.disease == disease.code:
            yield f"{label}: differential.{i}.disease: a disease is not told from itself"
        others.add(entry.disease)
        if entry.source.ref not in keys:
            yield (
                f"{label}: differential.{i}.source.ref: {entry.source.ref!r} "
                f"is not a source key of {KB_FILE}"
            )


def _unknown_differentials(diseases: dict[str, Disease], files: set[str]) -> Iterable[str]:
    """A differential naming a disease the knowledge base has no file for (checked once all
    files are read; a file that failed to load still counts as there)."""
    for disease in diseases.values():
        for i, entry in enumerate(disease.differential):
            if entry.disease not in files:
                yield (
                    f"{DISEASE_DIR}/{disease.code}.yaml: differential.{i}.disease: "
                    f"{entry.disease!r} is not a disease of the knowledge base"
                )


def load(folder: Path | str) -> KnowledgeBase:
    """Read and validate the folder; raises ``KnowledgeBaseError`` listing every problem."""
    folder = Path(folder)
    problems: list[str] = []
    warnings: list[str] = []
    raw_meta = _repair_commas(_read_yaml(folder / KB_FILE, folder, problems), KB_FILE, warnings)
    meta = _validate(KbMeta, raw_meta, KB_FILE, problems)
    keys = {s.key for s in meta.sources} if meta else set()
    diseases: dict[str, Disease] = {}
    files = sorted((folder / DISEASE_DIR).glob("*.yaml"))
    if not files:
        problems.append(f"{DISEASE_DIR}/: no disease files")
    for path in files:
        label = f"{DISEASE_DIR}/{path.name}"
        data = _repair_commas(_read_yaml(path, folder, problems), label, warnings)
        disease = _validate(Disease, data, label, problems)
        if disease is None:
            continue
        problems.extend(_cross_checks(label, disease, path.stem, keys) if meta else ())
        if disease.code in diseases:
            problems.append(f"{label}: code: {disease.code!r} is repeated")
        diseases[disease.code] = disease
    problems.extend(_unknown_differentials(diseases, {p.stem for p in files}))
    if problems or meta is None:
        raise KnowledgeBaseError(folder, problems)
    return KnowledgeBase(folder.resolve(), meta, diseases, tuple(warnings))


@lru_cache(maxsize=8)
def load_cached(folder: str) -> KnowledgeBase:
    return load(Path(folder))


def installed(root: Path) -> dict[str, KnowledgeBase]:
    """Every knowledge base folder (one with ``kb.yaml``) under ``root``, by name."""
    out: dict[str, KnowledgeBase] = {}
    if Path(root).is_dir():
        for folder in sorted(p for p in Path(root).iterdir() if (p / KB_FILE).exists()):
            kb = load_cached(str(folder.resolve()))
            out[kb.name] = kb
    return out


def missing_medicines(kb: KnowledgeBase, catalog_codes: Iterable[str]) -> list[str]:
    """``diseases/<code>.yaml: syndromes.<i>.patent_medicines.<j>: <drug>`` for every patent
    medicine code that the catalog (the database's drug codes) does not hold."""
    known = set(catalog_codes)
    out = []
    for disease in kb.diseases.values():
        for i, syndrome in enumerate(disease.syndromes):
            for j, code in enumerate(syndrome.patent_medicines):
                if code not in known:
                    out.append(
                        f"{DISEASE_DIR}/{disease.code}.yaml: "
                        f"syndromes.{i}.patent_medicines.{j}: {code!r} is not in the catalog"
                    )
    return out
