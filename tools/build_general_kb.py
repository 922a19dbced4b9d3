"""Build the knowledge base of the ``general`` diagnosis model (issue 13).

    .venv/bin/python tools/build_general_kb.py [--data ../shared/data]
        [--out gpassist/models/diagnosis/general]

Reads the public data in ``../shared/data`` (SymCat, the Rotmensch et al. health knowledge graph,
the Columbia disease-symptom ranks) and the project's curated files in ``<out>/curated/*.yaml``
(new conditions and findings, primary-care likelihoods with their sources, prior tiers, regional
flags, leaks, name mappings), and writes ``symptoms.csv``, ``conditions.csv``, ``evidence.csv``,
``demographics.csv``, ``aliases.csv`` and ``kb.yaml``. Every evidence row keeps its source key.

Likelihood layers, first one wins for a (condition, finding) pair: the curated condition files
(``conditions.yaml``, ``evidence.yaml``), the curated cross-cutting links (``links.yaml``), SymCat,
Rotmensch (weight >= 0.02, reviewed mapping), Columbia (ranks 1-8 turned into a coarse figure).
For a curated block marked ``full: true`` (its main findings all listed), a SymCat figure it does
not override is capped at ``SYMCAT_CAP`` and its source becomes ``symcat-capped``: SymCat's
top-12 lists carry ED and paediatric co-findings (gastritis: sharp chest pain 0.41) that would
otherwise outweigh the curated picture.

Without ``--data`` present the external layers are taken back from the committed ``evidence.csv``
(rows whose source is symcat / rotmensch2017 / columbia2008-rank) and the SymCat odds from the
committed ``demographics.csv``, so the curated layers can be rebuilt anywhere. CI never runs this:
the CSVs are committed.

The names of the SymCat codes (zh, synonyms, pinyin, ICD-10, urgency) belong to the translation
work and are read back from the committed CSVs, never regenerated.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import yaml
from pypinyin import lazy_pinyin

REPO = Path(__file__).resolve().parent.parent
TIERS = ("very-common", "common", "uncommon", "rare", "very-rare")
# Relative share of visits per tier (the tiers' geometric middles), used only to weight the
# case-mix marginal that becomes a finding's default leak.
TIER_WEIGHT = {"very-common": 8.0, "common": 1.5, "uncommon": 0.2, "rare": 0.02, "very-rare": 0.001}
TIER_SHARE = {
    "very-common": ">= 5 %",
    "common": "0.5-5 %",
    "uncommon": "0.05-0.5 %",
    "rare": "0.005-0.05 %",
    "very-rare": "< 0.005 %",
}
DEFAULT_TIER_SOURCE = "judgement: tier (default for conditions not in the curated lists)"
AGE_BANDS = (
    "age-1-years",
    "age-1-4-years",
    "age-5-14-years",
    "age-15-29-years",
    "age-30-44-years",
    "age-45-59-years",
    "age-60-74-years",
    "age-75-years",
)
SEXES = ("sex-male", "sex-female")
EXTERNAL = ("symcat", "rotmensch2017", "columbia2008-rank")
ROTMENSCH_FLOOR = 0.02
COLUMBIA_MAX_RANK = 8
SYMCAT_CAP = 0.3
LEAK_RANGE = (0.001, 0.10)
LEAK_SOURCE = (
    "casemix-marginal: sum of tier weight x P(finding | condition) over the KB's conditions / "
    "sum of tier weights (weights very-common 8, common 1.5, uncommon 0.2, rare 0.02, "
    "very-rare 0.001), clipped to [0.001, 0.10]"
)

SYMPTOM_HEADER = [
    "code",
    "en",
    "zh",
    "zh_status",
    "synonyms",
    "pinyin",
    "initials",
    "kind",
    "leak",
    "leak_source",
]
CONDITION_HEADER = [
    "code",
    "en",
    "zh",
    "zh_status",
    "icd10",
    "icd10_status",
    "urgency",
    "urgency_basis",
    "prior_tier",
    "prior_source",
    "regional",
    "care",
    "care_source",
]


class BuildError(ValueError):
    """A curated file names an unknown code or source, or holds an impossible figure."""


# -- reading ----------------------------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _figure(value, default_source: str) -> tuple[float, str]:
    """``0.6`` or ``[0.6, key]`` -> (0.6, source)."""
    if isinstance(value, list):
        probability, source = value
    else:
        probability, source = value, default_source
    return float(probability), str(source)


def _fmt(p: float) -> str:
    return f"{p:.4f}".rstrip("0").rstrip(".") if p < 0.01 else f"{p:.3f}".rstrip("0").rstrip(".")


# -- the external layers ------------------------------------------------------------------------


def symcat_layer(data: Path | None, committed: list[dict]) -> tuple[dict, dict]:
    """SymCat P(symptom | condition) and its age/sex odds (from the data, else from the KB)."""
    evidence: dict[tuple[str, str], float] = {}
    odds: dict[str, dict[str, float]] = {}
    path = data / "symcat" / "conditions.json" if data else None
    if path and path.exists():
        conditions = json.loads(path.read_text(encoding="utf-8"))
        for slug, entry in conditions.items():
            for symptom, fact in entry["symptoms"].items():
                evidence[(slug, symptom)] = round(fact["probability"] / 100, 2)
            odds[slug] = {b: float(entry["age"][b]["odds"]) for b in AGE_BANDS}
            odds[slug].update({s: float(entry["sex"][s]["odds"]) for s in SEXES})
        return evidence, odds
    print("symcat: data not found, reusing the committed symcat rows")
    for row in committed:
        if row.get("source", "symcat") == "symcat":
            evidence[(row["condition"], row["symptom"])] = float(row["probability"])
    return evidence, odds


def rotmensch_layer(data: Path | None, maps: dict, committed: list[dict]) -> dict:
    path = data / "health-kg-rotmensch" / "edges_long.csv" if data else None
    if not (path and path.exists()):
        print("rotmensch: data not found, reusing the committed rotmensch2017 rows")
        return _committed(committed, "rotmensch2017")
    diseases, symptoms = maps["diseases"], maps["symptoms"]
    excluded = set(maps.get("exclude") or [])
    layer: dict[tuple[str, str], float] = {}
    for row in _read_csv(path):
        condition, symptom = diseases.get(row["disease"]), symptoms.get(row["symptom"])
        weight = float(row["noisy_or_weight"])
        if f"{row['disease']}|{row['symptom']}" in excluded:
            continue
        if condition and symptom and weight >= ROTMENSCH_FLOOR:
            # several strings map onto one code ("coughing", "dry cough"): keep the strongest
            layer[(condition, symptom)] = max(weight, layer.get((condition, symptom), 0.0))
    return layer


def _rank_figure(rank: int) -> float:
    return 0.2 if rank <= 3 else 0.1


def columbia_layer(data: Path | None, maps: dict, committed: list[dict]) -> dict:
    path = data / "columbia-dskb" / "disease_symptom.csv" if data else None
    if not (path and path.exists()):
        print("columbia: data not found, reusing the committed columbia2008-rank rows")
        return _committed(committed, "columbia2008-rank")
    diseases, symptoms = maps["diseases"], maps["symptoms"]
    excluded = set(maps.get("exclude") or [])
    layer: dict[tuple[str, str], float] = {}
    for row in _read_csv(path):
        condition, symptom = diseases.get(row["disease_names"]), symptoms.get(row["symptom_names"])
        pair_name = f"{row['disease_names']}|{row['symptom_names']}"
        if pair_name in excluded or int(row["symptom_rank"]) > COLUMBIA_MAX_RANK:
            continue
        if condition and symptom:
            figure = _rank_figure(int(row["symptom_rank"]))
            layer[(condition, symptom)] = max(figure, layer.get((condition, symptom), 0.0))
    return layer


def _committed(rows: list[dict], source: str) -> dict:
    return {
        (r["condition"], r["symptom"]): float(r["probability"])
        for r in rows
        if r.get("source") == source
    }


# -- the curated layers -------------------------------------------------------------------------


def curated_condition_rows(new_conditions: dict, evidence: dict) -> dict:
    layer: dict[tuple[str, str], tuple[float, str]] = {}
    for block in (new_conditions, evidence):
        for condition, entry in block.items():
            for symptom, value in entry["evidence"].items():
                layer[(condition, symptom)] = _figure(value, entry["source"])
    return layer


def capped_symcat(symcat: dict, evidence: dict, committed: list[dict]) -> tuple[dict, dict]:
    """SymCat split into kept figures and, for ``full`` curated blocks, capped ones."""
    full = {c for c, entry in evidence.items() if entry.get("full")}
    kept, capped = {}, {}
    for pair, p in symcat.items():
        if pair[0] in full and p > SYMCAT_CAP:
            capped[pair] = SYMCAT_CAP
        else:
            kept[pair] = p
    # without the data, the capped rows come back from the committed KB under their own key
    capped.update(_committed(committed, "symcat-capped"))
    return kept, capped


def link_rows(links: dict) -> dict:
    layer: dict[tuple[str, str], tuple[float, str]] = {}
    for symptom, entry in links.items():
        default = entry["source"]
        for condition, value in entry.items():
            if condition != "source":
                layer[(condition, symptom)] = _figure(value, default)
    return layer


def merge(layers: list[tuple[str | None, dict]]) -> dict[tuple[str, str], tuple[float, str]]:
    """First layer wins for a pair: (source, {pair: p}) or (None, {pair: (p, source)})."""
    merged: dict[tuple[str, str], tuple[float, str]] = {}
    for source, layer in layers:
        for pair, value in layer.items():
            if pair not in merged:
                merged[pair] = value if source is None else (value, source)
    return merged


# -- names, tiers, leaks ------------------------------------------------------------------------


def _pinyin(zh: str) -> tuple[str, str]:
    han = "".join(ch for ch in zh if "\u3400" <= ch <= "\u9fff")
    syllables = lazy_pinyin(han)
    return " ".join(syllables), "".join(s[0] for s in syllables if s)


def build_symptoms(committed: list[dict], findings: dict, new_codes: set[str]) -> dict[str, dict]:
    signs = set(findings["signs"])
    moved = findings.get("synonyms_moved") or {}
    symptoms = {}
    for row in committed:
        if row["code"] in new_codes:
            continue
        base = {k: row.get(k, "") for k in SYMPTOM_HEADER[:7]}
        if row["code"] in moved:
            kept = [w for w in base["synonyms"].split(";") if w not in moved[row["code"]]]
            base["synonyms"] = ";".join(kept)
        base["kind"] = "sign" if row["code"] in signs else "symptom"
        symptoms[row["code"]] = base
    for item in findings["new"]:
        pinyin, initials = _pinyin(item["zh"])
        symptoms[item["code"]] = {
            "code": item["code"],
            "en": item["en"],
            "zh": item["zh"],
            "zh_status": "reviewed",
            "synonyms": ";".join(item["synonyms"]),
            "pinyin": pinyin,
            "initials": initials,
            "kind": item["kind"],
            "leak": item["leak"],
            "leak_source": item["leak_source"],
        }
    unknown = signs - set(symptoms)
    if unknown:
        raise BuildError(f"findings.yaml signs: unknown codes {sorted(unknown)}")
    return symptoms


def tier_table(priors: dict) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for tier, groups in priors["tiers"].items():
        if tier not in TIERS:
            raise BuildError(f"priors.yaml: unknown tier {tier}")
        for source_key, codes in groups.items():
            for code in codes:
                if code in table:
                    raise BuildError(f"priors.yaml: {code} has two tiers")
                table[code] = (tier, priors["sources"][source_key])
    return table


def build_conditions(
    committed: list[dict], new_conditions: dict, priors: dict, names: dict
) -> dict[str, dict]:
    conditions = {}
    for row in committed:
        if row["code"] not in new_conditions:
            conditions[row["code"]] = {k: row.get(k, "") for k in CONDITION_HEADER[:8]}
    for code, fix in names.items():
        row = conditions[code]
        row["en"], row["zh"], row["icd10"] = fix["en"], fix["zh"], fix["icd10"]
        row["zh_status"] = row["icd10_status"] = "reviewed"
    for code, entry in new_conditions.items():
        conditions[code] = {
            "code": code,
            "en": entry["en"],
            "zh": entry["zh"],
            "zh_status": "reviewed",
            "icd10": entry["icd10"],
            "icd10_status": "reviewed",
            "urgency": entry["urgency"],
            "urgency_basis": entry["urgency_basis"],
        }
    for code, fix in priors["urgency"].items():
        conditions[code]["urgency"] = fix["urgency"]
        conditions[code]["urgency_basis"] = fix["basis"]
    tiers = tier_table(priors)
    unknown = set(tiers) - set(conditions)
    if unknown:
        raise BuildError(f"priors.yaml tiers: unknown conditions {sorted(unknown)}")
    regional = {c: flag for flag, codes in priors["regional"].items() for c in codes}
    unknown = set(regional) - set(conditions)
    if unknown:
        raise BuildError(f"priors.yaml regional: unknown conditions {sorted(unknown)}")
    for code, row in conditions.items():
        row["prior_tier"], row["prior_source"] = tiers.get(code, ("rare", DEFAULT_TIER_SOURCE))
        row["regional"] = regional.get(code, "everywhere")
    care = priors.get("care", {})
    unknown = set(care) - set(conditions)
    if unknown:
        raise BuildError(f"priors.yaml care: unknown conditions {sorted(unknown)}")
    for code, row in conditions.items():
        # village: the village clinic treats it or refers by presentation (the default)
        row["care"], row["care_source"] = ("refer", care[code]) if code in care else ("village", "")
    return conditions


def fill_leaks(symptoms: dict, conditions: dict, evidence: dict, overrides: dict) -> None:
    """A finding's leak: curated when given, else the case-mix-weighted marginal over the KB."""
    weights = {c: TIER_WEIGHT[row["prior_tier"]] for c, row in conditions.items()}
    total = sum(weights.values())
    marginal: dict[str, float] = {}
    for (condition, symptom), (p, _) in evidence.items():
        marginal[symptom] = marginal.get(symptom, 0.0) + weights[condition] * p
    low, high = LEAK_RANGE
    for code, row in symptoms.items():
        if code in overrides:
            row["leak"], row["leak_source"] = overrides[code]["leak"], overrides[code]["source"]
        elif row.get("leak") in (None, ""):
            row["leak"] = round(min(high, max(low, marginal.get(code, 0.0) / total)), 4)
            row["leak_source"] = LEAK_SOURCE


