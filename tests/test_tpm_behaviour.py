"""A TPM that behaves like one: platform resets, latency, cancel, injected faults, loss."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, VMSIM, run_vmsim, start_swtpm, wait_pid_gone


def report_of(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    rep = tmp_path / "r.json"
    p = run_vmsim("run", *args, "--report-json", str(rep))
    return p, json.loads(rep.read_text())


@pytest.fixture
def swtpm_with_ctrl():
    """bhyve-style swtpm plus a control socket, as QEMU users run it."""
    with tempfile.TemporaryDirectory(prefix="vmsim-test-") as d:
        sock, ctrl = f"{d}/tpm.socket", f"{d}/ctrl.socket"
        pid = start_swtpm(f"file://{d}/tpm.state", sock,
                          ("--ctrl", f"type=unixio,path={ctrl}"))
        yield sock, ctrl
        os.kill(pid, signal.SIGTERM)
        wait_pid_gone(pid)


def test_machine_start_is_a_platform_reset_when_swtpm_has_a_control_channel(swtpm_with_ctrl):
    sock, ctrl = swtpm_with_ctrl
    for _ in range(2):  # without INIT the second Startup would answer TPM_RC_INITIALIZE
        p = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{sock}", "-o", f"tpm.ctrl={ctrl}")
        assert p.returncode == 0, p.stderr
        assert "crb-linux: result startup rc=0x000 TPM_RC_SUCCESS" in p.stdout


def test_latency_holds_start_for_exactly_n_polls(tmp_path):
    trace = tmp_path / "t.jsonl"
    p = run_vmsim("run", "crb-linux", "-o", "tpm.latency=4", "--trace", str(trace),
                  "--trace-format", "jsonl")
    assert p.returncode == 0, p.stdout
    reads = [json.loads(line) for line in trace.read_text().splitlines()]
    reads = [r for r in reads if r["type"] == "mmio" and r["register"] == "CTRL_START"]
    first = [r["value"] for r in reads[1:6]]  # after the first START write
    assert first == [1, 1, 1, 1, 0]


def test_injected_response_code_reaches_the_guest_and_the_report(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "--inject", "cc=GetRandom,rc=TPM_RC_RETRY")
    assert p.returncode == 1
    assert "crb-linux: FAIL random rc=0x922 TPM_RC_RETRY" in p.stdout
    assert rep["injections"] == [{"command_index": 2, "command_code": 0x17B,
                                  "rule": "cc=GetRandom,rc=TPM_RC_RETRY", "action": "rc"}]


def test_command_that_never_completes_is_cancelled_by_the_guest(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "--inject", "nth=2,hang")
    assert "rc=0x909" in p.stdout or "TPM_RC_CANCELED" in p.stdout, p.stdout
    assert rep["injections"][0]["action"] == "hang"
    assert any(e["kind"] == "cancel" for e in rep["backend_events"])


def test_injected_tpm_sts_sets_the_fatal_bit(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "--inject", "nth=1,tpm-sts")
    assert p.returncode == 3  # the guest's driver error: CTRL_STS.tpmSts set
    assert "tpmSts" in p.stdout or "CTRL_STS" in p.stdout, p.stdout
    assert rep["injections"][0]["action"] == "tpm-sts"


def test_dropped_connection_with_stop_policy_is_a_backend_lost_report(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "--inject", "nth=3,drop")
    assert p.returncode == 124
    assert rep["stop"] == "backend-lost"
    assert rep["fault"]["command"].startswith("PCR_Reset")


def test_fail_policy_answers_failure_and_the_machine_runs_on(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "--inject", "nth=3,drop",
                       "-o", "tpm.on-loss=fail")
    assert rep["stop"] == "guest-exit"  # the guest decided, not vmsim
    assert p.returncode in (1, 3)
    assert "0x101" in p.stdout or "tpmSts" in p.stdout or "CTRL_STS" in p.stdout, p.stdout
    assert any(e["kind"] == "backend lost" for e in rep["backend_events"])


def test_reconnect_policy_fails_only_the_dropped_command(tmp_path):
    p, rep = report_of(tmp_path, "crb-script", "--append", "ops=startup,random,random,random",
                       "--inject", "nth=3,drop", "-o", "tpm.on-loss=reconnect")
    assert p.returncode == 0, p.stdout
    rcs = [line.split()[2] for line in p.stdout.splitlines()
           if line.startswith("crb-script: random ")]
    assert rcs == ["rc=0x000", "rc=0x101", "rc=0x000"]
    kinds = [e["kind"] for e in rep["backend_events"]]
    assert kinds == ["backend lost", "reconnected"], rep["backend_events"]


@pytest.mark.parametrize("rule,needle", [
    ("nth=2", "exactly one action"),
    ("nth=2,hang,drop", "exactly one action"),
    ("hang", "one selector"),
    ("cc=Frobnicate,hang", "unknown command code 'Frobnicate'"),
    ("nth=x,hang", "take numbers"),
    ("nth=1,rc=TPM_RC_NOPE", "unknown response code"),
    ("nth=1,colour=red,hang", "unknown key 'colour'"),
])
def test_bad_injection_rules_are_one_line_errors(rule, needle):
    p = run_vmsim("run", "crb-linux", "--inject", rule)
    assert p.returncode == 125
    assert p.stderr.count("\n") == 1 and needle in p.stderr, p.stderr


def test_bad_loss_policy_is_a_one_line_error():
    p = run_vmsim("run", "crb-linux", "-o", "tpm.on-loss=pray")
    assert p.returncode == 125 and "stop, fail, reconnect" in p.stderr


def test_rules_from_a_file(tmp_path):
    f = tmp_path / "rules"
    f.write_text("# retry storm\ncc=GetRandom,rc=0x922\n")
    p = run_vmsim("run", "crb-linux", "--inject", f"@{f}")
    assert "FAIL random rc=0x922" in p.stdout


def run_until_first_response(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*VMSIM, "run", *args, "--trace", "-"], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "TPM response" in line:
            return proc
    raise AssertionError(f"no TPM response; exit {proc.wait()}")


def finish(proc: subprocess.Popen[str]) -> str:
    out, _ = proc.communicate(timeout=120)  # drains the trace too
    return out


LOOP = "ops=startup,loop:20000"


def test_spawned_swtpm_killed_under_reconnect_comes_back():
    proc = run_until_first_response("crb-script", "--append", LOOP,
                                    "-o", "tpm.on-loss=reconnect")
    kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    os.kill(int(kids[0]), signal.SIGKILL)
    out = finish(proc)
    assert proc.returncode == 0, out
    assert "ok=19999 failed=1" in out  # the guest saw exactly the one failed command


def test_attached_swtpm_restarted_by_hand_under_reconnect(tmp_path):
    sock = str(tmp_path / "tpm.socket")
    state = f"file://{tmp_path}/tpm.state"
    pid = start_swtpm(state, sock)
    proc = run_until_first_response("crb-script", "--append", LOOP, "-l",
                                    f"tpm,swtpm,{sock}", "-o", "tpm.on-loss=reconnect")
    os.kill(pid, signal.SIGKILL)
    assert wait_pid_gone(pid)
    pid = start_swtpm(state, sock)  # same socket, same state, as an operator would
    try:
        out = finish(proc)
    finally:
        os.kill(pid, signal.SIGTERM)
    assert proc.returncode == 0, out
    assert "ok=19999 failed=1" in out


def test_attached_swtpm_killed_under_fail_lets_the_guest_go_on(swtpm_server, tmp_path):
    rep_path = tmp_path / "r.json"
    proc = run_until_first_response("crb-script", "--append", LOOP, "-l",
                                    f"tpm,swtpm,{swtpm_server.socket}", "-o",
                                    "tpm.on-loss=fail", "--report-json", str(rep_path))
    swtpm_server.kill(signal.SIGKILL)
    out = finish(proc)
    rep = json.loads(rep_path.read_text())
    assert rep["stop"] == "guest-exit"  # the machine ran on to the guest's own end
    assert "crb-script: done" in out
    assert "failed=0" not in out


def test_nv_index_survives_across_runs_with_a_state_directory(tmp_path):
    state = f"tpm.state={tmp_path / 'state'}"
    first = run_vmsim("run", "crb-script", "--append", "ops=startup,nv-define,nv-write",
                      "-o", state)
    assert first.returncode == 0, first.stdout
    assert "nv-write rc=0x000" in first.stdout
    second = run_vmsim("run", "crb-script", "--append", "ops=startup,nv-read", "-o", state)
    assert f"data={b'vmsim-nv-test-01'.hex()}" in second.stdout, second.stdout


def pcr16(stdout: str) -> str:
    return next(line.split("sha256=")[1] for line in stdout.splitlines()
                if "pcr-read rc=0x000" in line)


def test_a_machine_start_resets_pcrs_unlike_bhyve(swtpm_with_ctrl, swtpm_server):
    sock, ctrl = swtpm_with_ctrl
    with_ctrl = ["-l", f"tpm,swtpm,{sock}", "-o", f"tpm.ctrl={ctrl}"]
    run_vmsim("run", "crb-script", "--append", "ops=startup,pcr-extend,pcr-read", *with_ctrl)
    again = run_vmsim("run", "crb-script", "--append", "ops=startup,pcr-read", *with_ctrl)
    assert pcr16(again.stdout) == "00" * 32  # INIT + Startup(CLEAR): a platform reset
    # bhyve has no control channel: a guest "reboot" never resets the TPM.
    bhyve = ["-l", f"tpm,swtpm,{swtpm_server.socket}"]
    run_vmsim("run", "crb-script", "--append", "ops=startup,pcr-extend", *bhyve)
    kept = run_vmsim("run", "crb-script", "--append", "ops=startup,pcr-read", *bhyve)
    assert "startup rc=0x100" in kept.stdout
    assert pcr16(kept.stdout) != "00" * 32


def test_set_locality_reaches_swtpm_pcr20_resets_only_from_locality_2():
    p = run_vmsim("run", "crb-script", "--append",
                  "ops=startup,pcr-reset:20,locality:2,pcr-reset:20")
    assert p.returncode == 0, p.stdout
    lines = [ln for ln in p.stdout.splitlines() if "pcr-reset:20" in ln]
    assert lines[0].endswith("rc=0x907 TPM_RC_LOCALITY")  # locality 0
    assert lines[1].endswith("rc=0x000 TPM_RC_SUCCESS")  # locality 2, via SET_LOCALITY


def test_large_latency_still_succeeds_and_the_polls_are_counted(tmp_path):
    p, rep = report_of(tmp_path, "crb-linux", "-o", "tpm.latency=1000")
    assert p.returncode == 0, p.stdout
    # Every command is held for 1000 polls, plus the poll that sees it complete.
    assert rep["counts"]["completion_polls"] == rep["counts"]["tpm_commands"] * 1001
