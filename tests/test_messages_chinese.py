"""Every message a page can show has Chinese: the problem types' titles, the refusal by role (what
the user may not do, not a route), every refusal raised anywhere under gpassist/ (found by walking
the source, so a new one without Chinese fails), the prescribing rules' cautions and the follow-up
rules' reasons."""

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
# A refusal whose Chinese lives elsewhere (the problem type's title_zh, each error's message_zh)
# says so in a comment starting "# zh:" on its line or the line before.
EXPLAINED = "# zh:"


def all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from all_subclasses(sub)


def _sources() -> dict[str, ast.Module]:
    """Every module of the service (not the migrations), parsed: its path under gpassist/."""
    return {
        str(path.relative_to(ROOT)): ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted(ROOT.rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT).parts
    }


SOURCES = _sources()


def _problem_names() -> set[str]:
    """The names of ``Problem`` and of every class derived from it anywhere under gpassist/
    (``StockShort(Conflict)``, ``TooLarge(Problem)`` …), found in the source, so a new kind of
    refusal is walked without being listed here."""
    names = {"Problem"}
    classes = [
        (
            node.name,
            {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases},
        )
        for tree in SOURCES.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    grown = True
    while grown:
        before = len(names)
        names |= {name for name, bases in classes if bases & names}
        grown = len(names) > before
    return names


PROBLEMS = _problem_names()


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _refusals(tree: ast.AST):
    """Calls that make a refusal a user can see, with what carries their Chinese: a keyword
    name, or the position of a positional argument.

    ``InvalidField.at(..., zh=)``, any problem (``Conflict(..., detail_zh=)``), a bill the
    settlement chain refuses (``BillRejected(field, message, message_zh)``) and a socket
    handshake refused (``refused(title, title_zh)``)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, _called(node.func)
        if isinstance(func, ast.Attribute) and name == "at":
            if _called(func.value) == "InvalidField":
                yield node, "zh", None
        elif name in PROBLEMS:
            yield node, "detail_zh", None
        elif name == "BillRejected":
            yield node, "message_zh", 2
        elif name == "refused":
            yield node, "title_zh", 1


def _refusing_modules() -> list[str]:
    return sorted(module for module, tree in SOURCES.items() if any(_refusals(tree)))


REFUSING = _refusing_modules()


def test_the_walk_finds_the_refusals_of_every_package():
    packages = {module.split("/")[0] for module in REFUSING}
    for package in ("auth", "consult", "pharmacy", "tcm", "diagnosis", "overview", "followup"):
        assert package in packages
    for package in ("clinics", "settlement", "referrals", "patients", "prescriptions"):
        assert package in packages
    assert {"StockShort", "TooLarge", "ModelUnavailable", "CsrfRefused"} <= PROBLEMS


@pytest.mark.parametrize("module", REFUSING)
def test_each_refusal_carries_its_chinese(module):
    """Every refusal in every module under gpassist/: a new one without Chinese fails here."""
    lines = (ROOT / module).read_text(encoding="utf-8").splitlines()
    for call, keyword, position in _refusals(SOURCES[module]):
        near = lines[call.lineno - 1] + (lines[call.lineno - 2] if call.lineno > 1 else "")
        ok = (
            any(k.arg == keyword for k in call.keywords)
            or (position is not None and len(call.args) > position)
            or EXPLAINED in near
        )
        assert ok, f"{module}:{call.lineno}: give the refusal's Chinese ({keyword}=)"


@pytest.mark.parametrize("module", REFUSING)
def test_each_field_error_written_out_carries_its_chinese(module):
    """An ``errors`` entry built by hand ({"field": …, "message": …}) has its message_zh."""
    lines = (ROOT / module).read_text(encoding="utf-8").splitlines()
    for node in ast.walk(SOURCES[module]):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"field", "message"} <= keys and EXPLAINED not in lines[node.lineno - 1]:
                assert "message_zh" in keys, f"{module}:{node.lineno}: add message_zh"


def test_the_chinese_of_a_refusal_is_not_glued_to_the_english():
    """The old style "English. / 中文。" in one string: the English detail stays English."""
    glued = re.compile(r" / [^\x00-\x7f]")
    for module in REFUSING:
        for call, _keyword, _position in _refusals(SOURCES[module]):
            if call.args and isinstance(call.args[0], (ast.Constant, ast.JoinedStr)):
                text = ast.unparse(call.args[0])
                assert not glued.search(text), f"{module}:{call.lineno}: move the Chinese to *_zh"


REQUEST_BASES = {"ApiModel", "RequestModel"}


def _request_model_rules(tree: ast.Module):
    """The ``raise ValueError(...)`` of request models' validators (and of the module's functions
    they call or name as validators): pydantic would show only its English on the pages."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    request = set()
    grown = True
    while grown:
        before = len(request)
        for name, node in classes.items():
            bases = {_called(b) for b in node.bases}
            if bases & (REQUEST_BASES | request):
                request.add(name)
        grown = len(request) > before
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    scopes = [classes[name] for name in request]
    called = set()
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _called(call.func) in {
            "AfterValidator",
            "BeforeValidator",
        }:
            called |= {_called(arg) for arg in call.args}
    for scope in scopes:
        called |= {_called(c.func) for c in ast.walk(scope) if isinstance(c, ast.Call)}
    scopes += [functions[name] for name in called if name in functions]
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if _called(exc) == "ValueError":
                    yield node


