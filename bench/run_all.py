"""Run every benchmark in bench/ (``make bench``); also on PostgreSQL when configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Scripts that compare against a database take --postgres; the diagnosis bench has no database side.
DATABASE_SCRIPTS = ["settlement.py", "consult.py", "pharmacy.py"]
OTHER_SCRIPTS = ["diagnosis.py"]

for script in [*sorted(HERE.glob("bench_*.py")), *(HERE / name for name in DATABASE_SCRIPTS)]:
    args = [sys.executable, str(script)]
    if os.environ.get("GPASSIST_TEST_POSTGRES_URL"):
        args += ["--postgres", os.environ["GPASSIST_TEST_POSTGRES_URL"]]
    print(f"== {script.name}", flush=True)
    subprocess.run(args, check=True)

for name in OTHER_SCRIPTS:
    print(f"== {name}", flush=True)
    subprocess.run([sys.executable, str(HERE / name)], check=True)
