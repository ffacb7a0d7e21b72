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


def test_a_bug_in_a_device_model_surfaces_instead_of_being_swallowed():
    """Device callbacks run under libunicorn; an unexpected exception must not vanish."""
    from conftest import guest

    from vmsim import firmware
    from vmsim.devices.tpm_common import TPM_BASE
    from vmsim.loader import load_elf
    from vmsim.machine import Machine
    from vmsim.trace import Recorder

    class Broken:
        name = "broken"
        size = 0x5000

        def read(self, offset: int, size: int) -> int:
            raise RuntimeError(f"model bug at {offset:#x}")

        def write(self, offset: int, size: int, value: int) -> None:
            raise RuntimeError(f"model bug at {offset:#x}")

    m = Machine(load_elf(guest("crb-linux")), 64 << 20, Recorder())
    m.bus.add_mmio(TPM_BASE, Broken())
    m.load(firmware.build(firmware.get_firmware("acpi"), "crb", 64 << 20), "")
    with pytest.raises(RuntimeError, match="model bug at"):
        m.run(timeout=30)
