"""Import bills settled at hospitals (township, county, city, province) from a CSV file.

The file has a header and one row per line item; the rows with the same (facility,
external_ref) form one bill::

    external_ref,facility,patient,bill_date,visit_type,category,quantity,unit_price_fen,description
    ZY2026-0001,CH,340123195001010026,2026-02-10,inpatient,A,1,800000,住院费用

``patient`` is the resident ID (``Patient.national_id``). Each bill is run through the same payer
chain as a counter bill (policy in force on its date, the patient's poverty flag and chronic
certification, the ledger so far) and recorded with ``source=imported``, so the year's
accumulators are complete. A bill already imported (same facility and external_ref) is skipped.
A bad row refuses the whole file: ``ImportRefused`` names the line and the column, and the caller
rolls the transaction back, so nothing of that file is written. Two imports of the same bills at
the same moment: the unique (facility, external_ref) refuses the later one (``Conflict``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Facility, FacilityLevel
from gpassist.errors import Conflict
from gpassist.followup.service import has_certified_chronic_disease
from gpassist.patients.tables import Patient
from gpassist.settlement import chain, service
from gpassist.settlement.policy import Policy, VisitType, policy_in_force
from gpassist.settlement.tables import Bill, BillSource, Settlement

COLUMNS = (
    "external_ref",
    "facility",
    "patient",
    "bill_date",
    "visit_type",
    "category",
    "quantity",
    "unit_price_fen",
    "description",
)
BILL_COLUMNS = ("patient", "bill_date", "visit_type")  # must agree on every row of one bill
MAX_ROWS = 20_000


class ImportRefused(ValueError):
    """A row (or the header) that cannot be imported; nothing of the file may be written.
    ``message_zh`` is what the admin page shows, after the line and column."""

    def __init__(self, line: int, column: str | None, message: str, message_zh: str) -> None:
        where = f"line {line}" + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.line = line
        self.column = column
        self.message = message
        self.message_zh = message_zh

    @property
    def where_zh(self) -> str:
        """第 3 行（bill_date 列）: where the admin finds the problem in the file."""
        return f"第 {self.line} 行" + (f"（{self.column} 列）" if self.column else "")


@dataclass
class _Row:
    line: int
    external_ref: str
    facility: Facility
    patient: Patient
    bill_date: dt.date
    visit_type: VisitType
    category: str
    quantity: int
    unit_price_fen: int
    description: str


@dataclass
class _PendingBill:
    rows: list[_Row] = field(default_factory=list)

    @property
    def first(self) -> _Row:
        return self.rows[0]


@dataclass
class ImportReport:
    """What an import did: bills imported (with their settlements) and bills skipped."""

    imported: list[tuple[str, str, int]] = field(default_factory=list)  # facility, ref, settlement
    skipped: list[tuple[str, str]] = field(default_factory=list)  # facility, ref

    def summary(self) -> str:
        return (
            f"{len(self.imported)} bills imported, {len(self.skipped)} skipped (already imported)"
        )


def import_csv(
    session: Session,
    text: str,
    *,
    user: User | None,
    today: dt.date,
    policies: tuple[Policy, ...] | None = None,
) -> ImportReport:
    """Import every bill of ``text``; raises ``ImportRefused`` (the caller rolls back)."""
    policies = policies or service.county_policies(session)
    bills = _parse(session, text, today, policies)
    report = ImportReport()
    fresh: list[_PendingBill] = []
    for pending in bills:
        first = pending.first
        exists = session.scalar(
            select(Bill.id).where(
                Bill.facility_id == first.facility.id, Bill.external_ref == first.external_ref
            )
        )
        if exists is not None:
            report.skipped.append((first.facility.code, first.external_ref))
        else:
            fresh.append(pending)
    # Lock every patient concerned, in id order (no deadlock with another import), then settle the
    # bills in date order so each sees the accumulators of the ones before it.
    for patient_id in sorted({p.first.patient.id for p in fresh}):
        service.lock_patient(session, patient_id)
    fresh.sort(key=lambda p: (p.first.bill_date, p.first.line))
    try:
        for pending in fresh:
            settlement = _settle(session, user, pending, policies)
            report.imported.append(
                (pending.first.facility.code, pending.first.external_ref, settlement.id)
            )
        session.flush()
    except IntegrityError as exc:  # the same bill imported by another import at the same moment
        raise Conflict(
            "Another import recorded some of these bills at the same moment; nothing of this file "
            "was written. Import it again: the bills already recorded will be skipped.",
            detail_zh="另一次导入同时记下了其中几张账单，这个文件一张都没有写入。"
            "请再导入一次：已记下的账单会自动跳过。",
        ) from exc
    return report


def _settle(
    session: Session, user: User | None, pending: _PendingBill, policies: tuple[Policy, ...]
) -> Settlement:
    first = pending.first
    policy = policy_in_force(list(policies), first.bill_date)
    assert policy is not None  # checked while parsing
    patient = session.get(Patient, first.patient.id)
    assert patient is not None
    bill = chain.Bill(
        date=first.bill_date,
        visit_type=first.visit_type,
        level=service.payer_level(first.facility),
        items=tuple(chain.LineItem(r.category, r.quantity, r.unit_price_fen) for r in pending.rows),
    )
    flags = chain.PatientFlags(
        poor=patient.poverty_registered,
        certified_chronic=has_certified_chronic_disease(session, patient.id, first.bill_date),
    )
    ledger = service._ledger(session, patient.id, first.bill_date.year)
    before = chain.Accumulators(**{name: getattr(ledger, name) for name in service.ACCUMULATORS})
    try:
        result = chain.settle(policy, bill, flags, before)
    except chain.BillRejected as exc:
        line, column = first.line, exc.field
        parts = exc.field.split(".")
        if parts[0] == "items" and len(parts) == 3:
            line, column = pending.rows[int(parts[1])].line, parts[2]
        elif column not in COLUMNS:
            column = "facility" if column == "hospital_level" else None
        raise ImportRefused(
            line, column, exc.message, exc.message_zh or "这张账单不符合结算规则，请核对后再导入。"
        ) from exc
    lines = [(None, r.description, r.category, r.quantity, r.unit_price_fen) for r in pending.rows]
    return service.record_settlement(
        session,
        user,
        patient,
        first.facility,
        bill,
        lines,
        policy,
        result,
        before,
        ledger,
        source=BillSource.imported,
        external_ref=first.external_ref,
    )


def _parse(
    session: Session, text: str, today: dt.date, policies: tuple[Policy, ...]
) -> list[_PendingBill]:
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportRefused(
            1,
            None,
            f"not valid CSV: {exc}",
            "文件不是有效的 CSV，请从表格软件另存为 CSV 后再导入。",
        ) from exc
    if header is None:
        raise ImportRefused(
            1, None, "the file is empty; it needs a header line", "文件是空的，第一行应是列名。"
        )
    header = [h.strip() for h in header]
    for column in COLUMNS:
        if column not in header:
            raise ImportRefused(1, column, "missing from the header", "列名中缺少这一列。")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ImportRefused(1, unknown[0], "unknown column", "不认识这个列名，请删去或改正。")
    if len(set(header)) != len(header):
        raise ImportRefused(1, None, "a column is named twice", "有重复的列名，每列只写一次。")
    facilities: dict[str, Facility] = {}
    patients: dict[str, Patient] = {}
    bills: dict[tuple[str, str], _PendingBill] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ImportRefused(
                reader.line_num,
                None,
                f"not valid CSV: {exc}",
                "这一行不是有效的 CSV，请检查引号和逗号。",
            ) from exc
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) != len(header):
            raise ImportRefused(
                line,
                None,
                f"{len(values)} fields, the header has {len(header)}",
                f"这一行有 {len(values)} 个字段，列名有 {len(header)} 个，请补齐或删去多余的字段。",
            )
        if line > MAX_ROWS:
            raise ImportRefused(
                line,
                None,
                f"a file holds at most {MAX_ROWS} lines; split it",
                f"一个文件最多 {MAX_ROWS} 行，请拆成几个文件分别导入。",
            )
        raw = {h: v.strip() for h, v in zip(header, values, strict=True)}
        row = _row(session, line, raw, today, policies, facilities, patients)
        pending = bills.setdefault((row.facility.code, row.external_ref), _PendingBill())
        if pending.rows:
            first = pending.first
            for column in BILL_COLUMNS:
                if getattr(row, column) != getattr(first, column):
                    raise ImportRefused(
                        line,
                        column,
                        f"differs from line {first.line} of the same bill "
                        f"({row.facility.code} {row.external_ref})",
                        f"与同一张账单（{row.facility.code} {row.external_ref}）"
                        f"的第 {first.line} 行不一致，同一张账单的每一行须相同。",
                    )
        pending.rows.append(row)
    if not bills:
        raise ImportRefused(
            reader.line_num or 1, None, "the file has no bill lines", "文件中没有账单行。"
        )
    return list(bills.values())


def _row(
    session: Session,
    line: int,
    raw: dict[str, str],
    today: dt.date,
    policies: tuple[Policy, ...],
    facilities: dict[str, Facility],
    patients: dict[str, Patient],
) -> _Row:
    def refuse(column: str, message: str, message_zh: str) -> ImportRefused:
        return ImportRefused(line, column, message, message_zh)

    ref = raw["external_ref"]
    if not ref or len(ref) > 64:
        raise refuse(
            "external_ref",
            "give the hospital's bill number (1–64 characters)",
            "请填写医院的账单号（1–64 个字符）。",
        )
    code = raw["facility"]
    facility = facilities.get(code)
    if facility is None:
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            raise refuse(
                "facility",
                f"no facility {code!r} in the registry",
                f"机构名录中没有编码为“{code}”的医疗机构。",
            )
        if facility.level == FacilityLevel.village:
            raise refuse(
                "facility",
                f"{code} is a village clinic; settle its bills at the counter",
                f"{facility.name_zh}是村卫生室，它的账单在卫生室结算，不用导入。",
            )
        facilities[code] = facility
    national_id = raw["patient"].upper()
    patient = patients.get(national_id)
    if patient is None:
        patient = session.scalar(select(Patient).where(Patient.national_id == national_id))
        if patient is None:
            raise refuse(
                "patient",
                "no patient has this resident ID",
                "没有这个身份证号的病人，请先建档或核对身份证号。",
            )
        patients[national_id] = patient
    try:
        bill_date = dt.date.fromisoformat(raw["bill_date"])
    except ValueError:
        raise refuse(
            "bill_date", "give the date as YYYY-MM-DD", "日期请写成 2026-05-01 的格式。"
        ) from None
    if bill_date > today:
        raise refuse("bill_date", "a bill cannot be dated in the future", "账单日期不能晚于今天。")
    policy = policy_in_force(list(policies), bill_date)
    if policy is None:
        raise refuse(
            "bill_date",
            f"no settlement policy is in force on {bill_date}",
            f"{bill_date} 没有适用的医保结算政策，不能结算这一天的账单。",
        )
    try:
        visit_type = VisitType(raw["visit_type"])
    except ValueError:
        choices = ", ".join(v.value for v in VisitType)
        raise refuse(
            "visit_type",
            f"unknown visit type; use one of {choices}",
            f"不认识的就诊类型，请填写其中之一：{choices}。",
        ) from None
    rule = policy.visit_types.get(visit_type)
    level = service.payer_level(facility)
    if rule is None or level not in rule.levels:
        raise refuse(
            "visit_type",
            f"{visit_type.value} is not settled at a {level.value} facility",
            f"{facility.name_zh}不能按“{visit_type.zh}”结算，请核对就诊类型。",
        )
    category = raw["category"]
    if category not in policy.categories:
        raise refuse(
            "category", f"unknown category {category!r}", f"不认识的费用类别“{category}”。"
        )
    quantity = _integer(raw["quantity"], refuse, "quantity")
    price = _integer(raw["unit_price_fen"], refuse, "unit_price_fen")
    description = raw["description"]
    if not description or len(description) > 200:
        raise refuse(
            "description",
            "describe the line (1–200 characters)",
            "请填写这一项的说明（1–200 个字符）。",
        )
    return _Row(
        line, ref, facility, patient, bill_date, visit_type, category, quantity, price, description
    )


def _integer(value: str, refuse, column: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        if value.startswith("-") and value[1:].isdigit():
            raise refuse(column, "cannot be negative", "不能是负数。")
        raise refuse(
            column, "give a whole number (fen for prices)", "请填写整数（价格以分为单位）。"
        )
    return int(value)
