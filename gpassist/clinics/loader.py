"""Read the county registry files, validate them, and write them to the database idempotently.

A county folder holds ``county.yaml``, ``drugs.yaml``, ``services.yaml``, ``formularies.yaml``,
``interactions.yaml`` (dangerous drug pairs), ``policies/*.yaml`` (its payer policy, one file
per version) and, optionally, ``epidemiology.yaml`` (season and region of the diagnosis prior).
Everything is stored in the
database, so the running service never reads the folder again.

A bad file is refused as a whole with the file, the line and key path, and the reason; nothing
is written unless every file is valid. Loading the same files twice changes nothing (no row is
touched, so the audit log stays quiet). Records that disappear from the files are deactivated,
never deleted, since bills and prescriptions may point at them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.schemas import (
    CountyFile,
    DrugCatalogFile,
    EpidemiologyFile,
    FacilityKind,
    FormularyFile,
    ServiceCatalogFile,
)
from gpassist.clinics.tables import (
    County,
    CountyEpidemiology,
    Department,
    Drug,
    Facility,
    FormularyEntry,
    ServiceItem,
    Town,
)
from gpassist.prescriptions.knowledge import InteractionFile
from gpassist.prescriptions.tables import DrugInteraction
from gpassist.settlement.policy import Policy
from gpassist.settlement.tables import PayerPolicy

FILES: dict[str, type[BaseModel]] = {
    "county.yaml": CountyFile,
    "drugs.yaml": DrugCatalogFile,
    "services.yaml": ServiceCatalogFile,
    "formularies.yaml": FormularyFile,
    "interactions.yaml": InteractionFile,
}
POLICY_FOLDER = "policies"
EPIDEMIOLOGY_FILE = "epidemiology.yaml"  # optional


class RegistryFileError(ValueError):
    """A registry file that cannot be loaded, with where and why."""

    def __init__(self, file: Path, line: int | None, key: str, reason: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {key or '(file)'}: {reason}")
        self.file, self.line, self.key, self.reason = file, line, key, reason


@dataclass
class RegistryFiles:
    """The checked files of a county folder, with the YAML nodes that locate errors by line."""

    folder: Path
    county: CountyFile
    drugs: DrugCatalogFile
    services: ServiceCatalogFile
    formularies: FormularyFile
    interactions: InteractionFile
    policies: tuple[Policy, ...] = ()
    epidemiology: EpidemiologyFile | None = None
    nodes: dict[str, yaml.Node] = field(repr=False, default_factory=dict)


@dataclass
class LoadReport:
    """What loading a county changed: counts of records created, updated and deactivated."""

    counts: Counter[str] = field(default_factory=Counter)

    def note(self, what: str, change: str, n: int = 1) -> None:
        if n:
            self.counts[f"{what} {change}"] += n

    @property
    def changed(self) -> bool:
        return bool(self.counts)

    def summary(self) -> str:
        if not self.counts:
            return "no changes"
        return ", ".join(f"{key}: {n}" for key, n in sorted(self.counts.items()))


def read_registry(folder: Path) -> RegistryFiles:
    """Parse and validate each file in ``folder``; the first fault raises ``RegistryFileError``."""
    folder = Path(folder)
    parsed: dict[str, BaseModel] = {}
    nodes: dict[str, yaml.Node] = {}
    for name, model in FILES.items():
        path = folder / name
        if not path.is_file():
            raise RegistryFileError(path, None, "", "file is missing")
        parsed[name], nodes[name] = _read_file(path, model)
    files = RegistryFiles(
        folder,
        parsed["county.yaml"],  # type: ignore[arg-type]
        parsed["drugs.yaml"],  # type: ignore[arg-type]
        parsed["services.yaml"],  # type: ignore[arg-type]
        parsed["formularies.yaml"],  # type: ignore[arg-type]
        parsed["interactions.yaml"],  # type: ignore[arg-type]
        _read_policies(folder / POLICY_FOLDER),
        _read_optional(folder / EPIDEMIOLOGY_FILE, EpidemiologyFile),  # type: ignore[arg-type]
        nodes,
    )
    _check_formulary_references(files)
    return files


def _read_file(path: Path, model: type[BaseModel]) -> tuple[BaseModel, yaml.Node]:
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RegistryFileError(path, mark.line + 1 if mark else None, "", str(exc)) from exc
    try:
        return model.model_validate(data), node
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = err["loc"]
        raise RegistryFileError(path, _line_of(node, loc), _key_path(loc), err["msg"]) from exc


def _read_optional(path: Path, model: type[BaseModel]) -> BaseModel | None:
    return _read_file(path, model)[0] if path.is_file() else None


def _read_policies(folder: Path) -> tuple[Policy, ...]:
    """The county's payer policy versions, oldest first; at least one, no two on one date."""
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    if not paths:
        raise RegistryFileError(folder, None, "", "no payer policy file (policies/*.yaml)")
    policies: list[Policy] = []
    seen: dict[str, Path] = {}
    for path in paths:
        policy, node = _read_file(path, Policy)
        assert isinstance(policy, Policy)
        for key, value in (("code", policy.code), ("effective_from", str(policy.effective_from))):
            other = seen.setdefault(f"{key}={value}", path)
            if other != path:
                raise RegistryFileError(
                    path, _line_of(node, (key,)), key, f"{value} is also in {other.name}"
                )
        policies.append(policy)
    return tuple(sorted(policies, key=lambda p: p.effective_from))


