"""Run every benchmark in bench/ (``make bench``); also on PostgreSQL when configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in [*sorted(HERE.glob("bench_*.py")), HERE / "settlement.py"]:
    args = [sys.executable, str(script)]
    if os.environ.get("GPASSIST_TEST_POSTGRES_URL"):
        args += ["--postgres", os.environ["GPASSIST_TEST_POSTGRES_URL"]]
    print(f"== {script.name}", flush=True)
    subprocess.run(args, check=True)
