"""tpm2-tools, the real client, driving vmsim's device models through the cmd TCTI."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest
from conftest import ROOT, start_swtpm, wait_pid_gone


@pytest.fixture
def started_swtpm():
    """bhyve-style swtpm that has had its Startup (tpm2-tools do not send one)."""
    with tempfile.TemporaryDirectory(prefix="vmsim-test-") as d:
        sock = f"{d}/tpm.socket"
        pid = start_swtpm(f"file://{d}/tpm.state", sock, ("--flags", "startup-clear"))
        yield sock
        os.kill(pid, signal.SIGTERM)
        wait_pid_gone(pid)


def tool(name: str, sock: str, trace: str, *args: str, intf: str = "crb") -> str:
    if shutil.which(name) is None:
        pytest.fail(f"{name} is missing: 'make deps' installs tpm2-tools")
    tcti = (f"cmd:{sys.executable} -m vmsim.cli tcti -l tpm,swtpm,{sock} "
            f"-o tpm.intf={intf} --trace {trace}")
    p = subprocess.run([name, "-T", tcti, *args], capture_output=True, text=True,
                       timeout=60, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("intf", ["crb", "tis"])
def test_tpm2_getrandom_through_the_device_model(started_swtpm, tmp_path, intf):
    trace = tmp_path / "t.txt"
    out = tool("tpm2_getrandom", started_swtpm, str(trace), "8", "--hex", intf=intf)
    assert len(out.strip()) == 16 and int(out, 16) >= 0
    text = trace.read_text()
    assert "TPM command loc0 GetRandom size=12" in text
    register = "CTRL_START" if intf == "crb" else "DATA_FIFO"
    assert register in text  # it went through the registers, not around them


def test_tpm2_pcrread_sees_the_pcr_bank(started_swtpm, tmp_path):
    out = tool("tpm2_pcrread", started_swtpm, str(tmp_path / "t.txt"), "sha256:16")
    assert "16:0x" + "0" * 64 in out.replace(" ", "")
