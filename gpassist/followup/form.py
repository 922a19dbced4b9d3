"""The words of the standard's follow-up form (随访服务记录表) in Chinese and English, shared by
the visit page's form and the printable record. Pure data: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass

from gpassist.followup.definitions import load_programs
from gpassist.followup.reasons import SYMPTOM_NAMES
from gpassist.followup.schemas import RECORD_SYMPTOMS

# The standard's symptom checklists (an empty list is 无症状 / no symptoms).
RECORD_SYMPTOM_NAMES = {
    "headache_dizziness": ("头痛头晕", "headache, dizziness"),
    "nausea_vomiting": ("恶心呕吐", "nausea, vomiting"),
    "blurred_vision_tinnitus": ("眼花耳鸣", "blurred vision, tinnitus"),
    "dyspnoea": ("呼吸困难", "shortness of breath"),
    "palpitations_chest_tightness": ("心悸胸闷", "palpitations, chest tightness"),
    "epistaxis": ("鼻衄出血不止", "nosebleed that will not stop"),
    "limb_numbness": ("四肢发麻", "numb limbs"),
    "leg_oedema": ("下肢水肿", "swollen legs"),
    "polydipsia": ("多饮", "drinks a lot"),
    "polyphagia": ("多食", "eats a lot"),
    "polyuria": ("多尿", "passes a lot of urine"),
    "blurred_vision": ("视力模糊", "blurred vision"),
    "infection": ("感染", "infection"),
    "hand_foot_numbness": ("手脚麻木", "numb hands or feet"),
    "weight_loss": ("体重明显下降", "marked weight loss"),
}

# The coded answers of the form, in the order the form offers them.
ANSWERS = {
    "visit_mode": {
        "clinic": ("门诊", "clinic"),
        "home": ("家庭", "home"),
        "phone": ("电话", "phone"),
    },
    "salt": {"light": ("轻", "low"), "moderate": ("中", "moderate"), "heavy": ("重", "high")},
    "psychological": {"good": ("良好", "good"), "fair": ("一般", "fair"), "poor": ("差", "poor")},
    "compliance": {"good": ("良好", "good"), "fair": ("一般", "fair"), "poor": ("差", "poor")},
    "adherence": {
        "regular": ("规律", "regular"),
        "intermittent": ("间断", "intermittent"),
        "none": ("不服药", "not taking"),
    },
    "hypoglycaemia": {
        "none": ("无", "none"),
        "occasional": ("偶尔", "occasional"),
        "frequent": ("频繁", "frequent"),
    },
    "dorsalis_pedis": {
        "normal": ("触及正常", "normal"),
        "weakened": ("减弱", "weak"),
        "absent": ("消失", "absent"),
    },
}


@dataclass(frozen=True)
class Choice:
    """One option of the form: its code and its words in the page's language."""

    code: str
    text: str


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang.startswith("en") else pair[0]


def form_choices(lang: str) -> dict[str, object]:
    """What the visit page's follow-up form offers, in ``lang``: per program its symptom checklist
    and its warning signs (the urgent symptoms), and the coded answers."""
    programs = load_programs()
    return {
        "symptoms": {
            code: [Choice(s, _pick(RECORD_SYMPTOM_NAMES[s], lang)) for s in codes]
            for code, codes in RECORD_SYMPTOMS.items()
        },
        "warning_signs": {
            code: [
                Choice(s, _pick(SYMPTOM_NAMES.get(s, (s, s)), lang))
                for s in program.urgent.symptoms
            ]
            for code, program in programs.items()
        },
        "answers": {
            field: [Choice(code, _pick(pair, lang)) for code, pair in options.items()]
            for field, options in ANSWERS.items()
        },
    }
