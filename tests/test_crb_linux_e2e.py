"""crb-linux (Linux tpm_crb's access sequence) against a real swtpm, checked from outside."""

from __future__ import annotations

import hashlib
import json
import re

from conftest import guest, manufacturer, pcr_read_sha256, run_vmsim

DIGEST = hashlib.sha256(b"vmsim").digest()
EXPECTED_PCR16 = hashlib.sha256(b"\0" * 32 + DIGEST).digest()


def results(stdout: str) -> dict[str, str]:
    """The guest's 'crb-linux: result NAME REST' lines, by NAME."""
    out = {}
    for m in re.finditer(r"^crb-linux: result (\S+) (.*)$", stdout, re.M):
        out[m.group(1)] = m.group(2)
    return out


def test_crb_linux_results_match_swtpm_read_independently(swtpm_server, tmp_path):
    report = tmp_path / "report.json"
    p = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{swtpm_server.socket}",
                  "--report-json", str(report))
    assert p.returncode == 0, p.stdout + p.stderr
    r = results(p.stdout)
    assert r["pcr-extend"] == f"16 sha256={DIGEST.hex()}"
    # The PCR value the guest printed is SHA-256(32 zero bytes || digest) ...
    assert r["pcr-read"] == f"16 sha256={EXPECTED_PCR16.hex()}"
    # ... and the TPM itself, asked directly over its socket, agrees.
    assert pcr_read_sha256(swtpm_server.socket, 16) == EXPECTED_PCR16
    mfr = manufacturer(swtpm_server.socket)
    assert r["manufacturer"].startswith(f"{mfr:#010x}")
    assert mfr.to_bytes(4, "big").startswith(b"IBM")  # swtpm is an IBM TPM
    assert "crb-linux: PASS" in p.stdout
    rep = json.loads(report.read_text())
    assert rep["stop"] == "guest-exit" and rep["exit_status"] == 0
    assert rep["counts"]["tpm_commands"] == 6
    assert rep["counts"]["mmio_accesses"] > 50
    assert rep["profile"] == "spec" and rep["interface"] == "crb"


def test_two_runs_give_different_random_bytes():
    a = run_vmsim("run", "crb-linux")
    b = run_vmsim("run", "crb-linux")
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    ra, rb = results(a.stdout)["random"], results(b.stdout)["random"]
    assert re.fullmatch(r"16 [0-9a-f]{32}", ra)
    assert ra != rb


def test_startup_is_accepted_when_the_tpm_is_already_started(swtpm_server):
    first = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{swtpm_server.socket}")
    second = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{swtpm_server.socket}")
    assert results(first.stdout)["startup"].startswith("rc=0x000")
    assert results(second.stdout)["startup"].startswith("rc=0x100 TPM_RC_INITIALIZE")
    assert second.returncode == 0


def test_bhyve_config_options_attach_like_dash_l(swtpm_server):
    p = run_vmsim("run", "crb-linux", "-o", "tpm.type=swtpm", "-o",
                  f"tpm.path={swtpm_server.socket}", "-o", "tpm.version=2.0",
                  "-o", "tpm.intf=crb")
    assert p.returncode == 0, p.stderr
    assert pcr_read_sha256(swtpm_server.socket, 16) == EXPECTED_PCR16


def test_trace_names_every_crb_register_access(tmp_path):
    trace = tmp_path / "trace.txt"
    p = run_vmsim("run", "crb-linux", "--trace", str(trace))
    assert p.returncode == 0
    text = trace.read_text()
    assert re.search(r"tpm-crb W4 0x0008 LOC_CTRL +<- 0x00000001 +\[requestAccess\]", text)
    assert re.search(r"tpm-crb R4 0x0000 LOC_STATE +-> 0x00000083", text)
    assert "TPM command loc0 Startup size=12" in text
    assert "TPM response rc=0x0 TPM_RC_SUCCESS size=10" in text


def test_state_directory_is_kept_across_runs(tmp_path):
    state = tmp_path / "state"
    p = run_vmsim("run", "crb-linux", "-o", f"tpm.state={state}")
    assert p.returncode == 0, p.stderr
    permall = state / "tpm2-00.permall"
    assert permall.is_file() and permall.stat().st_size > 0
    p2 = run_vmsim("run", "crb-linux", "-o", f"tpm.state={state}")
    assert p2.returncode == 0, p2.stderr


def test_elf64_guest_runs_in_long_mode():
    p = run_vmsim("run", guest("hello64"))
    assert p.returncode == 0, p.stderr
    assert "hello64: long mode ok" in p.stdout
