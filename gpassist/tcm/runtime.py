"""Serving a committed TCM model: Python text features → two ONNX classifiers → explanation.

A model folder (``gpassist/models/tcm/<name>/``) holds ``disease.onnx``, ``syndrome.onnx``,
``metadata.json`` (vocabularies, IDF, labels, versions, data hash), ``metrics.json``,
``treatments.yaml`` (治法 and catalog medicines per syndrome) and ``MODEL_CARD.md``.

Supporting findings are found by occlusion: a finding (a jieba word of the complaint or the tongue
and pulse text, negated or not) supports a syndrome when taking it out of the record lowers that
syndrome's probability. That reads the model as it is, without assuming it is linear.

Scope: the model knows 4 diseases. A record is flagged out of scope when the leading disease has
less than ``MIN_DISEASE_PROBABILITY``, fewer than ``MIN_KNOWN_WORDS`` of its words are in the
model's vocabulary, or its chief complaint does not open with a presenting finding of the four
(``cardinal_findings``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpassist.inference import inference_session, predict_proba
from gpassist.tcm.features import FeatureSpace, block_texts, block_tokens
from gpassist.tcm.lexicon import canonical
from gpassist.tcm.ranking import suggested_set
from gpassist.tcm.text import HISTORY_ITEM, NEGATED, clauses, has_han, spans

MIN_DISEASE_PROBABILITY = 0.5
MIN_KNOWN_WORDS = 3
OEDEMA = ("水肿", "浮肿", "腿肿", "下肢肿", "足肿", "踝肿", "肢肿")
# The model's scope: what the patient came for must be a presenting finding of the four diseases
# (眩晕、心悸、胸痹心痛、心衰), else the classifier, which must pick one of its four, answers a
# cold or a stomach ache with one of them, often above 0.5. The chief complaint (without one, the
# symptoms' first clause) must *open* with the finding, after words of pattern, time, occasion or
# place only (阵发性, 反复, 发现, 活动后, 生气后, 双下肢 …: ``_OPENER``, the wards' own openers): a
# finding after another is secondary, so 咳嗽咳痰3天伴胸闷, 失眠半年 with 心慌 and 胃脘胀痛 with
# 乏力 are a cough's, insomnia's and a stomach ache's. Fatigue (乏力) and a bare 血压 are not
# presenting findings (colds and blood pressure checks have them). 612 of the 640 training
# records open so (635 stated one anywhere); most of the others are a headache without stated
# dizziness or high blood pressure, a numb limb, or a complaint of another disease altogether.
PRESENTING_FINDINGS = (
    *("头晕", "眩晕", "头昏", "晕厥", "晕倒"),
    # 发现血压升高: the wards file hypertension under 眩晕病
    *("血压升高", "血压高", "血压偏高", "高血压", "血压控制", "血压波动"),
    *("心悸", "心慌", "心跳", "心率", "心动过", "早搏", "房颤", "心律"),
    *("胸闷", "胸痛", "心前区", "胸前区", "心痛", "憋闷", "憋气"),
    # chest pain as patients say it (胸口痛 reads as 胸痛 through the lay words; 绞痛 does not)
    *("胸疼", "胸口疼", "胸口绞痛", "胸绞痛", "心绞痛"),
    # the wards' breathlessness is 憋喘 (with chest oppression); bare 气喘, 气短 open 喘病's and
    # 虚劳's notes: they count with a sign of the heart (``BREATHLESS``)
    *("憋喘", "喘憋", "呼吸困难"),
    *OEDEMA,
)
# A headache opens the wards' hypertension records (眩晕病) but in a village it is mostly 头痛 (the
# knowledge base's): it counts only with dizziness or high blood pressure stated in the complaint,
# symptoms or history (血压升高, 高血压), or a reading of 140/90 or more there or in the
# examination (体格检查: the visit's recorded blood pressure, service.visit_facts).
HEADACHE = ("头痛", "头疼", "头胀", "头部胀痛", "头部疼痛")
DIZZY_OR_HYPERTENSIVE = ("头晕", "眩晕", "头昏", "血压升高", "血压高", "血压偏高", "高血压")
STATED_KEYS = ("主诉", "症状", "病史")
READING_KEYS = (*STATED_KEYS, "体格检查")
# Breathlessness as a village note writes it (the wards write 憋喘, above) is 心衰病's only beside
# a sign of the heart: oedema, orthopnoea, palpitations or a known heart failure stated (not
# denied) in the complaint, symptoms or history. 气喘3天 with a cough is 喘病's (the knowledge
# base's), 气短乏力 虚劳's; chest oppression goes with 喘病 and 哮病 as well, so it is no sign
# here. The learned model reads all five as one group (features.PRESENTING_GROUPS "breathless").
BREATHLESS = ("气喘", "喘促", "喘息", "气短", "气促")
HEART_SIGNS = (
    *OEDEMA,
    *("不能平卧", "不得平卧", "不能平躺", "端坐", "心悸", "心慌", "心衰", "心力衰竭"),
)
# 2型糖尿病10年，头晕3天 / 高血压病5年，心慌1周: a chronic disease with its duration opens the
# note and what the patient came for follows; that decides (糖尿病10年 alone is no complaint of
# the four, 高血压10年，咳嗽3天 a cough). A next clause that only says it got worse (加重1周,
# 加重伴头晕) goes on with the first, which decides as before (the wards' 高血压11年，加重伴…).
CONTINUATION = re.compile(r"(?:近期?|再发|复发|症状|病情)?加重")
# 血压160/100, BP 150/95, 170/100mmHg
BLOOD_PRESSURE = re.compile(
    r"(?:血压|BP)\D{0,4}?(\d{2,3})\s*/\s*(\d{2,3})|(\d{2,3})\s*/\s*(\d{2,3})\s*mmHg", re.IGNORECASE
)
HIGH_BLOOD_PRESSURE = (140, 90)
_OPENER = re.compile(
    r"患者|无明显诱因|体检|发现|出现|自觉|反复|间断|间歇|阵发|发作|持续|一过|突发|突然|劳力|劳累"
    r"|活动|动则|稍动|夜间|偶有|时有|偶|性|后|双|左|右|侧|[上下]肢|小腿|足|颜面|眼睑|全身"
    r"|[\u4e00-\u9fff]{1,4}后"  # the occasion: 受惊吓后, 生气后, 饭后
    r"|[0-9０-９]+(?:\.[0-9]+)?\s*(?:个)?(?:小时|天|日|周|月|年)余?前?"
)
_COMPLAINT_LABEL = re.compile(r"^\s*主\s*诉\s*[：:]\s*")
MAX_SUPPORTING = 5
MAX_CANDIDATES = 120
EXPLAINED_BLOCKS = ("complaint", "tongue_pulse")
# 舌暗红 / 舌下络脉迂曲 / 苔白厚腻 / 脉弦细: a tongue, coating or pulse phrase up to the next break
TONGUE_PULSE_TERM = re.compile(r"(?:舌|苔|脉)(?:(?![舌苔脉])[\u4e00-\u9fff]){1,5}")
TIME_WORD = re.compile(r"[0-9０-９]|[年月天日周]$|小时|分钟")
# Words of the record's template that describe nothing about the patient's syndrome.
_NOT_FINDINGS_TEXT = (
    "表情 自然 面色 形体 正常 动静 姿态 语气 气息 异常 气味 患者 出现 明显 诱因 加重 伴有 "
    "症状 入院 本院 我院 病区 诊疗 专科 进一步 治疗 系统 反复 发作 发作性 阵发性 以来 "
    "偶有 时有 可 一般 上述 其他 无明显 舌下 络脉 脉络"
)
NOT_FINDINGS = frozenset(_NOT_FINDINGS_TEXT.split())
DEFAULT_MODEL = "tbosd"


@dataclass(frozen=True)
class Finding:
    block: str  # complaint | tongue_pulse
    word: str
    negated: bool
    weight: float  # how much the probability falls without it

    @property
    def zh(self) -> str:
        return f"无{self.word}" if self.negated else self.word


@dataclass(frozen=True)
class Ranked:
    label: str
    probability: float
    supporting: tuple[Finding, ...]


@dataclass(frozen=True)
class Suggestion:
    diseases: tuple[Ranked, ...]
    syndromes: tuple[Ranked, ...]  # every syndrome, most probable first
    suggested: tuple[str, ...]  # the suggested set (at least one)
    out_of_scope: bool
    scope_notes: tuple[dict, ...]
    known_words: int
    familiarity: float = 0.0  # share of the record's words the model knows (features.py)


class TcmModel:
    """One TCM model: feature space, the two ONNX sessions, labels, treatments."""

    def __init__(
        self, folder: Path, metadata: dict, metrics: dict, disease_onnx: bytes, syndrome_onnx: bytes
    ):
        self.folder = folder
        self.metadata = metadata
        self.metrics = metrics
        self.name = metadata["name"]
        self.version = metadata["version"]
        self.clinical = bool(metadata.get("clinical", False))
        self.diseases: list[str] = list(metadata["diseases"])
        self.syndromes: list[str] = list(metadata["syndromes"])
        self.threshold = float(metadata["threshold"])
        self.space = FeatureSpace.from_json(metadata["features"])
        self._disease = inference_session(disease_onnx)
        self._syndrome = inference_session(syndrome_onnx)

    @classmethod
    def from_folder(cls, folder: Path, cached: bool = True) -> TcmModel:
        folder = Path(folder).resolve()
        if cached:
            with _CACHE_LOCK:
                if folder not in _CACHE:
                    _CACHE[folder] = cls.from_folder(folder, cached=False)
                return _CACHE[folder]
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        metrics_path = folder / "metrics.json"
        metrics = (
            json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
        )
        return cls(
            folder,
            metadata,
            metrics,
            (folder / "disease.onnx").read_bytes(),
            (folder / "syndrome.onnx").read_bytes(),
        )

    # -- probabilities ---------------------------------------------------------------------------

    def probabilities_of_rows(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pd = predict_proba(self._disease, x)
        ps = predict_proba(self._syndrome, np.hstack([x, pd.astype(np.float32)]))
        return pd, ps

    def probabilities(
        self, tokenised: Sequence[Mapping[str, list[str]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(n, diseases) and (n, syndromes) probabilities in label order."""
        if not tokenised:
            return np.zeros((0, len(self.diseases))), np.zeros((0, len(self.syndromes)))
        return self.probabilities_of_rows(self.space.encode(tokenised))

    # -- one record ------------------------------------------------------------------------------

    def suggest(self, record: Mapping[str, object]) -> Suggestion:
        tokenised = block_tokens(record)
        candidates = self._candidates(record, tokenised)
        variants = [tokenised] + [_without(tokenised, *candidate) for candidate in candidates]
        pd, ps = self.probabilities(variants)
        drop_d, drop_s = pd[0] - pd[1:], ps[0] - ps[1:]  # (k, labels): fall without finding k
        diseases = self._ranked(self.diseases, pd[0], drop_d, candidates)
        syndromes = self._ranked(self.syndromes, ps[0], drop_s, candidates)
        suggested = tuple(self.syndromes[j] for j in suggested_set(ps[0], self.threshold))
        known = self.space.known_tokens(tokenised)
        notes = self._scope_notes(float(pd[0].max()), known)
        if not cardinal_findings(record):
            notes.append(NO_CARDINAL_FINDING_NOTE)
        familiarity = self.space.familiarity(tokenised)
        return Suggestion(
            diseases, syndromes, suggested, bool(notes), tuple(notes), known, familiarity
        )

    def _candidates(self, record: Mapping[str, object], tokenised) -> list[tuple[str, str, bool]]:
        """(block, term, negated) findings worth explaining: tongue, coating and pulse phrases
        (舌暗红, 苔白腻, 脉弦滑) and the clinical words of the complaint and tongue text."""
        found: dict[tuple[str, str, bool], None] = {}
        texts = block_texts(record)
        for span in spans(texts["tongue_pulse"]):
            for match in TONGUE_PULSE_TERM.finditer(span.text):
                found[("tongue_pulse", match.group(0), span.negated)] = None
        for block in EXPLAINED_BLOCKS:
            for token in tokenised.get(block, ()):
                word = _word(token)
                if token.removeprefix(NEGATED).startswith("W:") and _is_finding_word(word):
                    found[(block, word, token.startswith(NEGATED))] = None
        # one occlusion row per finding: bound the batch a very long record would make
        return list(found)[:MAX_CANDIDATES]

    def _ranked(self, labels, probabilities, drops, candidates) -> tuple[Ranked, ...]:
        out = []
        for j in np.argsort(-probabilities, kind="stable"):
            order = (
                [k for k in np.argsort(-drops[:, j], kind="stable") if drops[k, j] > 1e-4]
                if len(candidates)
                else []
            )
            findings = tuple(
                Finding(*candidates[k], float(drops[k, j])) for k in order[:MAX_SUPPORTING]
            )
            out.append(Ranked(labels[j], float(probabilities[j]), findings))
        return tuple(out)

    def _scope_notes(self, top_disease: float, known: int) -> list[dict]:
        notes = []
        if known < MIN_KNOWN_WORDS:
            notes.append(
                {
                    "zh": f"记录中只有 {known} 个词是本模型认识的，信息不足，结果仅供参考",
                    "en": f"only {known} words of the record are known to the model; "
                    "too little to go on",
                }
            )
        if top_disease < MIN_DISEASE_PROBABILITY:
            notes.append(
                {
                    "zh": "本模型只覆盖眩晕病、心悸病、胸痹心痛病、心衰病四种疾病；"
                    "此记录与其中任何一种都不够相符，可能超出范围",
                    "en": " ".join(
                        (
                            "the model covers four diseases only (vertigo, palpitation,",
                            "chest impediment, heart failure); this record fits none of them",
                            "well and may be outside its scope",
                        )
                    ),
                }
            )
        return notes


