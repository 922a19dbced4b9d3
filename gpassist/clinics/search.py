"""Drug search keys: every catalog name in characters, full pinyin, pinyin initials and English.

A village doctor types "aldp" for 氨氯地平, "ebst" for 厄贝沙坦, "anlvdiping", "amlodipine" or a
brand name such as 络活喜. The keys are computed once, when ``gpassist load-clinics`` writes the
catalog (``drugs.search_keys``), never per request; a search filters on them in SQL and ranks the
few hits in Python (:func:`match_rank`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin

SEPARATOR = "|"
# salts and esters printed before the generic name (苯磺酸氨氯地平片 is 氨氯地平)
_SALTS = re.compile(
    r"^(复方)?(苯磺酸|马来酸|盐酸|硫酸|琥珀酸|酒石酸|甲磺酸|富马酸|枸橼酸|磷酸|氢溴酸|醋酸|"
    r"乳酸|葡萄糖酸|门冬氨酸|甲磺酸|左旋|精氨酸)"
)
# dosage-form words printed after it (…片, …缓释胶囊, …颗粒)
_FORMS = re.compile(
    r"(缓释|控释|肠溶|分散|咀嚼|泡腾|口腔崩解|舌下|含|软|硬|滴|混悬|干混悬|口服|注射用|外用)*"
    r"(片|胶囊|颗粒|丸|散|注射液|口服液|溶液|糖浆|合剂|乳膏|软膏|凝胶|滴眼液|滴剂|气雾剂|"
    r"粉雾剂|吸入剂|贴膏|膏药|酊|水|剂|液)$"
)
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_SPACES = re.compile(r"[\s·\-_,，、/]+")


def normalize(text: str) -> str:
    """Lower case without spaces and punctuation, so "Amlodipine besylate" matches
    "amlodipinebesylate" and "an lv di ping" matches "anlvdiping"."""
    return _SPACES.sub("", text.strip().lower())


def core_name(name_zh: str) -> str:
    """The generic name without brackets, salt and dosage form: 苯磺酸氨氯地平片 → 氨氯地平."""
    name = _BRACKETS.sub("", name_zh)
    core = _FORMS.sub("", _SALTS.sub("", name))
    return core or name


def chinese_keys(text: str) -> list[str]:
    """The characters, the full pinyin (ü as both v and u) and the pinyin initials of ``text``."""
    text = _BRACKETS.sub("", text)
    if not text:
        return []
    full = normalize("".join(lazy_pinyin(text)))
    initials = normalize("".join(lazy_pinyin(text, style=Style.FIRST_LETTER)))
    keys = [normalize(text), full, initials]
    if "v" in full:
        keys.append(full.replace("v", "u"))
    return keys


def search_keys(
    *,
    name_zh: str,
    name_en: str,
    code: str,
    generic_group: str,
    other_names_zh: Iterable[str] = (),
    other_names_en: Iterable[str] = (),
) -> str:
    """Every key a drug is found by, "|"-joined and framed ("|key|key|") so that SQL can test
    a key's start with ``LIKE '%|q%'``."""
    keys: list[str] = []
    for name in (name_zh, core_name(name_zh), *other_names_zh):
        keys.extend(chinese_keys(name))
    for name in (name_en, *other_names_en):
        keys.append(normalize(name))
        keys.extend(normalize(word) for word in name.split())
    keys.extend([normalize(code), normalize(generic_group)])
    unique = list(dict.fromkeys(k for k in keys if k))
    return SEPARATOR + SEPARATOR.join(unique) + SEPARATOR


def match_rank(keys: str | None, query: str) -> int | None:
    """How well ``query`` matches: 0 a whole key, 1 the start of a key, 2 inside a key; None
    when it does not match at all."""
    q = normalize(query)
    if not keys or not q:
        return None
    best = None
    for key in keys.strip(SEPARATOR).split(SEPARATOR):
        if key == q:
            return 0
        if key.startswith(q):
            best = 1
        elif q in key and best is None:
            best = 2
    return best