def _key_path(loc: tuple[Any, ...]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest YAML node on ``loc`` that exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _check_formulary_references(files: RegistryFiles) -> None:
    path = files.folder / "formularies.yaml"
    node = files.nodes["formularies.yaml"]
    drugs = {d.code for d in files.drugs.drugs}
    clinics = {f.code for f in files.county.facilities if f.kind == FacilityKind.village_clinic}
    for i, code in enumerate(files.formularies.default):
        if code not in drugs:
            loc = ("default", i)
            raise RegistryFileError(
                path, _line_of(node, loc), _key_path(loc), f"unknown drug {code!r}"
            )
    for clinic, override in files.formularies.clinics.items():
        if clinic not in clinics:
            loc = ("clinics", clinic)
            raise RegistryFileError(
                path, _line_of(node, loc), _key_path(loc), f"{clinic!r} is not a village clinic"
            )
        for change in ("add", "remove"):
            for i, code in enumerate(getattr(override, change)):
                if code not in drugs:
                    loc = ("clinics", clinic, change, i)
                    raise RegistryFileError(
                        path, _line_of(node, loc), _key_path(loc), f"unknown drug {code!r}"
                    )


def apply_registry(session: Session, files: RegistryFiles) -> LoadReport:
    """Write the registry: create what is new, update what changed, deactivate what is gone."""
    report = LoadReport()
    county_file = files.county
    (county,) = _sync(
        session,
        County,
        {"code": "code"},
        [
            {
                "code": county_file.county.code,
                "name_zh": county_file.county.name.zh,
                "name_en": county_file.county.name.en,
                "province_zh": county_file.county.province.zh,
                "province_en": county_file.county.province.en,
                "synthetic": county_file.county.synthetic,
            }
        ],
        report,
        "county",
    )
    towns = _sync(
        session,
        Town,
        {"code": "code"},
        [
            {"code": t.code, "county_id": county.id, "name_zh": t.name.zh, "name_en": t.name.en}
            for t in county_file.towns
        ],
        report,
        "towns",
    )
    town_ids = {t.code: t.id for t in towns}
    facilities = _sync(
        session,
        Facility,
        {"code": "code"},
        [_facility_row(f, town_ids) for f in county_file.facilities],
        report,
        "facilities",
    )
    facility_ids = {f.code: f.id for f in facilities}
    _sync(
        session,
        Department,
        {"facility_id": "facility_id", "code": "code"},
        [
            {
                "facility_id": facility_ids[f.code],
                "code": d.code,
                "name_zh": d.name.zh,
                "name_en": d.name.en,
            }
            for f in county_file.facilities
            for d in f.departments
        ],
        report,
        "departments",
    )
    drugs = _sync(
        session, Drug, {"code": "code"}, [_drug_row(d) for d in files.drugs.drugs], report, "drugs"
    )
    _sync(
        session,
        ServiceItem,
        {"code": "code"},
        [
            {
                "code": s.code,
                "name_zh": s.name.zh,
                "name_en": s.name.en,
                "unit_zh": s.unit.zh,
                "unit_en": s.unit.en,
                "unit_price_fen": s.unit_price_fen,
                "insurance_category": s.insurance_category,
            }
            for s in files.services.service_items
        ],
        report,
        "service items",
    )
    drug_ids = {d.code: d.id for d in drugs}
    _sync_formularies(session, files, facility_ids, drug_ids, report)
    _sync(
        session,
        DrugInteraction,
        {"code": "code"},
        [
            {
                "code": i.code,
                "groups_a": i.a,
                "groups_b": i.b,
                "effect_zh": i.effect.zh,
                "effect_en": i.effect.en,
                "source": i.source,
            }
            for i in files.interactions.interactions
        ],
        report,
        "drug interactions",
    )
    _sync(
        session,
        PayerPolicy,
        {"code": "code"},
        [
            {
                "code": p.code,
                "county_id": county.id,
                "effective_from": p.effective_from,
                "document": p.model_dump(mode="json"),
            }
            for p in files.policies
        ],
        report,
        "payer policies",
    )
    epidemiology = files.epidemiology
    _sync(
        session,
        CountyEpidemiology,
        {"county_id": "county_id"},
        []
        if epidemiology is None
        else [{"county_id": county.id, "document": epidemiology.model_dump(mode="json")}],
        report,
        "epidemiology",
    )
    session.flush()
    return report


def _facility_row(f, town_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "code": f.code,
        "name_zh": f.name.zh,
        "name_en": f.name.en,
        "kind": f.kind,
        "level": f.level,
        "town_id": town_ids[f.town] if f.town else None,
        "village_zh": f.village.zh if f.village else None,
        "village_en": f.village.en if f.village else None,
    }


def _drug_row(d) -> dict[str, Any]:
    return {
        "code": d.code,
        "name_zh": d.generic_name.zh,
        "name_en": d.generic_name.en,
        "kind": d.kind,
        "form_zh": d.form.zh,
        "form_en": d.form.en,
        "strength": d.strength,
        "strength_value": d.strength_value,
        "dose_unit": d.dose_unit,
        "unit_zh": d.unit.zh,
        "unit_en": d.unit.en,
        "pack_size": d.pack_size,
        "pack_unit_zh": d.pack_unit.zh,
        "pack_unit_en": d.pack_unit.en,
        "unit_price_fen": d.unit_price_fen,
        "insurance_category": d.insurance_category,
        "essential": d.essential,
        "generic_group": d.generic_group,
        "usual_daily_dose": d.usual_daily_dose,
        "max_daily_dose": d.max_daily_dose,
        "max_daily_dose_per_kg": d.max_daily_dose_per_kg,
        "pregnancy": d.pregnancy,
        "tcm_syndromes": [s.model_dump() for s in d.tcm_syndromes],
    }


def _sync(
    session: Session,
    model: type,
    key: dict[str, str],
    rows: list[dict[str, Any]],
    report: LoadReport,
    what: str,
) -> list[Any]:
    """Upsert ``rows`` of ``model`` by the ``key`` columns; deactivate rows missing from the file.

    Attributes are assigned only when they differ, so an unchanged file leaves nothing dirty.
    """
    existing = {tuple(getattr(obj, k) for k in key): obj for obj in session.scalars(select(model))}
    result = []
    seen = set()
    for row in rows:
        ident = tuple(row[k] for k in key.values())
        seen.add(ident)
        obj = existing.get(ident)
        if obj is None:
            obj = model(**row)
            if hasattr(model, "active"):
                obj.active = True
            session.add(obj)
            report.note(what, "created")
        else:
            changed = False
            for column, value in {
                **row,
                **({"active": True} if hasattr(model, "active") else {}),
            }.items():
                if getattr(obj, column) != value:
                    setattr(obj, column, value)
                    changed = True
            report.note(what, "updated", int(changed))
        result.append(obj)
    if hasattr(model, "active"):
        for ident, obj in existing.items():
            if ident not in seen and obj.active:
                obj.active = False
                report.note(what, "deactivated")
    session.flush()
    return result


def _sync_formularies(
    session: Session,
    files: RegistryFiles,
    facility_ids: dict[str, int],
    drug_ids: dict[str, int],
    report: LoadReport,
) -> None:
    wanted: set[tuple[int, int]] = set()
    default = set(files.formularies.default)
    for facility in files.county.facilities:
        if facility.kind != FacilityKind.village_clinic:
            continue
        override = files.formularies.clinics.get(facility.code)
        codes = (default | set(override.add)) - set(override.remove) if override else default
        wanted |= {(facility_ids[facility.code], drug_ids[c]) for c in codes}
    have = {
        (f, d)
        for f, d in session.execute(select(FormularyEntry.facility_id, FormularyEntry.drug_id))
    }
    for facility_id, drug_id in sorted(wanted - have):
        session.add(FormularyEntry(facility_id=facility_id, drug_id=drug_id))
    report.note("formulary entries", "added", len(wanted - have))
    for facility_id, drug_id in sorted(have - wanted):
        session.delete(session.get(FormularyEntry, (facility_id, drug_id)))
    report.note("formulary entries", "removed", len(have - wanted))