NO_CARDINAL_FINDING_NOTE = {
    "zh": "主诉不以眩晕、心悸、胸闷胸痛、憋喘水肿等四种疾病的主要表现开头，"
    "超出本模型范围，结果不可参考",
    "en": "the chief complaint does not open with a presenting finding of the four diseases "
    "(dizziness, palpitations, chest pain or tightness, breathlessness or oedema); it is outside "
    "the model's scope",
}


def cardinal_findings(record: Mapping[str, object]) -> list[str]:
    """The presenting finding of the four diseases that ``record``'s chief complaint (without
    one, its symptoms) opens with, as a one-item list; empty when it opens with anything else
    (see ``PRESENTING_FINDINGS``)."""
    complaint = _COMPLAINT_LABEL.sub("", str(record.get("主诉") or ""))
    lead = complaint if has_han(complaint) else str(record.get("症状") or "")
    first = _presenting_clause(clauses(lead))
    # lay words read as the knowledge base reads them (胸口闷 → 胸闷, 心里慌 → 心悸, 腿肿 → 下肢肿)
    return _opening(first, record) or _opening(canonical(first), record)


def _presenting_clause(parts: list[str]) -> str:
    """The clause that says what the patient came for: the first, past any chronic disease with
    its duration that opens the note (``HISTORY_ITEM``) when a complaint follows it."""
    i = 0
    while i + 1 < len(parts) and HISTORY_ITEM.fullmatch(parts[i]):
        if CONTINUATION.match(parts[i + 1]):
            return parts[i]  # 高血压11年，加重伴头晕: the history item is the complaint
        i += 1
    return parts[i] if parts else ""