def test_our_own_rules_in_request_models_refuse_with_their_chinese():
    """A validator of a request body refuses with ``rule_error(message, zh)``, not a bare
    ValueError, whose English alone would reach the Chinese page."""
    bare = [
        f"{module}:{node.lineno}"
        for module, tree in SOURCES.items()
        for node in _request_model_rules(tree)
    ]
    assert not bare, f"raise rule_error(message, zh) instead: {bare}"


def test_every_problem_type_has_a_chinese_title(app):
    kinds = list(all_subclasses(errors.Problem))
    assert len(kinds) >= 8
    for kind in [errors.Problem, *kinds]:
        assert CJK.search(kind.title_zh), kind
        if "title" in vars(kind):  # its own English title needs its own Chinese one
            assert "title_zh" in vars(kind), kind
    for status, title in errors._HTTP_TITLES_ZH.items():
        assert CJK.search(title), status


def test_every_operation_limited_to_some_roles_says_in_chinese_what_it_does(app):
    limited = {(op.method, op.rule) for op in REGISTRY.operations if op.roles is not None}
    missing = sorted(limited - set(ACTIONS_ZH))
    assert not missing, f"add these to gpassist/actions_zh.py: {missing}"
    for phrase in ACTIONS_ZH.values():
        assert CJK.search(phrase) and not re.search(r"[A-Za-z/]", phrase), phrase


def test_an_order_refuses_in_the_words_of_the_pharmacy():
    from gpassist.pharmacy.states import Action, OrderStatus, illegal_transition_zh

    picked_again = illegal_transition_zh(OrderStatus.picked, Action.pick)
    assert picked_again.startswith("这张订单已配药，不能再次配药。")
    assert (
        illegal_transition_zh(OrderStatus.cancelled, Action.pick) == "这张订单已取消，不能再配药。"
    )
    for status in OrderStatus:
        for action in Action:
            assert not re.search(r"[A-Za-z_]", illegal_transition_zh(status, action))


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


def test_a_rule_of_a_request_body_reads_in_chinese(api):
    from gpassist.messages_zh import rule_error

    assert rule_error("x", "中文").message() == "Value error, x"
    response = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={
            "name": "王五",
            "sex": "male",
            "birth_date": "1960-01-01",
            "national_id": "34182519600101123X",
        },
    )
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["field"] == "body.national_id" and error["code"] == "value_error"
    assert error["message_zh"].startswith("身份证号有误：")
    assert not re.search(r"[A-Za-z]", error["message_zh"])
