"""Build the county catalog's essential-medicines files from the national list (2018 edition).

    .venv/bin/python tools/build_neml_catalog.py [--data ../shared/data/neml-2018]
        [--county clinics/demo-county] [--overrides tools/neml-2018-overrides.yaml]
        [--label-doses tools/neml-2018-label-doses.yaml]

Reads ``neml2018.jsonl`` (国家基本药物目录（2018年版）, 685 products, as scraped from the NMPA
database; see that folder's README) and writes two files into the county folder:

- ``essential-medicines/neml-2018.yaml``: the list itself, one entry per product with its part,
  therapeutic class, forms and strengths as printed, △ and remark, and the catalog codes that
  realise it (one code per form and strength);
- ``drugs/neml-2018.yaml``: a catalog entry for every form and strength that ``drugs.yaml`` does not
  already hold. A list product that is an existing drug keeps the existing code (formularies,
  demo data and tests refer to it); the list file links it.

Nothing clinical is invented: new entries have no dose limits and an unknown pregnancy safety
(the prescribing rules refuse such a line rather than treat it as unlimited), no TCM syndromes,
one dispensing unit a pack, a synthetic price (``prices_synthetic: true``) and the insurance
category A as a best-effort estimate (``insurance_estimated: true``). Strengths are parsed from the
list's text; where none can be read the drug is dosed in its own unit (tablet, capsule, …).

The form split of the source is heuristic; ``tools/neml-2018-overrides.yaml`` corrects the specs
that parse badly and links existing catalog drugs that names alone cannot match. The output is
deterministic: run it again after changing the overrides or ``drugs.yaml``.

The exception is ``tools/neml-2018-label-doses.yaml``: machine-drafted label doses
(《中国药典》2020年版一部, 用法与用量 and 注意) of the patent medicines the TCM knowledge base
suggests. Their rows get
``usual_daily_dose``, ``max_daily_dose`` and the label's pregnancy note, converted with each row's
strength (``neml_label_doses.py``), and ``dose_source: {status: machine, …}`` saying so.
"""

from __future__ import annotations

import argparse
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from neml_label_doses import apply as apply_label_doses
from neml_label_doses import load as load_label_doses

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "neml-2018"
EDITION = "2018"
CHEMICAL, PATENT = "化学药品和生物制品", "中成药"