# -- checks and output --------------------------------------------------------------------------


def check(evidence: dict, symptoms: dict, conditions: dict, source_keys: set[str]) -> None:
    for (condition, symptom), (p, source) in evidence.items():
        if condition not in conditions:
            raise BuildError(f"evidence names unknown condition {condition} ({symptom})")
        if symptom not in symptoms:
            raise BuildError(f"evidence names unknown finding {symptom} ({condition})")
        if source not in source_keys:
            raise BuildError(f"evidence {condition}/{symptom}: unknown source {source}")
        if not 0 < p <= 1:
            raise BuildError(f"evidence {condition}/{symptom}: probability {p}")
    bare = set(conditions) - {c for c, _ in evidence}
    if bare:
        raise BuildError(f"conditions without evidence: {sorted(bare)}")


def write(out: Path, symptoms, conditions, evidence, odds, new_conditions, aliases, sources):
    _write_csv(
        out / "symptoms.csv",
        SYMPTOM_HEADER,
        [[row.get(k, "") for k in SYMPTOM_HEADER] for _, row in sorted(symptoms.items())],
    )
    _write_csv(
        out / "conditions.csv",
        CONDITION_HEADER,
        [[row[k] for k in CONDITION_HEADER] for _, row in sorted(conditions.items())],
    )
    rows = sorted(evidence.items(), key=lambda item: (item[0][0], -item[1][0], item[0][1]))
    _write_csv(
        out / "evidence.csv",
        ["condition", "symptom", "probability", "source"],
        [[c, s, _fmt(p), source] for (c, s), (p, source) in rows],
    )
    demographics = []
    for code in sorted(conditions):
        entry = new_conditions.get(code)
        if entry:
            factors = dict(zip(AGE_BANDS + SEXES, entry["age"] + entry["sex"], strict=True))
        else:
            factors = odds[code]
        demographics += [[code, f, f"{factors[f]:g}"] for f in AGE_BANDS + SEXES]
    _write_csv(out / "demographics.csv", ["condition", "factor", "odds"], demographics)
    _write_csv(out / "aliases.csv", ["kind", "old_code", "new_code"], aliases)
    manifest = {
        "name": "general",
        "title": {
            "zh": f"全科常见病({len(conditions)} 种)",
            "en": f"General practice ({len(conditions)} conditions)",
        },
        "clinical": True,
        "kind": "generative",
        "version": "2.0.0",
        # what a tier means, for the model that turns tiers into a prior (and the leak weights)
        "prior_tiers": {
            tier: {"share_of_visits": TIER_SHARE[tier], "casemix_weight": TIER_WEIGHT[tier]}
            for tier in TIERS
        },
        "sources": sources,
        "notes": "names, ICD-10 and urgency: see symptoms.csv / conditions.csv (zh_status, "
        "icd10_status); every evidence row names its source key (evidence.csv `source`); prior "
        "tiers, regional flags and leaks with their sources in conditions.csv / symptoms.csv; "
        "built by tools/build_general_kb.py from curated/*.yaml and ../shared/data "
        "(docs/diagnosis-kb.md)",
    }
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100)
    (out / "kb.yaml").write_text(text, encoding="utf-8")


