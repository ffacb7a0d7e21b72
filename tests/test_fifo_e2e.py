"""FIFO/TIS guests and firmware profiles end to end, against a real swtpm."""

from __future__ import annotations

import json
import re

from conftest import manufacturer, pcr_read_sha256, run_vmsim
from test_crb_linux_e2e import EXPECTED_PCR16


def test_tis_netbsd_attaches_to_the_fifo_and_gets_64_random_bytes():
    p = run_vmsim("run", "tis-netbsd", "-o", "tpm.intf=tis")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "tis-netbsd: device 0x00011014 rev 0x1" in p.stdout
    m = re.search(r"^tis-netbsd: result random 64 ([0-9a-f]+)$", p.stdout, re.M)
    assert m and len(m.group(1)) == 128
    assert "tis-netbsd: PASS" in p.stdout


def test_crb_guest_without_a_tpm2_table_reports_it():
    p = run_vmsim("run", "crb-linux", "--firmware", "no-tpm2")
    assert p.returncode == 2
    assert "crb-linux: no TPM2 table" in p.stdout


def test_tpm2_table_follows_the_interface():
    p = run_vmsim("run", "crb-linux", "-o", "tpm.intf=tis")
    assert p.returncode == 2
    assert "crb-linux: TPM2 start method 6 is not CRB" in p.stdout


def test_crb_only_peer_refuses_the_fifo_interface():
    p = run_vmsim("run", "tis-netbsd", "-o", "tpm.intf=tis", "--profile", "bhyve")
    assert p.returncode == 125
    assert p.stderr.strip() == ("vmsim: error: profile bhyve has no tis interface (the peer "
                                "offers crb); pick another profile or -o tpm.intf")


def test_firmware_command_lists_the_profiles():
    p = run_vmsim("firmware")
    names = {line.split()[0] for line in p.stdout.splitlines()}
    assert {"acpi", "no-tpm2"} <= names


def test_tis_linux_results_match_swtpm_read_independently(swtpm_server):
    p = run_vmsim("run", "tis-linux", "-o", "tpm.intf=tis", "-l",
                  f"tpm,swtpm,{swtpm_server.socket}")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"tis-linux: result pcr-read 16 sha256={EXPECTED_PCR16.hex()}" in p.stdout
    assert pcr_read_sha256(swtpm_server.socket, 16) == EXPECTED_PCR16
    mfr = manufacturer(swtpm_server.socket)
    assert f"tis-linux: result manufacturer {mfr:#010x}" in p.stdout


def test_seabios_firmware_starts_the_tpm_before_the_guest():
    p = run_vmsim("run", "crb-linux", "--firmware", "seabios")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "crb-linux: result startup rc=0x100 TPM_RC_INITIALIZE" in p.stdout
    assert "seabios-stage: done: CRB" in p.stderr  # the stage's console goes to stderr
    assert "seabios-stage" not in p.stdout


def test_seabios_intf_id_writes_kill_a_bhyve_vm(tmp_path):
    report = tmp_path / "r.json"
    p = run_vmsim("run", "crb-linux", "--firmware", "seabios", "--profile", "bhyve",
                  "--report-json", str(report))
    assert p.returncode == 120, p.stdout + p.stderr
    fault = json.loads(report.read_text())["fault"]
    assert (fault["register"], fault["offset"], fault["width"], fault["direction"],
            fault["value"]) == ("INTF_ID", 0x30, 4, "write", 0x00020000)
    assert "crb-linux" not in p.stdout  # the VM died in firmware, before the guest