# dosage form (as the list prints it) -> English, code slug, dispensing unit (zh, en), dose unit
# when the strength cannot be read. Forms not here keep their Chinese text in English too.
FORMS: dict[str, tuple[str, str, str, str, str]] = {
    "片剂": ("tablet", "tab", "片", "tablet", "tab"),
    "分散片": ("dispersible tablet", "dtab", "片", "tablet", "tab"),
    "咀嚼片": ("chewable tablet", "chtab", "片", "tablet", "tab"),
    "肠溶片": ("enteric-coated tablet", "ectab", "片", "tablet", "tab"),
    "缓释片": ("sustained-release tablet", "srtab", "片", "tablet", "tab"),
    "控释片": ("controlled-release tablet", "crtab", "片", "tablet", "tab"),
    "口腔崩解片": ("orally disintegrating tablet", "odt", "片", "tablet", "tab"),
    "阴道片": ("vaginal tablet", "vagtab", "片", "tablet", "tab"),
    "胶囊": ("capsule", "cap", "粒", "capsule", "cap"),
    "软胶囊": ("soft capsule", "softcap", "粒", "capsule", "cap"),
    "肠溶胶囊": ("enteric-coated capsule", "eccap", "粒", "capsule", "cap"),
    "肠溶软胶囊": ("enteric-coated soft capsule", "ecsoftcap", "粒", "capsule", "cap"),
    "缓释胶囊": ("sustained-release capsule", "srcap", "粒", "capsule", "cap"),
    "颗粒剂": ("granules", "gran", "袋", "sachet", "sachet"),
    "缓释颗粒": ("sustained-release granules", "srgran", "袋", "sachet", "sachet"),
    "干混悬剂": ("dry suspension", "drysusp", "袋", "sachet", "sachet"),
    "散剂": ("powder", "pwd", "袋", "sachet", "sachet"),
    "粉剂": ("powder", "pwd", "袋", "sachet", "sachet"),
    "丸剂": ("pills", "pill", "丸", "pill", "pill"),
    "滴丸剂": ("dripping pills", "dpill", "丸", "pill", "pill"),
    "注射液": ("injection", "inj", "支", "ampoule", "amp"),
    "注射用无菌粉末": ("powder for injection", "pinj", "瓶", "vial", "vial"),
    "冻干粉": ("lyophilised powder", "lyo", "瓶", "vial", "vial"),
    "合剂": ("oral mixture", "mixt", "瓶", "bottle", "bottle"),
    "口服溶液剂": ("oral solution", "osol", "瓶", "bottle", "bottle"),
    "混悬液": ("suspension", "susp", "瓶", "bottle", "bottle"),
    "糖浆剂": ("syrup", "syr", "瓶", "bottle", "bottle"),
    "滴剂": ("drops", "drops", "瓶", "bottle", "bottle"),
    "胶浆剂": ("mucilage", "mucil", "瓶", "bottle", "bottle"),
    "煎膏剂": ("concentrated decoction", "gao", "瓶", "bottle", "bottle"),
    "煎膏剂（膏滋）": ("concentrated decoction", "gao", "瓶", "bottle", "bottle"),
    "酊剂": ("tincture", "tinct", "瓶", "bottle", "bottle"),
    "酒剂": ("medicinal wine", "wine", "瓶", "bottle", "bottle"),
    "滴眼剂": ("eye drops", "eyedrops", "支", "bottle", "bottle"),
    "滴鼻剂": ("nasal drops", "nasal", "支", "bottle", "bottle"),
    "滴耳剂": ("ear drops", "eardrops", "支", "bottle", "bottle"),
    "外用溶液剂": ("topical solution", "topsol", "瓶", "bottle", "bottle"),
    "洗剂": ("lotion", "lotion", "瓶", "bottle", "bottle"),
    "涂剂": ("paint", "paint", "瓶", "bottle", "bottle"),
    "软膏剂": ("ointment", "oint", "支", "tube", "tube"),
    "乳膏剂": ("cream", "cream", "支", "tube", "tube"),
    "眼膏剂": ("eye ointment", "eyeoint", "支", "tube", "tube"),
    "凝胶剂": ("gel", "gel", "支", "tube", "tube"),
    "栓剂": ("suppository", "supp", "粒", "suppository", "supp"),
    "灌肠剂": ("enema", "enema", "支", "enema", "enema"),
    "气雾剂": ("aerosol", "aero", "瓶", "canister", "can"),
    "喷雾剂": ("spray", "spray", "瓶", "bottle", "bottle"),
    "吸入粉雾剂": ("inhalation powder", "dpi", "支", "inhaler", "inhaler"),
    "吸入溶液剂": ("inhalation solution", "inhsol", "支", "ampoule", "amp"),
    "雾化溶液剂（含吸入溶液剂）": ("nebuliser solution", "neb", "支", "ampoule", "amp"),
    "贴膏剂": ("plaster", "plaster", "贴", "plaster", "plaster"),
    "橡胶膏剂": ("rubber plaster", "rplaster", "贴", "plaster", "plaster"),
    "膏药": ("medicated plaster", "gaoyao", "贴", "plaster", "plaster"),
    "鼻喷雾剂": ("nasal spray", "nspray", "瓶", "bottle", "bottle"),
    "阴道泡腾片": ("vaginal effervescent tablet", "vagefftab", "片", "tablet", "tab"),
    "阴道软胶囊": ("vaginal soft capsule", "vagsoftcap", "粒", "capsule", "cap"),
}
# how a form is written in a drug's name: chemical 阿莫西林 + 胶囊 -> 阿莫西林胶囊; a patent
# medicine's name already ends with one of these for its own form (藿香正气水 is the 酊剂)
NAME_FORMS: dict[str, tuple[str, ...]] = {
    "片剂": ("片",),
    "分散片": ("分散片",),
    "肠溶片": ("肠溶片",),
    "缓释片": ("缓释片",),
    "咀嚼片": ("咀嚼片",),
    "胶囊": ("胶囊",),
    "肠溶胶囊": ("肠溶胶囊",),
    "缓释胶囊": ("缓释胶囊",),
    "口服溶液剂": ("口服溶液",),
    "混悬液": ("混悬液",),
    "干混悬剂": ("干混悬剂",),
    "乳膏剂": ("乳膏",),
    "滴眼剂": ("滴眼液",),
    "软胶囊": ("软胶囊",),
    "颗粒剂": ("颗粒",),
    "丸剂": ("丸",),
    "滴丸剂": ("滴丸",),
    "注射液": ("注射液",),
    "合剂": ("口服液", "合剂"),
    "糖浆剂": ("糖浆",),
    "散剂": ("散",),
    "酊剂": ("水", "酊"),
    "煎膏剂": ("膏",),
    "软膏剂": ("软膏", "膏"),
    "贴膏剂": ("膏",),
    "气雾剂": ("气雾剂",),
    "栓剂": ("栓",),
}
# "A：每袋装3g" names the unit the strength is counted in; it overrides the form's default unit
UNIT_HINTS = (
    ("每袋", "袋", "sachet"),
    ("每瓶", "瓶", "bottle"),
    ("每支", "支", "vial"),
    ("每粒", "粒", "capsule"),
    ("每片", "片", "tablet"),
    ("每丸", "丸", "pill"),
    ("每贴", "贴", "plaster"),
)
AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万IU|万U|万单位|IU|mg|μg|ug|mcg|g|ml|mL|U|单位)(?![A-Za-z])"
)
# 单位 and U are international units here (insulin, heparin, interferon): the catalog writes IU
UNIT_NAMES = {
    "μg": "mcg",
    "ug": "mcg",
    "mL": "ml",
    "单位": "IU",
    "万单位": "万IU",
    "U": "IU",
    "万U": "万IU",
}
# patent-medicine names end with their forms (感冒清热颗粒（胶囊）); the stem is what matches
PATENT_SUFFIXES = (
    "口服液",
    "注射液",
    "软胶囊",
    "滴丸",
    "胶囊",
    "颗粒",
    "糖浆",
    "合剂",
    "丸",
    "片",
    "散",
    "膏",
    "酊",
    "水",
    "剂",
    "茶",
    "露",
    "液",
)


