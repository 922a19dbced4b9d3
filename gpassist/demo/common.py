"""What every part of the demo seeding shares."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

DEMO_PASSWORD = "gpassist-demo-2026"


class NotADemoCounty(RuntimeError):
    """seed-demo only ever writes into a county whose registry says it is synthetic."""


@dataclass
class SeedResult:
    counts: Counter[str] = field(default_factory=Counter)
    logins: list[tuple[str, str]] = field(default_factory=list)
    moved_to: dt.date | None = None  # the day the demo's dates were moved to, if they were

    def summary(self) -> str:
        moved = f"; demo dates moved to {self.moved_to}" if self.moved_to else ""
        if not self.counts:
            return ("already in place, nothing changed" if not moved else "nothing new") + moved
        return ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) + moved


def demo_doctor_username(clinic_code: str) -> str:
    return "doctor-" + clinic_code.lower()