def _opening(first: str, record: Mapping[str, object]) -> list[str]:
    i = 0
    while i < len(first):
        opening = first[i:]
        found = next((w for w in PRESENTING_FINDINGS if opening.startswith(w)), None)
        if found is None and _high_reading(_reading_at(opening)):
            found = "血压"
        headache = next((w for w in HEADACHE if opening.startswith(w)), None)
        if found is None and headache and _dizzy_or_hypertensive(record):
            found = headache
        breathless = next((w for w in BREATHLESS if opening.startswith(w)), None)
        if found is None and breathless and _states_any(record, HEART_SIGNS):
            found = breathless
        if found is not None:
            return [found]
        match = _OPENER.match(first, i)
        if match is None:
            return []
        i = match.end()
    return []


def _reading_at(text: str) -> tuple[int, int] | None:
    match = BLOOD_PRESSURE.match(text)
    return None if match is None else _reading_of(match)


def _reading_of(match: re.Match) -> tuple[int, int]:
    a, b = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return int(a), int(b)


def _high_reading(reading: tuple[int, int] | None) -> bool:
    return reading is not None and (
        reading[0] >= HIGH_BLOOD_PRESSURE[0] or reading[1] >= HIGH_BLOOD_PRESSURE[1]
    )


def _dizzy_or_hypertensive(record: Mapping[str, object]) -> bool:
    """Dizziness or high blood pressure stated (not denied: 否认高血压病史) in the complaint,
    symptoms or history, or a reading of 140/90 or more there or in the examination."""
    if _states_any(record, DIZZY_OR_HYPERTENSIVE):
        return True
    readings = "，".join(str(record.get(key) or "") for key in READING_KEYS)
    return any(_high_reading(_reading_of(m)) for m in BLOOD_PRESSURE.finditer(readings))