@dataclass
class Row:
    """One form and strength of a list product: a catalog drug."""

    form: str
    strength: str  # as printed ("" when the list gives none)
    qualifier: str = ""  # a salt or variant printed before the form, e.g. （盐酸盐）
    amount: float | None = None
    amount_unit: str | None = None
    code: str | None = None  # set when an existing catalog drug realises it


@dataclass
class Product:
    seq: int
    record: dict
    rows: list[Row] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # existing drugs linked besides the rows
    groups: set[str] = field(default_factory=set)  # generic groups of its existing drugs
    codes: list[str] = field(default_factory=list)


def split_top(text: str, seps: str = "、") -> list[str]:
    """Split on ``seps`` outside （…） and (…)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out if p.strip()]


def parse_forms(head: str) -> list[tuple[str, str]]:
    """(qualifier, form) pairs of a spec's head: 肠溶（片剂、胶囊） -> 肠溶片, 肠溶胶囊."""
    out: list[tuple[str, str]] = []
    qualifier = ""
    for part in split_top(head):
        m = re.match(r"^（([^）]*)）(.*)$", part)
        if m:  # （盐酸盐）片剂: the salt applies to this and the following forms
            qualifier, part = f"（{m.group(1)}）", m.group(2)
        m = re.match(r"^(肠溶|缓释)（(.*)）$", part)
        if m:
            for inner in split_top(m.group(2)):
                out.append((qualifier, _prefixed(m.group(1), inner)))
            continue
        out.append((qualifier, part))
    return out


def _prefixed(prefix: str, form: str) -> str:
    base = form.removesuffix("剂")
    return prefix + base if base != "颗粒" else prefix + "颗粒"


