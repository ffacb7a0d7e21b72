"""swtpm dying, hanging, or the user pressing Ctrl-C mid-run: a report, nothing left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from conftest import ROOT, VMSIM, wait_pid_gone

from vmsim.stop import EXIT_BACKEND_LOST, EXIT_INTERRUPTED, EXIT_TIME_LIMIT

LONG_RUN = ["run", "bench-getrandom", "--append", "n=100000000", "--trace", "-"]


def start_until_first_command(*extra: str) -> subprocess.Popen[str]:
    """Start a long guest run and return once the trace shows a TPM command completed."""
    p = subprocess.Popen([*VMSIM, *LONG_RUN, *extra], cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stderr is not None
    for line in p.stderr:
        if "TPM response" in line:
            return p
    p.kill()
    raise AssertionError(f"no TPM command seen; exit {p.wait()}")


def finish(p: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    """Drain the trace (so vmsim never blocks on the pipe) and return (status, report)."""
    _, err = p.communicate(timeout=timeout)
    report = "\n".join(line for line in err.splitlines() if not line.startswith(("0x", "tpm-crb")))
    return p.returncode, report


def spawned_swtpm_of(pid: int) -> tuple[int, Path]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if cmd and cmd[0].endswith(b"swtpm"):
            state = next(a for a in cmd if a.startswith(b"dir=")).decode()[4:]
            return int(child), Path(state).parent
    raise AssertionError("vmsim has no swtpm child")


def test_attached_swtpm_killed_mid_run_stops_with_report(swtpm_server):
    p = start_until_first_command("-l", f"tpm,swtpm,{swtpm_server.socket}", "--timeout", "60")
    t0 = time.monotonic()
    swtpm_server.kill(signal.SIGKILL)
    status, report = finish(p)
    assert status == EXIT_BACKEND_LOST, report
    assert time.monotonic() - t0 < 30
    assert "machine stopped (backend-lost" in report
    assert re.search(r"guest RIP: +0x[0-9a-f]{8} ", report)
    assert "Traceback" not in report


def test_spawned_swtpm_killed_mid_run_leaves_nothing_behind():
    p = start_until_first_command()
    child, runtime_dir = spawned_swtpm_of(p.pid)
    assert runtime_dir.is_dir()
    os.kill(child, signal.SIGKILL)
    status, report = finish(p)
    assert status == EXIT_BACKEND_LOST, report
    assert not runtime_dir.exists()


def test_ctrl_c_stops_the_run_and_cleans_up():
    p = start_until_first_command()
    child, runtime_dir = spawned_swtpm_of(p.pid)
    p.send_signal(signal.SIGINT)
    status, report = finish(p)
    assert status == EXIT_INTERRUPTED, report
    assert "machine stopped (interrupted" in report
    assert wait_pid_gone(child, timeout=10)
    assert not runtime_dir.exists()


def test_sigterm_behaves_like_ctrl_c():
    p = start_until_first_command()
    child, runtime_dir = spawned_swtpm_of(p.pid)
    p.send_signal(signal.SIGTERM)
    status, _ = finish(p)
    assert status == EXIT_INTERRUPTED
    assert wait_pid_gone(child, timeout=10)
    assert not runtime_dir.exists()


def test_hung_swtpm_ends_in_the_time_limit(swtpm_server):
    p = start_until_first_command("-l", f"tpm,swtpm,{swtpm_server.socket}", "--timeout", "4")
    swtpm_server.kill(signal.SIGSTOP)
    try:
        status, report = finish(p, timeout=30)
    finally:
        swtpm_server.kill(signal.SIGCONT)
    assert status == EXIT_TIME_LIMIT, report
    assert "machine stopped (time-limit" in report
