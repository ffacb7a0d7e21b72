"""The run loop: every run ends with a named stop; long runs are never replayed."""

from __future__ import annotations

import json

from conftest import run_vmsim


def test_long_command_sequence_runs_without_replayed_accesses(tmp_path):
    """Regression: resuming Unicorn after a timed slice re-executed an in-flight MMIO
    write, so START fired twice and swtpm received the previous response as a command."""
    report = tmp_path / "r.json"
    p = run_vmsim("run", "bench-getrandom", "--append", "n=3000", "--report-json", str(report))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "bench-getrandom: n=3000 ok" in p.stdout
    rep = json.loads(report.read_text())
    assert rep["counts"]["tpm_commands"] == 3001  # Startup + 3000 x GetRandom
    assert rep["protocol_warnings"] == []