def parse_strengths(tail: str, part: str) -> list[str]:
    """The strengths of a spec's tail: 每袋装3g、6g -> 每袋装3g, 每袋装6g.

    A patent medicine's descriptive spec (每丸重9g，每100丸重10g) is one strength, not a list.
    """
    if part == PATENT and "，" in tail:
        return [tail]
    items = split_top(tail)
    if not items:
        return []
    lead = re.match(r"^([^\d]*?)(?=\d)", items[0])
    prefix = lead.group(1) if lead and part == PATENT else ""
    return [items[0]] + [prefix + it if it[:1].isdigit() else it for it in items[1:]]


def read_amount(strength: str) -> tuple[float | None, str | None]:
    """The drug in one dispensing unit: 0.25g -> (0.25, g); 100ml:2.4g -> (2.4, g); 每袋装3g ->
    (3, g). A percentage or anything unreadable -> (None, None)."""
    if "%" in strength:
        return None, None
    found = [(float(v), UNIT_NAMES.get(u, u)) for v, u in AMOUNT.findall(strength)]
    if not found:
        return None, None
    if ":" in strength or "：" in strength:  # volume:content, the content is the dose
        content = [f for f in found if f[1] != "ml"]
        if content:
            found = content
    value, unit = found[0]
    if unit.startswith("万"):
        value, unit = value * 10000, unit[1:]
    return value, unit


def parse_product(record: dict, fixes: dict[int, list[str]]) -> Product:
    product = Product(record["seq"], record)
    specs = fixes.get(record["seq"], record["dosage_forms_specs"])
    for spec in specs:
        for chunk in split_heads(spec):
            head, _, tail = chunk.partition("：")
            if record["part"] == CHEMICAL:  # 0.1mg/吸；0.2mg: strengths, not sections
                tail = tail.replace("；", "、")
            strengths = parse_strengths(tail, record["part"]) or [""]
            for qualifier, form in parse_forms(head):
                for strength in strengths:
                    amount, unit = read_amount(strength)
                    row = Row(form, strength, qualifier, amount, unit)
                    if not any(_same(row, r) for r in product.rows):
                        product.rows.append(row)
    return product


def split_heads(spec: str) -> list[str]:
    """A spec line may hold several ``form：strengths`` sections, joined by ；(sections merged by
    NMPA) or by ，(片剂：5mg、10mg，缓释片：20mg): split where the next piece has its own head."""
    pieces = re.split(r"([；，])", spec)
    out = [pieces[0]]
    for sep, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        head = piece.split("：")[0]
        if ("：" in piece and "，" not in head and "、" not in head.strip("（）")) or (
            "：" in piece and re.fullmatch(r"[^\d，]+", head)
        ):
            out.append(piece)
        else:
            out[-1] += sep + piece
    return out


def _same(a: Row, b: Row) -> bool:
    return (a.form, a.strength, a.qualifier) == (b.form, b.strength, b.qualifier)


# --- matching the existing catalog -------------------------------------------------------------


def form_key(form: str) -> str:
    form = re.sub(r"（.*?）", "", form).removesuffix("剂")
    if form.endswith("注射液"):
        return "注射液"
    return {
        "口服液": "合",
        "口服混悬液": "混悬液",
        "大蜜丸": "丸",
        "浓缩丸": "丸",
        "水丸": "丸",
        "水蜜丸": "丸",
        "小蜜丸": "丸",
    }.get(form, form)


def stem(record: dict) -> str:
    name = re.sub(r"（.*?）", "", record["name_cn"])
    if record["part"] == PATENT:
        for suffix in PATENT_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                return name.removesuffix(suffix)
    return name


def to_mg(value: float, unit: str) -> tuple[float, str]:
    scale = {"g": 1000.0, "mg": 1.0, "mcg": 0.001}
    if unit in scale:
        return round(value * scale[unit], 6), "mg"
    return value, {"U": "IU"}.get(unit, unit)  # insulin's 单位 is the catalog's IU


