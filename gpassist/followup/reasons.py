"""Reason codes from the rule engine, in Chinese and English for the doctor."""

from __future__ import annotations

import re

SYMPTOM_NAMES = {
    "altered_consciousness": ("意识改变", "altered consciousness"),
    "severe_headache": ("剧烈头痛", "severe headache"),
    "severe_dizziness": ("严重头晕", "severe dizziness"),
    "nausea_vomiting": ("恶心呕吐", "nausea and vomiting"),
    "blurred_vision": ("视力模糊", "blurred vision"),
    "eye_pain": ("眼痛", "eye pain"),
    "palpitations": ("心悸", "palpitations"),
    "chest_tightness": ("胸闷", "chest tightness"),
    "orthopnea": ("喘憋不能平卧", "orthopnoea"),
    "acetone_breath": ("呼气有烂苹果样丙酮味", "acetone breath"),
    "sweating": ("多汗", "sweating"),
    "loss_of_appetite": ("食欲减退", "loss of appetite"),
    "polydipsia": ("多饮", "polydipsia"),
    "polyuria": ("多尿", "polyuria"),
    "abdominal_pain": ("腹痛", "abdominal pain"),
    "deep_rapid_breathing": ("呼吸深快", "deep, rapid breathing"),
    "flushed_skin": ("皮肤潮红", "flushed skin"),
    "sudden_vision_loss": ("视力骤降", "sudden vision loss"),
    "pregnancy": ("妊娠", "pregnancy"),
    "lactation": ("哺乳期", "lactation"),
}

READING_NAMES = {
    "sbp": ("收缩压", "SBP", "mmHg"),
    "dbp": ("舒张压", "DBP", "mmHg"),
    "fasting_glucose": ("空腹血糖", "fasting glucose", "mmol/L"),
    "heart_rate": ("心率", "heart rate", "/min"),
    "temperature": ("体温", "temperature", "°C"),
}

_OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_CONDITION = re.compile(r"^(\w+?)(>=|<=|>|<)([\d.]+)$")


def condition_text(code: str) -> tuple[str, str]:
    match = _CONDITION.match(code)
    if match is None:
        return code, code
    field, op, value = match.groups()
    zh, en, unit = READING_NAMES.get(field, (field, field, ""))
    return f"{zh}{_OPS[op]}{value} {unit}", f"{en} {_OPS[op]} {value} {unit}"


def reason_text(code: str) -> tuple[str, str]:
    """(zh, en) for a reason code such as ``sbp>=180`` or ``symptom:palpitations``."""
    if code == "complication":
        return "新发或加重的并发症", "new or worsening complication"
    if code == "uncontrolled_twice":
        return "连续两次随访控制不满意", "uncontrolled at two follow-ups in a row"
    if code.startswith("symptom:"):
        zh, en = SYMPTOM_NAMES.get(code.removeprefix("symptom:"), (code, code))
        return f"症状：{zh}", f"symptom: {en}"
    if code.startswith("pregnancy_or_lactation:"):
        zh, en = condition_text(code.removeprefix("pregnancy_or_lactation:"))
        return f"妊娠或哺乳期且{zh}", f"pregnancy or lactation with {en}"
    return condition_text(code)
