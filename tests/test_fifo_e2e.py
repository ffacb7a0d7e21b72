"""FIFO/TIS guests and firmware profiles end to end, against a real swtpm."""

from __future__ import annotations

import re

from conftest import run_vmsim


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