def product_of(drug: dict, products: list[Product]) -> Product | None:
    """The list product an existing drug belongs to: the longest name its Chinese name contains;
    for chemical products the English name must also appear as a word (左氨氯地平 is not
    氨氯地平)."""
    best: tuple[int, Product] | None = None
    zh, en = drug["generic_name"]["zh"], drug["generic_name"]["en"].lower()
    for p in products:
        s = stem(p.record)
        if len(s) < 2 or s not in zh:
            continue
        if p.record["part"] == PATENT and not zh.startswith(s):  # 小柴胡颗粒 is not 柴胡注射液
            continue
        if "复方" in zh and "复方" not in p.record["name_cn"]:  # 复方利血平氨苯蝶啶 is not 氨苯蝶啶
            continue
        if p.record["part"] == CHEMICAL:
            if drug["kind"] != "western":
                continue
            name_en = (p.record["name_en"] or "").lower()
            if not name_en or not re.search(rf"(?<![a-z]){re.escape(name_en)}(?![a-z])", en):
                continue
        elif drug["kind"] != "chinese_patent":
            continue
        if best is None or len(s) > best[0]:
            best = (len(s), p)
    return best[1] if best else None


def match_existing(products: list[Product], existing: list[dict], links: dict[str, dict]) -> dict:
    """Give each row an existing drug's code where the drug is that form and strength.

    A strength matches when the existing drug's amount (in mg, IU or ml) is any amount the
    row's text names (100ml:2g names 100 ml and 2 g); where the existing drug counts its
    strength otherwise (a patent medicine dosed per pill) the one row of its form is taken. A
    chemical drug of a strength the list lacks (amoxicillin 0.5 g) stays off the list; an
    existing patent medicine of a listed form whose strength cannot be matched, or a drug the
    overrides link, is linked to its product besides the list's rows.
    """
    by_seq = {p.seq: p for p in products}
    report: dict[str, list[str]] = {
        "linked": [],
        "linked besides the rows": [],
        "not on the list": [],
    }
    for drug in existing:
        link = links.get(drug["code"])
        product = by_seq[link["product"]] if link else product_of(drug, products)
        if product is None:
            continue
        row = _row_for(drug, product, link)
        name = product.record["name_cn"]
        if "topical" not in drug["generic_group"]:  # an ointment's group is not the tablet's
            product.groups.add(drug["generic_group"])
        if row is not None:
            row.code = drug["code"]
            report["linked"].append(f"{drug['code']} -> {name} {row.form} {row.strength}")
        elif link or (
            product.record["part"] == PATENT
            and any(form_key(r.form) == form_key(drug["form"]["zh"]) for r in product.rows)
        ):
            product.extra.append(drug["code"])
            report["linked besides the rows"].append(f"{drug['code']} -> {name}")
        else:
            report["not on the list"].append(f"{drug['code']} ({name})")
    return report


def _row_for(drug: dict, product: Product, link: dict | None) -> Row | None:
    free = [r for r in product.rows if r.code is None]
    if link and link.get("strength"):
        return next(
            (
                r
                for r in free
                if r.strength == link["strength"] and link.get("form", r.form) == r.form
            ),
            None,
        )
    key = form_key(drug["form"]["zh"])
    amount = to_mg(drug["strength_value"], drug["dose_unit"])
    same_form = [r for r in free if form_key(r.form) == key]
    exact = [r for r in same_form if amount in amounts_of(r)]
    if exact:  # the closest form name first: 重组人胰岛素 for a human insulin
        return max(exact, key=lambda r: _likeness(r, drug["generic_name"]["zh"]))
    units = {a[1] for r in product.rows if form_key(r.form) == key for a in amounts_of(r)}
    if len(same_form) == 1 and (amount[1] not in units or link):
        return same_form[0]
    return None


def _likeness(row: Row, name: str) -> int:
    """Characters of the row's salt and form that the drug's name shares (钠盐 for 青霉素钠)."""
    return sum(ch in name for ch in row.qualifier + row.form.split("（")[0])


