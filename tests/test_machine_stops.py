"""The run loop: every run ends with a named stop; long runs are never replayed."""

from __future__ import annotations

import json

import pytest
from conftest import run_vmsim

from vmsim.stop import EXIT_GUEST_FAULT, EXIT_HALT, EXIT_TIME_LIMIT


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


@pytest.mark.parametrize("mode,status,reason,needle", [
    ("ud", EXIT_GUEST_FAULT, "cpu-exception", "#UD"),
    ("int3", EXIT_GUEST_FAULT, "cpu-exception", "#BP"),
    ("divide", EXIT_GUEST_FAULT, "cpu-exception", "#DE"),
    ("unmapped", EXIT_GUEST_FAULT, "unmapped-access", "0xc0000000"),
    ("halt", EXIT_HALT, "halt", "HLT"),
])
def test_guest_faults_end_in_named_stops(tmp_path, mode, status, reason, needle):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "faults", "--append", f"mode={mode}", "--report-json", str(report))
    assert p.returncode == status, p.stdout + p.stderr
    rep = json.loads(report.read_text())
    assert rep["stop"] == reason
    assert needle in rep["summary"]
    assert "Traceback" not in p.stderr
    assert f"machine stopped ({reason}" in p.stderr
    assert rep["fault"]["instruction"] and not rep["fault"]["instruction"].startswith("(")


def test_halt_report_points_at_the_hlt_instruction(tmp_path):
    report = tmp_path / "r.json"
    run_vmsim("run", "faults", "--append", "mode=halt", "--report-json", str(report))
    assert json.loads(report.read_text())["fault"]["instruction"].startswith("hlt")


def test_spinning_guest_ends_at_the_time_limit(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "faults", "--append", "mode=spin", "--timeout", "1.5",
                  "--report-json", str(report))
    assert p.returncode == EXIT_TIME_LIMIT
    rep = json.loads(report.read_text())
    assert rep["stop"] == "time-limit"
    assert 1.5 <= rep["wall_seconds"] < 10


@pytest.mark.parametrize("code", [0, 7, 119])
def test_guest_exit_value_is_the_exit_status(code):
    assert run_vmsim("run", "faults", "--append", f"mode=exit code={code}").returncode == code


def test_guest_exit_values_above_119_are_clamped_and_reported(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "faults", "--append", "mode=exit code=200", "--report-json",
                  str(report))
    assert p.returncode == 119
    assert json.loads(report.read_text())["guest_exit_value"] == 200
