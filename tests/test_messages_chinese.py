"""Every message a page can show has Chinese: the problem types' titles, the refusal by role (what
the user may not do, not a route), the messages of the audited services (auth, patients,
prescriptions, settlement, the diagnosis confirmation, follow-up), the prescribing rules' cautions
and the follow-up rules' reasons."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import gpassist
from gpassist import errors
from gpassist.actions_zh import ACTIONS_ZH
from gpassist.endpoints import REGISTRY

CJK = re.compile(r"[\u3400-\u9fff]")
ROOT = Path(gpassist.__file__).parent
# The services whose every refusal carries its own Chinese (detail_zh / zh=); the rest show the
# problem type's Chinese title. Add a module here once its messages are translated.
AUDITED = (
    "auth/api.py",
    "auth/service.py",
    "patients/service.py",
    "prescriptions/service.py",
    "settlement/service.py",
    "settlement/chain.py",
    "diagnosis/confirmation.py",
    "followup/service.py",
)
PROBLEMS = {"Problem", "BadRequest", "InvalidField", "Unauthorized", "Forbidden", "NotFound"}
PROBLEMS |= {"Conflict", "TooManyRequests"}


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def test_every_problem_type_has_a_chinese_title(app):
    kinds = list(all_subclasses(errors.Problem))
    assert len(kinds) >= 8
    for kind in [errors.Problem, *kinds]:
        assert CJK.search(kind.title_zh), kind
    for status, title in errors._HTTP_TITLES_ZH.items():
        assert CJK.search(title), status


def test_every_operation_limited_to_some_roles_says_in_chinese_what_it_does(app):
    limited = {(op.method, op.rule) for op in REGISTRY.operations if op.roles is not None}
    missing = sorted(limited - set(ACTIONS_ZH))
    assert not missing, f"add these to gpassist/actions_zh.py: {missing}"
    for phrase in ACTIONS_ZH.values():
        assert CJK.search(phrase) and not re.search(r"[A-Za-z/]", phrase), phrase


def _refusals(tree: ast.AST):
    """Calls that make a refusal: ``InvalidField.at(...)``, ``Conflict(...)`` … and
    ``BillRejected(...)``, with their line numbers."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "at":
            if isinstance(func.value, ast.Name) and func.value.id == "InvalidField":
                yield node, "zh"
        elif isinstance(func, ast.Name) and func.id in PROBLEMS:
            yield node, "detail_zh"
        elif isinstance(func, ast.Name) and func.id == "BillRejected":
            yield node, 2  # the third positional argument


@pytest.mark.parametrize("module", AUDITED)
def test_each_refusal_of_an_audited_service_carries_chinese(module):
    path = ROOT / module
    found = 0
    for call, needs in _refusals(ast.parse(path.read_text(encoding="utf-8"))):
        found += 1
        if isinstance(needs, int):
            ok = len(call.args) > needs
        else:
            ok = any(k.arg == needs for k in call.keywords) or (
                needs == "detail_zh" and any(k.arg == "errors" for k in call.keywords)
            )
        assert ok, f"{module}:{call.lineno}: give the refusal's Chinese ({needs})"
    assert found, module


def test_the_prescribing_rules_and_follow_up_reasons_read_in_chinese():
    from gpassist.followup.definitions import load_programs
    from gpassist.followup.reasons import reason_text
    from gpassist.prescriptions.knowledge import cautions

    for caution in cautions():
        assert CJK.search(caution.zh), caution.code
    for program in load_programs().values():
        codes = [c.code for band in program.control_bands for c in band.all]
        codes += [c.code for c in program.urgent.any]
        codes += [f"symptom:{s}" for s in program.urgent.symptoms]
        codes += [
            f"pregnancy_or_lactation:{c.code}" for c in program.urgent.pregnancy_or_lactation_with
        ]
        for code in codes:
            zh, _en = reason_text(code)
            assert CJK.search(zh) and "_" not in zh, (program.code, code, zh)


def test_a_refusal_by_role_says_in_chinese_what_the_user_may_not_do(api):
    response = api.post("/api/v1/patients/1/encounters", as_="admin", json={"chief_complaint": "x"})
    assert response.status_code == 403
    problem = response.get_json()
    assert problem["detail_zh"] == "您的角色（管理员）不能登记就诊。"
    assert "/api/" not in problem["title_zh"] + problem["detail_zh"]


def test_a_field_refusal_of_our_own_rules_has_its_chinese_message(api):
    response = api.post(
        "/api/v1/settlements",
        as_="doctor_a",
        json={"patient_id": 999999, "items": [{"service": "nope", "quantity": 1}]},
        headers={"Idempotency-Key": "k-messages-1"},
    )
    assert response.status_code in (404, 422)
    problem = response.get_json()
    assert CJK.search(problem.get("detail_zh") or problem["errors"][0]["message_zh"])


def test_an_empty_required_text_reads_must_be_filled_in():
    from gpassist.messages_zh import chinese_message

    ctx = {"field_type": "Value", "min_length": 1, "actual_length": 0}
    assert chinese_message("body.chief_complaint", "too_short", ctx, "x") == "主诉：必须填写"
    two = chinese_message("body.lines", "too_short", {"min_length": 2}, "x")
    assert two == "处方：至少要有 2 项"
