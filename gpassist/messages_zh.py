"""Chinese wording of validation errors, so the pages can show every refusal in plain Chinese.

Pydantic's messages are English; each error also gets ``message_zh`` from its type and limits.
Field labels name the common fields the way the forms do; other fields are shown by their path.
A choice among an enum's codes is listed by the members' Chinese labels (``gpassist.labels``).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import PydanticCustomError

from gpassist.labels import labelled_enums

FIELD_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "national_id": "身份证号",
    "phone": "电话",
    "village": "村",
    "drug_allergies": "药物过敏",
    "chief_complaint": "主诉",
    "sbp": "收缩压",
    "dbp": "舒张压",
    "heart_rate": "心率",
    "temperature_c": "体温",
    "spo2": "血氧饱和度",
    "glucose_mmol_l": "血糖",
    "weight_kg": "体重",
    "height_cm": "身高",
    "waist_cm": "腰围",
    "respiratory_rate": "呼吸频率",
    "age": "年龄",
    "evidence": "症状",
    "model": "模型",
    "quantity": "数量",
    "dose": "剂量",
    "dose_count": "每次用量",
    "days": "天数",
    "frequency": "频次",
    "drug": "药品",
    "lines": "处方",
    "items": "收费项目",
    "reason": "原因",
    "department": "科室",
    "urgency": "紧急程度",
    "username": "用户名",
    "password": "密码",
    "new_password": "新密码",
    "display_name": "姓名",
    "role": "角色",
    "period": "期间",
    "program": "项目",
}

_TEMPLATES = {
    "missing": "必须填写",
    "extra_forbidden": "不是可以填写的项目",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "必须大于 {gt}",
    "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少要有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "string_type": "必须是文字",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数",
    "float_parsing": "必须是数字",
    "float_type": "必须是数字",
    "finite_number": "必须是有限的数字",
    "bool_parsing": "必须是“是”或“否”",
    "bool_type": "必须是“是”或“否”",
    "date_parsing": "日期格式不正确（年-月-日）",
    "date_from_datetime_parsing": "日期格式不正确（年-月-日）",
    "date_type": "日期格式不正确（年-月-日）",
    "datetime_parsing": "时间格式不正确",
    "timezone_aware": "时间需要带时区",
    "enum": "只能是：{expected}",
    "literal_error": "只能是：{expected}",
    "dict_type": "格式不正确",
    "list_type": "必须是列表",
    "model_type": "格式不正确",
    "json_invalid": "不是有效的 JSON",
    "one_dose": "每次用量请按本品单位（片、粒、ml…）或按剂量单位填写，二者选一",
    "bidi_control": "不能包含不可见的文字方向控制字符（请重新输入，不要粘贴）",
}


def rule_error(message: str, zh: str) -> PydanticCustomError:
    """The refusal of one of our own rules inside a validator: pydantic's ``value_error`` (same
    type and English message as ``raise ValueError(message)``), carrying the sentence the pages
    show in Chinese, which names the field itself."""
    return PydanticCustomError(
        "value_error", "Value error, {reason}", {"reason": message, "zh": zh}
    )


def field_label(path: str) -> str:
    """The form's name for a dotted path (``body.vitals.sbp`` → 收缩压), else the path."""
    parts = [p for p in path.split(".") if not p.isdigit() and p not in {"body", "query"}]
    for part in reversed(parts):
        if part in FIELD_LABELS:
            return FIELD_LABELS[part]
    return ".".join(parts) or path


def expected_choices(expected: str) -> str:
    """Pydantic's list of allowed codes (``'male' or 'female'``) in the labels of the enum they
    are exactly the codes of (``男、女``); as given when no labelled enum has those codes."""
    codes = re.findall(r"'([^']*)'", expected)
    for cls in labelled_enums():
        members = {m.value: m for m in cls}
        if codes and set(codes) == members.keys():
            return "、".join(members[code].zh for code in codes)
    return expected


def chinese_message(path: str, error_type: str, ctx: dict[str, Any] | None, message: str) -> str:
    """The Chinese message of one validation error at ``path`` (``收缩压：不能大于 300``)."""
    if error_type == "enum" and ctx and "expected" in ctx:
        ctx = {**ctx, "expected": expected_choices(str(ctx["expected"]))}
    if error_type == "value_error" and ctx and isinstance(ctx.get("zh"), str):
        return ctx["zh"]  # our own rule's sentence (``rule_error``)
    template = _TEMPLATES.get(error_type)
    if error_type in ("too_short", "string_too_short") and (ctx or {}).get("min_length") == 1:
        template = _TEMPLATES["missing"]  # an empty text or list: "主诉：必须填写", not "至少 1 项"
    if template is None:
        # A rule raised without its Chinese (a plain ValueError): keep the English, labelled.
        return f"{field_label(path)}：{message}"
    try:
        text = template.format(**(ctx or {}))
    except (KeyError, IndexError):
        text = template.split("{")[0].rstrip("：: ") or "不正确"
    return f"{field_label(path)}：{text}"