def _states_any(record: Mapping[str, object], words: tuple[str, ...]) -> bool:
    """Whether the complaint, symptoms or history state one of ``words`` (not denied)."""
    text = "，".join(str(record.get(key) or "") for key in STATED_KEYS)
    return any(w in span.text for span in spans(text) if not span.negated for w in words)


def _word(token: str) -> str:
    return token.removeprefix(NEGATED).removeprefix("W:")


def _without(
    tokenised: Mapping[str, list[str]], block: str, term: str, negated: bool
) -> dict[str, list[str]]:
    """The record with one finding taken out: the words and character n-grams inside ``term``
    (with the same negation) are dropped from its block."""
    prefix = NEGATED if negated else ""

    def inside(token: str) -> bool:
        if negated != token.startswith(NEGATED):
            return False
        body = token.removeprefix(prefix)
        return body[2:] in term if body[:2] in ("W:", "C:") else False

    copy = dict(tokenised)
    copy[block] = [t for t in tokenised[block] if not inside(t)]
    return copy


def _is_finding_word(word: str) -> bool:
    return len(word) > 1 and word not in NOT_FINDINGS and not TIME_WORD.search(word)


_CACHE: dict[Path, TcmModel] = {}
_CACHE_LOCK = threading.Lock()


def model_root(configured: str | None = None) -> Path:
    """The folder of TCM models: the setting, else the models shipped in the package."""
    from gpassist.config import PACKAGED_MODELS

    return Path(configured) if configured else PACKAGED_MODELS / "tcm"


def load_models(root: Path) -> dict[str, TcmModel]:
    """Every model folder under ``root`` with both ONNX files; loaded once per process."""
    models: dict[str, TcmModel] = {}
    if not Path(root).is_dir():
        return models
    for folder in sorted(p for p in Path(root).iterdir() if (p / "disease.onnx").exists()):
        model = TcmModel.from_folder(folder)
        models[model.name] = model
    return models
