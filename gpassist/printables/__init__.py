"""Printable pages handed to patients and drivers (receipt, prescription slip, delivery note,
referral letter), rendered from Jinja templates that share one base.

The environment is built here rather than taken from the Flask app so that a service, a CLI
command or a test can render a printable without an application or a request: the pages' own
templates need the request (locale, CSRF token, ``url_for``), printables need nothing but their
data. Autoescaping is on for every template, so no caller escapes by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from gpassist.db import SHANGHAI


def yuan(fen: int | Decimal) -> str:
    """An amount in fen (分, how money is stored) as yuan with two decimals: ``1234 -> "12.34"``,
    thousands grouped (``123456789 -> "1,234,567.89"``).

    Integer arithmetic only: a float is refused rather than rounded, and a Decimal must be a
    whole number of fen, so the printed figure is always exactly the stored one.
    """
    if isinstance(fen, bool) or not isinstance(fen, int | Decimal):
        raise TypeError(f"yuan() takes an amount in integer fen, not {type(fen).__name__}")
    if isinstance(fen, Decimal):
        if not fen.is_finite() or fen != fen.to_integral_value():
            raise ValueError(f"{fen} is not a whole number of fen")
        fen = int(fen)
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def local_minute(moment: dt.datetime) -> str:
    """A timestamp as the county reads it: Shanghai time to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@functools.cache
def environment() -> Environment:
    """The one Jinja environment of the printables (built once per process)."""
    env = Environment(
        loader=PackageLoader("gpassist.printables"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt field fails the render instead of printing ""
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["yuan"] = yuan
    env.filters["local_minute"] = local_minute
    return env


def render(template: str, **context: Any) -> str:
    """Render one printable (``slip.html``, ``receipt.html``, …) with its data."""
    return environment().get_template(template).render(**context)
