"""Who may see and keep which stock; lookups the API needs. No Flask here.

Pharmacists keep the central pharmacy's stock and read any facility's; a village doctor keeps and
reads only their own clinic's; admins read everything and keep nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Drug, Facility, FacilityKind, Town
from gpassist.errors import Forbidden, InvalidField, NotFound
from gpassist.pharmacy import stock
from gpassist.pharmacy.tables import DeliveryRun, StockLot

_NO_LOT_ZH = "没有找到这批库存，或它不属于您管理的库存。请刷新库存列表。"


def stock_facility(session: Session, user: User, code: str | None, *, writing: bool) -> Facility:
    """The facility whose stock ``user`` reads or keeps (default: theirs)."""
    if user.role == Role.village_doctor:
        facility = session.get(Facility, user.clinic_id)
        assert facility is not None
        if code is not None and code != facility.code:
            raise NotFound(
                f"No stock of {code!r} for you to see.",
                detail_zh="您只能查看本卫生室的库存。",
            )
        return facility
    if code is None:
        return stock.central_pharmacy(session)
    facility = session.scalar(select(Facility).where(Facility.code == code))
    if facility is None:
        raise NotFound(
            f"No facility {code!r}.", detail_zh=f"没有编码为“{code}”的卫生室或药房，请检查编码。"
        )
    if writing and (user.role != Role.pharmacist or facility.kind != FacilityKind.central_pharmacy):
        raise Forbidden(
            "Pharmacists keep the central pharmacy's stock; clinics keep their own.",
            detail_zh="药师只管理中心药房的库存；卫生室的库存由卫生室自己管理。",
        )
    return facility


def report_facility_id(session: Session, user: User, code: str | None) -> int | None:
    """For lists across facilities: a doctor's clinic, or the one asked for, or all (None)."""
    if user.role == Role.village_doctor or code is not None:
        return stock_facility(session, user, code, writing=False).id
    return None


def writable_lot(session: Session, user: User, lot_id: int) -> StockLot:
    """A stock lot ``user`` may change: their own clinic's, or the central pharmacy's for a
    pharmacist; raises ``NotFound`` or ``Forbidden``.
    """
    lot = session.get(StockLot, lot_id)
    if lot is None:
        raise NotFound(f"No stock lot {lot_id}.", detail_zh=_NO_LOT_ZH)
    if user.role == Role.village_doctor:
        if lot.facility_id != user.clinic_id:
            raise NotFound(f"No stock lot {lot_id}.", detail_zh=_NO_LOT_ZH)
    elif lot.facility.kind != FacilityKind.central_pharmacy:
        raise Forbidden(
            "Pharmacists keep the central pharmacy's stock; clinics keep their own.",
            detail_zh="药师只管理中心药房的库存；卫生室的库存由卫生室自己管理。",
        )
    return lot


def lots_of(
    session: Session, facility: Facility, drug_code: str | None, limit: int, offset: int
) -> list[StockLot]:
    """One page of a facility's stock lots, first-expiring first, of one drug when given."""
    query = select(StockLot).where(StockLot.facility_id == facility.id)
    if drug_code is not None:
        query = query.join(Drug, StockLot.drug_id == Drug.id).where(Drug.code == drug_code)
    query = query.order_by(StockLot.expires_on, StockLot.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def catalog_drug(session: Session, code: str, field: str) -> Drug:
    """The active catalog drug with this code; raises ``InvalidField`` at ``field``."""
    drug = session.scalar(select(Drug).where(Drug.code == code, Drug.active.is_(True)))
    if drug is None:
        raise InvalidField.at(
            field,
            f"No drug {code!r} in the catalog.",
            zh=f"药品目录中没有“{code}”（或已停用），请从目录中选择药品。",
        )
    return drug


def town(session: Session, code: str) -> Town:
    """The town with this code; raises ``NotFound``."""
    found = session.scalar(select(Town).where(Town.code == code))
    if found is None:
        raise NotFound(f"No town {code!r}.", detail_zh=f"没有编码为“{code}”的乡镇，请检查编码。")
    return found


def get_run(session: Session, run_id: int) -> DeliveryRun:
    """The delivery run with this id; raises ``NotFound``."""
    run = session.get(DeliveryRun, run_id)
    if run is None:
        raise NotFound(f"No delivery run {run_id}.", detail_zh="没有找到这趟配送，请刷新配送列表。")
    return run
