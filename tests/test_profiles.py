"""Peer profiles reproduce what real hypervisors do to the same guest binary."""

from __future__ import annotations

import json

from conftest import run_vmsim

from vmsim.profiles import PROFILES


def test_bhyve_2024_sends_cmd_size_and_swtpm_answers_command_size(tmp_path):
    trace = tmp_path / "t.txt"
    p = run_vmsim("run", "crb-linux", "--profile", "bhyve-2024", "--trace", str(trace))
    assert "crb-linux: FAIL startup rc=0x142 TPM_RC_COMMAND_SIZE" in p.stdout
    assert p.returncode == 1  # the guest's own verdict: a TPM command failed
    text = trace.read_text()
    # The whole 0xF80-byte buffer went to swtpm, and swtpm (not vmsim) said 0x142.
    assert "TPM command loc0 Startup size=12" in text
    assert "length = CMD_SIZE register (3968)" in text
    assert "TPM response rc=0x142 TPM_RC_COMMAND_SIZE" in text


def test_fixed_bhyve_passes_the_same_guest():
    p = run_vmsim("run", "crb-linux", "--profile", "bhyve")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "crb-linux: PASS" in p.stdout


def test_profile_by_bhyve_config_option():
    p = run_vmsim("run", "crb-linux", "-o", "tpm.profile=bhyve-2024")
    assert "rc=0x142" in p.stdout


def test_cloud_hypervisor_counts_written_bytes_and_still_works():
    p = run_vmsim("run", "crb-linux", "--profile", "cloud-hypervisor")
    assert p.returncode == 0, p.stdout
    assert "crb-linux: reg LOC_STATE 0x00000082" in p.stdout  # raw swtpm flag: 0


def test_linux_sequence_is_clean_under_strict_spec(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "crb-linux", "--profile", "spec", "--unknown-access", "strict",
                  "--report-json", str(report))
    assert p.returncode == 0  # nothing unexpected in Linux's sequence
    assert json.loads(report.read_text())["protocol_warnings"] == []


def test_profiles_command_lists_every_profile_and_shows_a_table():
    p = run_vmsim("profiles")
    assert p.returncode == 0
    names = [line.split()[0] for line in p.stdout.splitlines()]
    assert names == list(PROFILES)
    t = run_vmsim("profiles", "bhyve-2024")
    assert "command_length           cmd_size_register" in t.stdout
    assert "unhandled_write          stop" in t.stdout
    assert "window_end_off_by_one    True" in t.stdout


def test_netbsd_tis_probe_on_bhyve_2024_crb_stops_with_a_precise_report(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "tis-netbsd", "--profile", "bhyve-2024", "--report-json", str(report))
    assert p.returncode == 120, p.stdout + p.stderr
    fault = json.loads(report.read_text())["fault"]
    assert (fault["register"], fault["offset"], fault["width"], fault["direction"],
            fault["value"]) == ("LOC_STATE", 0x00, 1, "write", 0x02)
    assert fault["instruction"].startswith("mov byte ptr")  # the exact guest store
    assert "bhyve-2024" in fault["rule"]
    assert fault["recent_accesses"][-1]["register"] == "LOC_STATE"
    assert "register:    LOC_STATE at offset 0x000, 1-byte write, value 0x2" in p.stderr
    assert f"guest RIP:   {fault['rip']:#010x}  mov byte ptr" in p.stderr


def test_netbsd_tis_probe_on_spec_crb_finds_no_tis_and_runs_to_its_end(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "tis-netbsd", "--profile", "spec", "--report-json", str(report))
    assert p.returncode == 2, p.stdout + p.stderr  # guest: no TIS TPM attached
    assert "tis-netbsd: no TIS TPM attached" in p.stdout
    rep = json.loads(report.read_text())
    assert rep["stop"] == "guest-exit" and "fault" not in rep
    warned = {(w["register"], w["kind"]) for w in rep["protocol_warnings"]}
    assert ("reserved", "read of reserved space") in warned  # INTF_CAPABILITY at 0x14
    assert ("LOC_STATE", "write to a read-only register") in warned
