"""What every benchmark shares: timing a call and printing results against the baseline."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: import gpassist and tests
    sys.path.insert(0, str(ROOT))


def timed(call: Callable[[], object], n: int) -> float:
    """Median seconds per call over ``n`` calls (after 20 warm-up calls)."""
    for _ in range(20):
        call()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def print_results(title: str, results: list[tuple[str, float]]) -> None:
    """One line per measurement, with its ratio to the first (the baseline)."""
    baseline = results[0][1]
    width = max(len(name) for name, _ in results) + 2
    print(f"\n{title}")
    print(f"{'endpoint':{width}} {'median':>10} {'vs bare':>8}")
    for name, seconds in results:
        print(f"{name:{width}} {seconds * 1000:8.2f}ms {seconds / baseline:7.1f}x")


def on_each_database(postgres_url: str | None, run_one: Callable[[str, str], object]) -> None:
    """``run_one(url, label)`` on a scratch SQLite file, then on a scratch PostgreSQL schema."""
    import tempfile

    from tests.conftest import PostgresSchema

    with tempfile.TemporaryDirectory() as folder:
        run_one(f"sqlite:///{folder}/bench.db", "SQLite (WAL, synchronous=NORMAL)")
    if postgres_url:
        with PostgresSchema(postgres_url) as schema:
            run_one(schema.url, "PostgreSQL (local, psycopg 3)")
