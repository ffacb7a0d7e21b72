"""The same crb-linux.elf on vmsim and on QEMU 7.2 (tpm-crb + swtpm) prints the same results."""

from __future__ import annotations

import pytest
from conftest import guest, run_vmsim
from qemu_peer import run_on_qemu

pytestmark = pytest.mark.qemu

# Lines that legitimately differ: fresh random bytes, and Startup, which SeaBIOS has
# already sent on QEMU (TPM_RC_INITIALIZE there, success on vmsim's fresh swtpm).
DIFFERENT = ("crb-linux: result random ", "crb-linux: result startup ")


def comparable(console: str) -> list[str]:
    return [line for line in console.splitlines()
            if line.startswith("crb-linux:") and not line.startswith(DIFFERENT)]


@pytest.fixture(scope="module")
def qemu_crb_linux():
    peer = run_on_qemu(guest("crb-linux"))
    assert peer.guest_status == 0, peer.console
    assert "crb-linux: result startup rc=0x100 TPM_RC_INITIALIZE" in peer.console
    return peer


@pytest.mark.parametrize("profile", ["spec", "qemu"])
def test_crb_linux_prints_the_same_on_vmsim_and_qemu(qemu_crb_linux, profile):
    """Results and every register value the guest reads after its locality request."""
    ours = run_vmsim("run", "crb-linux", "--profile", profile)
    assert ours.returncode == 0, ours.stderr
    assert comparable(ours.stdout) == comparable(qemu_crb_linux.console)
    assert "crb-linux: PASS" in comparable(ours.stdout)
    assert any(line.startswith("crb-linux: reg ") for line in comparable(ours.stdout))


def tis_comparable(console: str) -> list[str]:
    return [line for line in console.splitlines() if line.startswith("tis-netbsd:")
            and not line.startswith(("tis-netbsd: result random ",
                                     "tis-netbsd: TPM not started by firmware"))]


def test_tis_netbsd_prints_the_same_on_vmsim_and_qemu_tpm_tis():
    peer = run_on_qemu(guest("tis-netbsd"), device="tpm-tis")
    assert peer.guest_status == 0, peer.console
    ours = run_vmsim("run", "tis-netbsd", "-o", "tpm.intf=tis", "--profile", "qemu")
    assert ours.returncode == 0, ours.stderr
    assert tis_comparable(ours.stdout) == tis_comparable(peer.console)
    assert "tis-netbsd: PASS" in tis_comparable(ours.stdout)


def guest_lines(console: str, name: str, skip: tuple[str, ...] = ()) -> list[str]:
    return [line for line in console.splitlines()
            if line.startswith(f"{name}:") and not line.startswith(skip)]


@pytest.mark.parametrize("name", ["tis-linux", "tis-netbsd"])
def test_tis_guests_read_the_same_registers_as_on_qemu_after_seabios(name):
    """Same starting state (SeaBIOS's probe and Startup), same register values."""
    peer = run_on_qemu(guest(name), device="tpm-tis")
    assert peer.guest_status == 0, peer.console
    ours = run_vmsim("run", name, "-o", "tpm.intf=tis", "--firmware", "seabios",
                     "--profile", "qemu")
    assert ours.returncode == 0, ours.stdout + ours.stderr
    skip = (f"{name}: result random ",)
    assert guest_lines(ours.stdout, name, skip) == guest_lines(peer.console, name, skip)
    assert any(" reg " in line or "device 0x" in line
               for line in guest_lines(ours.stdout, name))
    assert "seabios-stage: done: TIS" in ours.stderr


def test_crb_linux_after_seabios_is_identical_to_qemu_startup_included(qemu_crb_linux):
    ours = run_vmsim("run", "crb-linux", "--firmware", "seabios", "--profile", "qemu")
    assert ours.returncode == 0, ours.stderr
    skip = ("crb-linux: result random ",)
    assert guest_lines(ours.stdout, "crb-linux", skip) == \
        guest_lines(qemu_crb_linux.console, "crb-linux", skip)
    assert "crb-linux: result startup rc=0x100 TPM_RC_INITIALIZE" in ours.stdout