def amounts_of(row: Row) -> set[tuple[float, str]]:
    found = {(float(v), UNIT_NAMES.get(u, u)) for v, u in AMOUNT.findall(row.strength)}
    out = set()
    for value, unit in found:
        if unit.startswith("万"):
            value, unit = value * 10000, unit[1:]
        out.add(to_mg(value, unit))
    return out


# --- writing -----------------------------------------------------------------------------------


def slug(text: str) -> str:
    text = text.lower().replace("μ", "u").replace("万", "w")
    text = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
    return re.sub(r"-{2,}", "-", text)


def base_code(product: Product, overrides: dict) -> str:
    seq = product.seq
    if seq in overrides.get("code_names", {}):
        return overrides["code_names"][seq]
    en = product.record["name_en"]
    if product.record["part"] == CHEMICAL and en:
        return slug(en)[:28].strip("-.")
    return f"neml18-{seq:03d}"


def form_info(form: str) -> tuple[str, str, str, str, str]:
    """English, code slug, dispensing unit (zh, en) and own dose unit of a dosage form."""
    if form in FORMS:
        return FORMS[form]
    plain = re.sub(r"（.*?）", "", form)
    if plain in FORMS:
        en, code, unit_zh, unit_en, own = FORMS[plain]
        return f"{en} ({form[len(plain) :].strip('（）')})", code, unit_zh, unit_en, own
    if "注射用" in form:
        return "powder for injection", "pinj", "瓶", "vial", "vial"
    if form.endswith("注射液") or "注射液（" in form:
        return "injection", "inj", "支", "ampoule", "amp"
    return form, "", "盒", "pack", "pack"


def drug_name(record: dict, row: Row) -> str:
    """The drug's Chinese name: 阿莫西林胶囊, 注射用头孢曲松, 感冒清热颗粒, 藿香正气水."""
    main = re.sub(r"（.*?）", "", record["name_cn"])
    words = NAME_FORMS.get(row.form)
    if record["part"] == PATENT:
        if words and any(main.endswith(w) for w in words):
            return main
        if words:
            return stem(record) + words[0]
        return f"{main}（{row.form}）"
    if row.form == "注射用无菌粉末":
        return f"注射用{main}{row.qualifier}"
    if words:
        return f"{main}{row.qualifier}{words[0]}"
    return f"{main}{row.qualifier}（{row.form}）"


def new_drug(product: Product, row: Row, code: str, group: str) -> dict:
    record = product.record
    en_form, _, unit_zh, unit_en, own_unit = form_info(row.form)
    for hint, zh, en in UNIT_HINTS:
        if row.strength.startswith(hint):
            unit_zh, unit_en = zh, en
            break
    if row.amount is not None:
        value, dose_unit = row.amount, row.amount_unit
    else:  # dosed in its own unit, like the existing patent medicines
        value, dose_unit = 1.0, own_unit
    name_zh = drug_name(record, row)
    name_en = f"{record['name_en'] or 'Chinese patent medicine ' + name_zh} ({en_form})"
    strength = row.strength or "规格未列明 / not stated"
    if len(strength) > 60:
        strength = strength[:59] + "…"
    return {
        "code": code,
        "generic_name": {"zh": name_zh[:200], "en": name_en[:200]},
        "kind": "western" if record["part"] == CHEMICAL else "chinese_patent",
        "form": {"zh": row.form[:60], "en": en_form[:60]},
        "strength": strength,
        "strength_value": value,
        "dose_unit": dose_unit,
        "unit": {"zh": unit_zh, "en": unit_en},
        "pack_size": 1,
        "pack_unit": {"zh": unit_zh, "en": unit_en},
        "unit_price_fen": synthetic_price(code, row, record),
        "insurance_category": "A",
        "generic_group": group,
    }


