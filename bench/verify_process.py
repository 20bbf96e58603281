"""Timing ``healthcert verify --batch`` as a whole process, for the format benchmarks.

The benchmarks keep the best of a few runs: on a shared machine a neighbour's burst lands on
one run, not on all of them. The runs may write bytecode (PYTHONDONTWRITEBYTECODE is dropped
for them), as an installed verifier has it: else every run compiles healthcert's modules
again, and those loaded at the first payload count against the batch.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def verify_seconds(batch: Path, trust: list[str], at: str, *, workers: int = 1) -> float:
    """Wall-clock seconds of one ``healthcert verify --batch BATCH --json`` run; it must
    exit 0 (every payload valid)."""
    command = [sys.executable, "-m", "healthcert", "verify", "--batch", str(batch), "--at", at]
    for source in trust:
        command += ["--trust", source]
    command += ["--json", "--workers", str(workers)]
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    start = time.perf_counter()
    result = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environment, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"verify failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return elapsed
