"""Follow-up reports (慢病管理报表) per village clinic, town and county, for a month or a year.

One program at a time (hypertension or diabetes). Definitions:

- **period**: a year (``2026``) or a month (``2026-05``). A month report is year-to-date, as
  China's public-health monthly reports are: it covers 1 January through the end of that month.
- **as of**: the period's last day, or today (Asia/Shanghai) while the period is still running;
  a year or month that has not begun is refused (422).
- **managed**: enrolments enrolled on or before the as-of date and not withdrawn on or before it.
- **followed to standard** (规范管理): managed patients whose follow-ups of the program dated from
  the period's start to the as-of date number at least the quarters elapsed (the as-of month's
  quarter: 1–4, so 4 for a whole past year). Rate = followed to standard ÷ managed.
- **controlled**: managed patients whose latest follow-up in the period was classified controlled.
  Rate = controlled ÷ managed.
- **overdue / lost**, among the managed, as they stood on the as-of date: the next due date is the
  one set by the latest follow-up on or before that day (or the enrolment date if none) — overdue
  when it is before the as-of date, lost when it is more than 12 months before (lost is not also
  counted as overdue). This is the morning worklist replayed on the as-of date.
- **referrals**: follow-ups of the program in the period that referred the patient (routine or
  urgent), at the clinic that recorded them; ``urgent_referrals`` counts the urgent ones.

Only follow-ups of the current enrolment spell count (dated on or after ``enrolled_on``): a
re-enrolled patient starts afresh, as the live worklist does. Rates are fractions rounded to 4
decimals, 0 when nobody is managed. Clinic rows are counted in SQL; a town is the sum of its
village clinics and the county the sum of its towns, so every total equals its breakdown.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field, fields

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from gpassist.clinics.tables import County, Facility, FacilityKind, Town
from gpassist.errors import InvalidField
from gpassist.followup.rules import Classification
from gpassist.followup.service import lost_cutoff
from gpassist.followup.tables import Enrolment, FollowUp

LEVELS = ("county", "town", "clinic")
FIRST_YEAR, LAST_YEAR = 2000, 2099
PERIOD_PATTERN = r"^[0-9]{4}(-[0-9]{2})?$"


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar year, or a month reported year-to-date."""

    year: int
    month: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026`` or ``2026-05``; raises ValueError naming what is wrong."""
        if not re.fullmatch(PERIOD_PATTERN, text):
            raise ValueError("a period is a year (2026) or a month (2026-05)")
        year, _, month = text.partition("-")
        if not FIRST_YEAR <= int(year) <= LAST_YEAR:
            raise ValueError(f"the year must be between {FIRST_YEAR} and {LAST_YEAR}")
        if month and not 1 <= int(month) <= 12:
            raise ValueError("the month must be 01 to 12")
        return cls(int(year), int(month) if month else None)

    @property
    def label(self) -> str:
        return f"{self.year}" if self.month is None else f"{self.year}-{self.month:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)

    @property
    def begins(self) -> dt.date:
        """The first day of the year or month named (a month's report still starts 1 January)."""
        return dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> dt.date:
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def as_of(self, today: dt.date) -> dt.date:
        return min(self.end, today)


def quarters_elapsed(as_of: dt.date) -> int:
    """Follow-ups a patient needs by ``as_of`` to be managed to standard: one per quarter begun."""
    return (as_of.month + 2) // 3


# --- counting --------------------------------------------------------------------------------


@dataclass
class Counts:
    """A place's follow-up figures: managed, followed to standard, controlled, overdue, lost,
    referrals.
    """

    managed: int = 0
    followed_to_standard: int = 0
    controlled: int = 0
    overdue: int = 0
    lost: int = 0
    referrals: int = 0
    urgent_referrals: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def standard_management_rate(self) -> float:
        return _rate(self.followed_to_standard, self.managed)

    @property
    def control_rate(self) -> float:
        return _rate(self.controlled, self.managed)


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def clinic_counts(
    session: Session, program: str, start: dt.date, as_of: dt.date
) -> dict[int, Counts]:
    """Every clinic's counts for one program, period start and as-of date (see the module doc)."""
    by_clinic: dict[int, Counts] = {}
    for row in session.execute(_managed_query(program, start, as_of)):
        by_clinic[row.clinic_id] = Counts(
            managed=row.managed,
            followed_to_standard=row.followed_to_standard or 0,
            controlled=row.controlled or 0,
            overdue=row.overdue or 0,
            lost=row.lost or 0,
        )
    for row in session.execute(_referrals_query(program, start, as_of)):
        counts = by_clinic.setdefault(row.clinic_id, Counts())
        counts.referrals, counts.urgent_referrals = row.referrals, row.urgent or 0
    return by_clinic


def _managed_query(program: str, start: dt.date, as_of: dt.date):
    """One row per clinic: the managed patients and how many of them are standard, controlled,
    overdue, lost. Each enrolment's latest follow-up and follow-up count are looked up through
    the (enrolment_id, visit_date) index."""
    of_this_spell = (
        FollowUp.enrolment_id == Enrolment.id,
        FollowUp.visit_date >= Enrolment.enrolled_on,
        FollowUp.visit_date <= as_of,
    )
    latest_id = (
        select(FollowUp.id)
        .where(*of_this_spell)
        .order_by(FollowUp.visit_date.desc(), FollowUp.id.desc())
        .limit(1)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    visits = (
        select(func.count())
        .where(*of_this_spell, FollowUp.visit_date >= start)
        .correlate(Enrolment)
        .scalar_subquery()
    )
    latest = aliased(FollowUp)
    per_enrolment = (
        select(
            Enrolment.clinic_id.label("clinic_id"),
            visits.label("visits"),
            latest.visit_date.label("last_visit"),
            latest.classification.label("last_classification"),
            func.coalesce(latest.next_due, Enrolment.enrolled_on).label("due"),
        )
        .select_from(Enrolment)
        .outerjoin(latest, latest.id == latest_id)
        .where(
            Enrolment.program == program,
            Enrolment.enrolled_on <= as_of,
            or_(Enrolment.withdrawn_on.is_(None), Enrolment.withdrawn_on > as_of),
        )
        .subquery()
    )
    e = per_enrolment.c
    cutoff = lost_cutoff(as_of)

    def number(*condition):
        return func.sum(case((and_(*condition), 1), else_=0))

    return select(
        e.clinic_id,
        func.count().label("managed"),
        number(e.visits >= quarters_elapsed(as_of)).label("followed_to_standard"),
        number(e.last_visit >= start, e.last_classification == Classification.controlled).label(
            "controlled"
        ),
        number(e.due < as_of, e.due >= cutoff).label("overdue"),
        number(e.due < cutoff).label("lost"),
    ).group_by(e.clinic_id)


def _referrals_query(program: str, start: dt.date, as_of: dt.date):
    return (
        select(
            FollowUp.clinic_id,
            func.count().label("referrals"),
            func.sum(case((FollowUp.urgent_referral, 1), else_=0)).label("urgent"),
        )
        .where(
            FollowUp.program == program,
            FollowUp.visit_date >= start,
            FollowUp.visit_date <= as_of,
            or_(FollowUp.referral, FollowUp.urgent_referral),
        )
        .group_by(FollowUp.clinic_id)
    )


# --- places: the county, its towns, their village clinics ------------------------------------


@dataclass
class Place:
    """The county, a town or a village clinic, with the places under it."""

    level: str
    code: str
    name_zh: str
    name_en: str
    clinic_id: int | None = None  # clinics only
    parts: list[Place] = field(default_factory=list)  # towns of a county, clinics of a town

    def counts(self, by_clinic: dict[int, Counts]) -> Counts:
        if self.level == "clinic":
            return by_clinic.get(self.clinic_id, Counts())  # type: ignore[arg-type]
        return sum((part.counts(by_clinic) for part in self.parts), Counts())


def county_tree(session: Session) -> Place:
    """The county with its towns and their village clinics, in code order."""
    county = session.scalars(select(County).order_by(County.id)).first()
    if county is None:
        raise InvalidField.at(
            "query.level",
            "No county is loaded (gpassist load-clinics).",
            zh="还没有导入县里的机构名录，暂时没有报表。请联系管理员导入。",
        )
    root = Place("county", county.code, county.name_zh, county.name_en)
    towns: dict[int, Place] = {}
    for town in session.scalars(
        select(Town).where(Town.county_id == county.id).order_by(Town.code)
    ):
        towns[town.id] = Place("town", town.code, town.name_zh, town.name_en)
        root.parts.append(towns[town.id])
    clinics = select(Facility).where(Facility.kind == FacilityKind.village_clinic)
    for clinic in session.scalars(clinics.order_by(Facility.code)):
        if clinic.town_id in towns:
            towns[clinic.town_id].parts.append(
                Place("clinic", clinic.code, clinic.name_zh, clinic.name_en, clinic.id)
            )
    return root


_LEVEL_ZH = {"county": "县", "town": "乡镇", "clinic": "村卫生室"}


def find_place(root: Place, level: str, code: str | None) -> Place:
    """The county, a town or a village clinic by code; 422 on ``query.code`` if there is none."""
    if level == "county":
        if code not in (None, root.code):
            raise InvalidField.at(
                "query.code",
                f"This is county {root.code!r}, not {code!r}.",
                zh=f"本县是 {root.name_zh}，没有编码为“{code}”的县。",
            )
        return root
    if not code:
        raise InvalidField.at(
            "query.code",
            f"Name the {level} (its code).",
            "missing",
            zh=f"请选择要查看的{_LEVEL_ZH.get(level, '地方')}。",
        )
    towns = root.parts
    candidates = towns if level == "town" else [c for t in towns for c in t.parts]
    for place in candidates:
        if place.code == code:
            return place
    kind = "town" if level == "town" else "village clinic"
    raise InvalidField.at(
        "query.code",
        f"No {kind} {code!r} in this county.",
        zh=f"本县没有这个{_LEVEL_ZH.get(level, '地方')}（编码“{code}”），请从列表中重新选择。",
    )


# --- reports ---------------------------------------------------------------------------------


@dataclass
class Row:
    """A place and its figures, one line of a report."""

    place: Place
    counts: Counts


@dataclass
class Report:
    """A program's report for a period as of a date: the total and a row per place below."""

    program: str
    period: Period
    as_of: dt.date
    total: Row
    breakdown: list[Row]


def report_as_of(period: Period, today: dt.date) -> dt.date:
    """The day a report for ``period`` counts up to; raises ``InvalidField`` when the period
    has not begun.
    """
    if period.begins > today:
        raise InvalidField.at(
            "query.period",
            f"The period {period.label} has not begun.",
            zh=f"{period.label} 还没有开始，没有可统计的随访。请选择已开始的年份或月份。",
        )
    return period.as_of(today)


def follow_up_report(
    session: Session,
    program: str,
    period: Period,
    level: str,
    code: str | None,
    today: dt.date,
) -> Report:
    """One place's report, with a row for each of its towns (county) or clinics (town)."""
    as_of = report_as_of(period, today)
    place = find_place(county_tree(session), level, code)
    by_clinic = clinic_counts(session, program, period.start, as_of)
    return Report(
        program=program,
        period=period,
        as_of=as_of,
        total=Row(place, place.counts(by_clinic)),
        breakdown=[Row(part, part.counts(by_clinic)) for part in place.parts],
    )


@dataclass
class Series:
    """A place's control rate and overdue count, month by month."""

    place: Place
    control_rate: list[float] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)


@dataclass
class Monthly:
    """A program's monthly series for one year: the county first, then each town."""

    program: str
    year: int
    months: list[Period]
    as_of: list[dt.date]
    series: list[Series]  # the county first, then each town


def monthly_series(session: Session, program: str, year: int, today: dt.date) -> Monthly:
    """Each month's year-to-date control rate and overdue count for the county and each town,
    up to the current month."""
    if dt.date(year, 1, 1) > today:
        raise InvalidField.at(
            "query.year",
            f"The year {year} has not begun.",
            zh=f"{year} 年还没有开始，没有可统计的随访。请选择已开始的年份。",
        )
    county = county_tree(session)
    places = [county, *county.parts]
    monthly = Monthly(program, year, [], [], [Series(p) for p in places])
    for month in range(1, 13):
        period = Period(year, month)
        if period.begins > today:
            break
        as_of = period.as_of(today)
        by_clinic = clinic_counts(session, program, period.start, as_of)
        monthly.months.append(period)
        monthly.as_of.append(as_of)
        for series in monthly.series:
            counts = series.place.counts(by_clinic)
            series.control_rate.append(counts.control_rate)
            series.overdue.append(counts.overdue)
    return monthly