def synthetic_price(code: str, row: Row, record: dict) -> int:
    """A made-up price in fen, stable for a code, in a band by form (never a real price)."""
    band = (5, 150)
    if "注射" in row.form or "粉末" in row.form or "冻干" in row.form:
        band = (150, 3000)
    elif any(w in row.form for w in ("颗粒", "散", "干混悬", "合剂", "糖浆", "溶液", "混悬液")):
        band = (40, 400)
    elif any(w in row.form for w in ("膏", "滴", "气雾", "喷雾", "吸入", "洗", "涂", "酊", "酒")):
        band = (300, 3000)
    if "单抗" in record["name_cn"] or "西普" in record["name_cn"]:
        band = (100000, 500000)
    low, high = band
    return low + zlib.crc32(code.encode()) % (high - low)


def build(
    data: Path, county: Path, overrides_path: Path, label_doses_path: Path | None = None
) -> dict[str, int]:
    overrides = yaml.safe_load(overrides_path.read_text(encoding="utf-8")) or {}
    records = [json.loads(line) for line in (data / "neml2018.jsonl").read_text().splitlines()]
    fixes = {int(k): v for k, v in (overrides.get("spec_fixes") or {}).items()}
    products = [parse_product(r, fixes) for r in records]
    for product in products:  # a class of drugs named in a footnote, not a drug of its own
        if product.seq in set(overrides.get("scope_entries") or ()):
            product.rows.clear()
    existing = yaml.safe_load((county / "drugs.yaml").read_text(encoding="utf-8"))["drugs"]
    existing_groups = {d["code"]: d["generic_group"] for d in existing}
    links = {
        code: link if isinstance(link, dict) else {"product": link}
        for code, link in (overrides.get("links") or {}).items()
    }
    report = match_existing(products, existing, links)

    taken = set(existing_groups)
    new_drugs = []
    for product in products:
        # new forms join the group of the product's existing drugs (one generic, one group), so
        # the duplicate, allergy and interaction rules see them as the same drug
        base = base_code(product, overrides)
        group = next(iter(product.groups)) if len(product.groups) == 1 else base
        for row in product.rows:
            if row.code is None:
                form_slug = form_info(row.form)[1] or f"f{product.rows.index(row)}"
                strength_slug = slug(row.strength)[:16].strip("-.")
                code = "-".join(p for p in (base, strength_slug, form_slug) if p)[:60]
                n = 2
                while code in taken:
                    code = f"{code[:57]}-{n}"
                    n += 1
                row.code = code
                new_drugs.append(new_drug(product, row, code, group))
            taken.add(row.code)
            product.codes.append(row.code)
        product.codes.extend(product.extra)

    if label_doses_path is not None:
        report.update(apply_label_doses(new_drugs, load_label_doses(label_doses_path)))
    write_drugs(county / "drugs" / "neml-2018.yaml", new_drugs)
    write_list(county / "essential-medicines" / "neml-2018.yaml", products)
    for what, items in report.items():
        print(f"{what}: {len(items)}")
        for item in items:
            print("   ", item)
    return {
        "products": len(products),
        "catalog rows": sum(len(p.codes) for p in products),
        "new drugs": len(new_drugs),
        "existing drugs linked": len(report["linked"]) + len(report["linked besides the rows"]),
        "rows with label doses": len(report.get("rows with label doses", [])),
    }


