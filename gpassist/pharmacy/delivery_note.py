"""The printable delivery note (配送单) of a run, in Chinese: one section per clinic, a line to
sign for each order."""

from __future__ import annotations

from collections import defaultdict

from gpassist.pharmacy.schemas import OrderBrief, RunOut
from gpassist.printables import render


def delivery_note_html(out: RunOut) -> str:
    """The note the driver carries: the run's orders grouped by clinic (in clinic code order),
    each clinic by its name (the driver and the village doctor read names, not codes)."""
    by_clinic: dict[str, list[OrderBrief]] = defaultdict(list)
    for order in out.orders:
        by_clinic[order.clinic].append(order)
    sections = [(code, found[0].clinic_name.zh, found) for code, found in sorted(by_clinic.items())]
    return render("delivery_note.html", run=out, by_clinic=sections)
