"""bench/compare.py keeps running: its quick mode (a few hundred sessions in a temporary SQLite
file, three runs) draws the list through TrainAdmin, the stock Flask-Admin peer and the floor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_the_comparison_runs_and_prints_its_table():
    result = subprocess.run(
        [sys.executable, "compare.py", "--quick"],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    cases = [line.split("|")[1].strip() for line in table[1:]]
    assert cases == ["first page, 20 rows", "search « Excel »", "search « Paris »", "100 rows"]
    for line in table[1:]:
        ours, peer, floor = (float(cell) for cell in line.split("|")[2:5])
        assert ours > 0 and peer > 0 and floor > 0
    assert "Targets (at most 2× the floor, faster than the peer):" in result.stdout
