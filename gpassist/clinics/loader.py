"""Read the county registry files, validate them, and write them to the database idempotently.

A county folder holds ``county.yaml``, ``drugs.yaml`` (and more catalog files in ``drugs/*.yaml``),
``services.yaml``, ``formularies.yaml``, ``interactions.yaml`` (dangerous drug pairs),
``policies/*.yaml`` (its payer policy, one file per version), ``essential-medicines/*.yaml``
(the editions of the national essential medicines list) and, optionally, ``epidemiology.yaml``
(season and region of the diagnosis prior). Everything is stored in the
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

from gpassist.clinics.dosing import dose_form_columns, drug_search_keys
from gpassist.clinics.schemas import (
    CountyFile,
    DrugCatalogFile,
    DrugFile,
    EpidemiologyFile,
    EssentialMedicinesFile,
    FacilityKind,
    FormularyFile,
    ServiceCatalogFile,
)
from gpassist.clinics.tables import (
    County,
    CountyEpidemiology,
    Department,
    Drug,
    EssentialMedicine,
    EssentialMedicineDrug,
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
DRUG_FOLDER = "drugs"  # more catalog files beside drugs.yaml (generated ones, for instance)
LIST_FOLDER = "essential-medicines"  # one file per edition of the national list


class RegistryFileError(ValueError):
    """A registry file that cannot be loaded, with where and why."""

    def __init__(self, file: Path, line: int | None, key: str, reason: str) -> None:
        where = f"{file}:{line}" if line else str(file)
        super().__init__(f"{where}: {key or '(file)'}: {reason}")
        self.file, self.line, self.key, self.reason = file, line, key, reason


@dataclass(frozen=True)
class Catalog:
    """The drugs of ``drugs.yaml`` and ``drugs/*.yaml`` together, with each file's flags."""

    files: tuple[DrugCatalogFile, ...]

    @property
    def drugs(self) -> list[DrugFile]:
        return [d for f in self.files for d in f.drugs]


@dataclass
class RegistryFiles:
    """The checked files of a county folder, with the YAML nodes that locate errors by line."""

    folder: Path
    county: CountyFile
    drugs: Catalog
    services: ServiceCatalogFile
    formularies: FormularyFile
    interactions: InteractionFile
    policies: tuple[Policy, ...] = ()
    epidemiology: EpidemiologyFile | None = None
    nodes: dict[str, yaml.Node] = field(repr=False, default_factory=dict)
    editions: tuple[EssentialMedicinesFile, ...] = ()

    @property
    def current_edition(self) -> str | None:
        """The edition no other loaded edition supersedes (checked unique by ``read_registry``)."""
        superseded = {old for e in self.editions for old in e.supersedes}
        current = [e.edition for e in self.editions if e.edition not in superseded]
        return current[0] if current else None


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
        Catalog((parsed["drugs.yaml"], *_read_more_drugs(folder / DRUG_FOLDER))),  # type: ignore[arg-type]
        parsed["services.yaml"],  # type: ignore[arg-type]
        parsed["formularies.yaml"],  # type: ignore[arg-type]
        parsed["interactions.yaml"],  # type: ignore[arg-type]
        _read_policies(folder / POLICY_FOLDER),
        _read_optional(folder / EPIDEMIOLOGY_FILE, EpidemiologyFile),  # type: ignore[arg-type]
        nodes,
        _read_editions(folder / LIST_FOLDER),
    )
    _check_unique_drugs(folder, files.drugs)
    _check_formulary_references(files)
    return files


def _read_more_drugs(folder: Path) -> list[DrugCatalogFile]:
    """The catalog files of ``drugs/``, in name order."""
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return [_read_file(path, DrugCatalogFile)[0] for path in paths]  # type: ignore[misc]


def _check_unique_drugs(folder: Path, catalog: Catalog) -> None:
    seen: set[str] = set()
    for drug in catalog.drugs:
        if drug.code in seen:
            raise RegistryFileError(
                folder / DRUG_FOLDER, None, drug.code, "drug code defined in two catalog files"
            )
        seen.add(drug.code)


def _read_editions(folder: Path) -> tuple[EssentialMedicinesFile, ...]:
    """The list editions of ``essential-medicines/``; none is allowed (nothing is essential).

    Superseding is explicit (``supersedes: ["2018"]``), so a new edition is a file dropped in:
    exactly one loaded edition may be left that no other supersedes, and that one is current.
    """
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    editions: list[EssentialMedicinesFile] = []
    seen: dict[str, Path] = {}
    for path in paths:
        edition, node = _read_file(path, EssentialMedicinesFile)
        assert isinstance(edition, EssentialMedicinesFile)
        other = seen.setdefault(edition.edition, path)
        if other != path:
            raise RegistryFileError(
                path, _line_of(node, ("edition",)), "edition", f"also in {other.name}"
            )
        editions.append(edition)
    superseded = {old for e in editions for old in e.supersedes}
    current = [e.edition for e in editions if e.edition not in superseded]
    if editions and len(current) != 1:
        raise RegistryFileError(
            folder, None, "supersedes", f"one current edition expected, found {current or 'none'}"
        )
    return tuple(editions)


def _read_file(path: Path, model: type[BaseModel]) -> tuple[BaseModel, yaml.Node]:
    text = path.read_text(encoding="utf-8")
    try:
        node, data = _parse(text)
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


# libyaml's parser where PyYAML was built with it: the catalog files hold thousands of drugs
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node, Any]:
    """The document's node tree (to locate errors by line) and its data, parsed once."""
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


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
    _check_list_references(files, drugs)
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


def _check_list_references(files: RegistryFiles, drugs: set[str]) -> None:
    for edition in files.editions:
        for product in edition.products:
            unknown = [code for code in product.drugs if code not in drugs]
            if unknown:
                raise RegistryFileError(
                    files.folder / LIST_FOLDER,
                    None,
                    f"{edition.edition}.{product.id}",
                    f"unknown drug {unknown[0]!r}",
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
    essential = _current_list_codes(files)
    list_names = _list_names(files)
    drugs = _sync(
        session,
        Drug,
        {"code": "code"},
        [
            _drug_row(d, catalog, d.code in essential, list_names.get(d.code, []))
            for catalog in files.drugs.files
            for d in catalog.drugs
        ],
        report,
        "drugs",
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
    _sync_essential_medicines(session, files, drug_ids, report)
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


def _current_list_codes(files: RegistryFiles) -> set[str]:
    current = files.current_edition
    return {
        code
        for e in files.editions
        if e.edition == current
        for product in e.products
        for code in product.drugs
    }


def _list_names(files: RegistryFiles) -> dict[str, list[tuple[str, str | None]]]:
    """Catalog code → the names of the list products (any edition) it realises."""
    names: dict[str, list[tuple[str, str | None]]] = {}
    for edition in files.editions:
        for product in edition.products:
            for code in product.drugs:
                names.setdefault(code, []).append((product.name, product.name_en))
    return names


def _drug_row(
    d,
    catalog: DrugCatalogFile | None = None,
    essential: bool = False,
    list_names: list[tuple[str, str | None]] | None = None,
) -> dict[str, Any]:
    return {
        **dose_form_columns(d),
        "max_single_dose": d.max_single_dose,
        "brand_names": [b.model_dump() for b in d.brand_names],
        "search_keys": drug_search_keys(d, list_names or []),
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
        "essential": essential,
        "price_synthetic": catalog.prices_synthetic if catalog else True,
        "insurance_estimated": catalog.insurance_estimated if catalog else True,
        "generic_group": d.generic_group,
        "usual_daily_dose": d.usual_daily_dose,
        "max_daily_dose": d.max_daily_dose,
        "max_daily_dose_per_kg": d.max_daily_dose_per_kg,
        "pregnancy": d.pregnancy,
        "tcm_syndromes": [s.model_dump() for s in d.tcm_syndromes],
        "dose_source": d.dose_source.model_dump(mode="json") if d.dose_source else None,
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


def _sync_essential_medicines(
    session: Session, files: RegistryFiles, drug_ids: dict[str, int], report: LoadReport
) -> None:
    """Store every edition's products and their drug links; products of a superseded edition
    stay (not current), so a drug keeps the lists it was on."""
    current = files.current_edition
    products = _sync(
        session,
        EssentialMedicine,
        {"edition": "edition", "product_id": "product_id"},
        [
            {
                "edition": e.edition,
                "product_id": p.id,
                "serial": p.serial,
                "name": p.name,
                "name_en": p.name_en,
                "part": p.part,
                "therapeutic_class": p.therapeutic_class,
                "subclass": p.subclass,
                "forms_specs": list(p.forms_specs),
                "specialist_only": p.specialist_only,
                "remark": p.remark,
                "current": e.edition == current,
            }
            for e in files.editions
            for p in e.products
        ],
        report,
        "essential medicines",
    )
    ids = {(p.edition, p.product_id): p.id for p in products}
    wanted = {
        (ids[(e.edition, p.id)], drug_ids[code])
        for e in files.editions
        for p in e.products
        for code in p.drugs
    }
    link = EssentialMedicineDrug
    have = {(p, d) for p, d in session.execute(select(link.product_id, link.drug_id))}
    session.add_all(link(product_id=p, drug_id=d) for p, d in sorted(wanted - have))
    report.note("essential medicine links", "added", len(wanted - have))
    for product_id, drug_id in sorted(have - wanted):
        session.delete(session.get(link, (product_id, drug_id)))
    report.note("essential medicine links", "removed", len(have - wanted))