HEADER_DRUGS = """\
# 国家基本药物目录（2018年版）中尚未收入 drugs.yaml 的剂型和规格 / the forms and strengths of the
# National Essential Medicines List (2018) that drugs.yaml does not hold.
# GENERATED by tools/build_neml_catalog.py from ../shared/data/neml-2018 (NHC/NMPA list, public
# facts) and tools/neml-2018-overrides.yaml. Do not edit by hand: fix the overrides and re-run.
# - Prices are synthetic (made up, stable per code); the insurance category A is an estimate.
# - One dispensing unit a pack: the list gives no pack sizes.
# - No TCM syndromes. No dose limits and no pregnancy safety (unknown) except on the rows that
#   carry `dose_source: {status: machine}`: the patent medicines the TCM knowledge base suggests,
#   whose usual and maximum daily doses, single maximum and pregnancy note were machine-drafted
#   from the pharmacopoeia's 用法与用量 and 注意 (tools/neml-2018-label-doses.yaml) and are NOT
#   reviewed; the prescribing rules refuse them for children. Every other row has no limits, and the
#   prescribing rules refuse a line whose limits are unknown. When a pharmacist has checked the
#   label, move the entry to drugs.yaml (keep the code) with the reviewed doses.
"""
HEADER_LIST = """\
# 国家基本药物目录（2018年版） / National Essential Medicines List, 2018 edition (685 products:
# 417 化学药品和生物制品, 268 中成药). Schema: gpassist/clinics/schemas.py (EssentialMedicinesFile).
# GENERATED by tools/build_neml_catalog.py; do not edit by hand.
# Source: the NHC list (国卫药政发〔2018〕31号) as shown by the NMPA database, scraped in the
# public repository 649568078/guojiajibenyaowu (see ../shared/data/neml-2018/README.md). A public
# government list. The NMPA view has no 序号, so `serial` is unset; `id` is the scrape order.
# `drugs` names the catalog codes of each form and strength (drugs.yaml or drugs/neml-2018.yaml);
# the scope entries (耐多药肺结核用药, 艾滋病用药, 血友病用药, …) point to footnotes and have none.
"""


def write_drugs(path: Path, drugs: list[dict]) -> None:
    doc = {
        "source": (
            "《国家基本药物目录（2018年版）》（国卫药政发〔2018〕31号）的剂型与规格；价格为示范用合成价格"
            "（单位：分），医保类别为估计值；标有 dose_source 的中成药，"
            "其用法用量与孕妇用药为按《中国药典》机器起草，未经药师审核。 "
            "Forms and strengths of the National Essential Medicines List (2018); prices "
            "are synthetic demo prices in fen; insurance "
            "categories are estimates; the doses and pregnancy notes of the patent medicines "
            "marked dose_source are machine-drafted from the pharmacopoeia, not reviewed."
        ),
        "prices_synthetic": True,
        "insurance_estimated": True,
        "drugs": drugs,
    }
    _dump(path, HEADER_DRUGS, doc)


def write_list(path: Path, products: list[Product]) -> None:
    doc = {
        "edition": EDITION,
        "title": {
            "zh": "国家基本药物目录（2018年版）",
            "en": "National Essential Medicines List (2018 edition)",
        },
        "document": "国卫药政发〔2018〕31号",
        "effective_from": "2018-11-01",
        "supersedes": ["2012"],
        "source": (
            "国家卫生健康委员会《国家基本药物目录（2018年版）》，NMPA 数据库版本（公开仓库 "
            "649568078/guojiajibenyaowu 抓取）。 NHC National Essential Medicines List 2018, "
            "as shown by the NMPA database."
        ),
        "products": [_product_doc(p) for p in products],
    }
    _dump(path, HEADER_LIST, doc)


def _product_doc(p: Product) -> dict:
    r = p.record
    doc: dict = {"id": f"p{p.seq:03d}", "name": r["name_cn"]}
    if r["name_en"]:
        doc["name_en"] = r["name_en"]
    doc["part"] = r["part"]
    doc["therapeutic_class"] = r["category_l2"]
    if r["category_l3"]:
        doc["subclass"] = r["category_l3"]
    doc["forms_specs"] = r["dosage_forms_specs"]
    if r["specialist_only_triangle"]:
        doc["specialist_only"] = True
    if r["remark"]:
        doc["remark"] = r["remark"]
    doc["drugs"] = p.codes
    return doc


class _Dumper(yaml.SafeDumper):
    pass


def _text_flow(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = set(data) <= {"zh", "en"}  # names as {zh: …, en: …} on one line, like drugs.yaml
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(dict, _text_flow)


def _dump(path: Path, header: str, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(header + body, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--county", type=Path, default=REPO / "clinics" / "demo-county")
    parser.add_argument(
        "--overrides", type=Path, default=REPO / "tools" / "neml-2018-overrides.yaml"
    )
    parser.add_argument(
        "--label-doses", type=Path, default=REPO / "tools" / "neml-2018-label-doses.yaml"
    )
    args = parser.parse_args()
    counts = build(args.data, args.county, args.overrides, args.label_doses)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
