"""The printable receipt (门诊结算单) of a settlement, in Chinese: each line, each payer's share,
what the patient paid; marked when the settlement was reversed."""

from __future__ import annotations

from gpassist.printables import render
from gpassist.settlement.schemas import ReceiptOut


def receipt_html(receipt: ReceiptOut) -> str:
    """The page printed at the counter from the same ``ReceiptOut`` the API answers with, so the
    paper and the JSON cannot disagree."""
    return render("receipt.html", issuer=receipt.facility_name.zh, document="门诊结算单", r=receipt)