def _demographic_odds(data_odds: dict, committed: list[dict]) -> dict:
    if data_odds:
        return data_odds
    odds: dict[str, dict[str, float]] = {}
    for row in committed:
        odds.setdefault(row["condition"], {})[row["factor"]] = float(row["odds"])
    return odds


def build(data: Path | None, out: Path) -> dict[str, int]:
    curated = out / "curated"
    sources = _yaml(curated / "sources.yaml")
    findings = _yaml(curated / "findings.yaml")
    new_conditions = _yaml(curated / "conditions.yaml")
    evidence_file = _yaml(curated / "evidence.yaml")
    links = _yaml(curated / "links.yaml")
    priors = _yaml(curated / "priors.yaml")
    maps = _yaml(curated / "maps.yaml")
    leaks = _yaml(curated / "leaks.yaml") or {}
    aliases = _yaml(curated / "aliases.yaml") or []
    committed_evidence = _read_csv(out / "evidence.csv")
    if data is not None and not data.exists():
        data = None

    new_codes = {item["code"] for item in findings["new"]}
    symptoms = build_symptoms(_read_csv(out / "symptoms.csv"), findings, new_codes)
    names = _yaml(curated / "names.yaml") or {}
    conditions = build_conditions(_read_csv(out / "conditions.csv"), new_conditions, priors, names)
    symcat, symcat_odds = symcat_layer(data, committed_evidence)
    symcat, capped = capped_symcat(symcat, evidence_file, committed_evidence)
    evidence = merge(
        [
            (None, curated_condition_rows(new_conditions, evidence_file)),
            (None, link_rows(links)),
            ("symcat", symcat),
            ("symcat-capped", capped),
            ("rotmensch2017", rotmensch_layer(data, maps["rotmensch"], committed_evidence)),
            ("columbia2008-rank", columbia_layer(data, maps["columbia"], committed_evidence)),
        ]
    )
    check(evidence, symptoms, conditions, {s["key"] for s in sources})
    fill_leaks(symptoms, conditions, evidence, leaks)
    odds = _demographic_odds(symcat_odds, _read_csv(out / "demographics.csv"))
    alias_rows = [[a["kind"], a["old_code"], a["new_code"]] for a in aliases]
    write(out, symptoms, conditions, evidence, odds, new_conditions, alias_rows, sources)
    counts: dict[str, int] = {"conditions": len(conditions), "findings": len(symptoms)}
    for _, source in evidence.values():
        counts[f"evidence:{source}"] = counts.get(f"evidence:{source}", 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "gpassist/models/diagnosis/general")
    args = parser.parse_args()
    for name, count in build(args.data, args.out).items():
        print(f"{name}: {count}")


if __name__ == "__main__":
    main()
