"""vmsim script: qtest-style scripts drive the CRB and FIFO models with no guest, against
a real swtpm, and print the same annotated trace as `vmsim run --trace`."""

from __future__ import annotations

import io
import re

import pytest
from conftest import ROOT

from vmsim.profiles import BHYVE_2024, SPEC
from vmsim.script import PROMPT, run_script
from vmsim.tpm.swtpm import SpawnedSwtpm

WALKTHROUGHS = ROOT / "docs" / "walkthroughs"
GET_RANDOM_8 = "80010000000c0000017b0008"
STARTUP_CLEAR = "80010000000c000001440000"


@pytest.fixture(scope="module")
def swtpm():
    """One swtpm for the module; run_script resets it (power_on) at every start."""
    tpm = SpawnedSwtpm()
    yield tpm
    tpm.close()


def run(text: str, swtpm=None, **kw) -> tuple[int, str]:
    out = io.StringIO()
    kw.setdefault("source", "t.vms")
    status = run_script(text.splitlines(keepends=True), out=out,
                        backend=swtpm.backend if swtpm is not None else None, **kw)
    return status, out.getvalue()


@pytest.mark.parametrize(("name", "interface", "registers"), [
    ("crb-command-cycle.vms", "crb",
     ("INTF_ID", "LOC_STATE", "LOC_CTRL", "LOC_STS", "CTRL_REQ", "CTRL_STS", "CTRL_START",
      "DATA_BUFFER")),
    ("fifo-command-cycle.vms", "tis",
     ("INTERFACE_ID", "INTF_CAPABILITY", "ACCESS", "STS", "DATA_FIFO")),
])
def test_walkthrough_runs_to_completion_with_a_spawned_swtpm(name, interface, registers,
                                                             capsys):
    path = WALKTHROUGHS / name
    out = io.StringIO()
    with path.open() as f:
        status = run_script(f, source=str(path), interface=interface, profile=SPEC, out=out)
    text = out.getvalue()
    assert status == 0, capsys.readouterr().err + text
    assert capsys.readouterr().err == ""
    for reg in registers:
        assert re.search(rf"^tpm-(crb|tis) [RW]\d 0x[0-9a-f]{{4}} {reg}\b", text, re.M), reg
    # The hand-made Startup and the GetRandom from `send` both succeeded.
    assert "TPM command loc0 Startup size=12" in text
    assert "TPM command loc0 GetRandom size=12" in text
    assert re.search(r"^response: 800100000014000000000008[0-9a-f]{16}  TPM_RC_SUCCESS$",
                     text, re.M)
    assert "expect-rc 0x0: ok" in text
    assert "WARNING" not in text  # a walkthrough shows the protocol done right


@pytest.mark.parametrize("interface", ["crb", "tis"])
def test_send_get_random_succeeds_and_prints_the_response(interface, swtpm, capsys):
    status, out = run(f"send {STARTUP_CLEAR}\nsend {GET_RANDOM_8}\nexpect-rc 0\n", swtpm,
                      interface=interface)
    assert status == 0, capsys.readouterr().err + out
    responses = re.findall(r"^response: ([0-9a-f]+)  (\S+)$", out, re.M)
    assert responses[0] == ("80010000000a00000000", "TPM_RC_SUCCESS")
    rsp, name = responses[1]
    assert name == "TPM_RC_SUCCESS"
    assert rsp.startswith("800100000014" + "00000000" + "0008") and len(rsp) == 40
    dev = "tpm-crb" if interface == "crb" else "tpm-tis"
    start = "CTRL_START" if interface == "crb" else "STS"
    assert re.search(rf"^{dev} W4 0x00(4c|18) {start} +<- 0x000000(01|20)", out, re.M)


def test_send_without_startup_returns_the_tpm_answer(swtpm):
    """The TPM is not started at power-on: GetRandom first is TPM_RC_INITIALIZE, a
    response like any other, so the script goes on; expect-rc checks it."""
    status, out = run(f"send {GET_RANDOM_8}\nexpect-rc TPM_RC_INITIALIZE\n", swtpm)
    assert status == 0
    assert "response: 80010000000a00000100  TPM_RC_INITIALIZE" in out


def test_failing_expect_names_file_and_line_and_stops(swtpm, capsys):
    script = "# first line is a comment\n\nexpect LOC_STATE 0x83\necho not reached\n"
    status, out = run(script, swtpm, source="fail.vms")
    err = capsys.readouterr().err
    assert status == 1
    assert err == "vmsim: script fail.vms:3: expect LOC_STATE: got 0x00000081, want 0x00000083\n"
    assert "tpm-crb R4 0x0000 LOC_STATE    -> 0x00000081" in out
    assert "not reached" not in out


def test_failing_masked_expect_and_expect_rc(swtpm, capsys):
    status, _ = run("expect loc1.LOC_STS & 0x1 == 0x1\n", swtpm, source="m.vms")
    assert status == 1
    assert capsys.readouterr().err == ("vmsim: script m.vms:1: expect loc1.LOC_STS: "
                                       "got 0x00000000, want 0x00000001\n")
    status, _ = run(f"send {GET_RANDOM_8}\nexpect-rc 0\n", swtpm, source="rc.vms")
    assert status == 1
    assert capsys.readouterr().err.startswith("vmsim: script rc.vms:2: expect-rc: got 0x100")


@pytest.mark.parametrize(("script", "line", "message"), [
    ("read32 LOC_STATE\nreed32 LOC_STATE\n", 2, "unknown command 'reed32'"),
    ("echo hi\n\nread32 LOC_STAT\n", 3, "unknown register 'LOC_STAT'"),
    ("write32 LOC_CTRL 0x1g\n", 1, "bad value '0x1g'"),
    ("expect CTRL_STS & zz == 0\n", 1, "bad mask 'zz'"),
    ("read32 0xfed50000\n", 1, "outside the TPM window"),
    ("write8 LOC_CTRL 0x100\n", 1, "does not fit in 8 bits"),
    ("send 80010000000c0000017b000\n", 1, "malformed hex"),
    ("send 8001xx\n", 1, "malformed hex"),
    ("locality 7\n", 1, "localities 0-4"),
])
def test_syntax_errors_exit_125_with_file_and_line_before_anything_runs(script, line,
                                                                         message, capsys):
    status, out = run(script, source="bad.vms")  # no backend: nothing may be spawned
    err = capsys.readouterr().err
    assert status == 125
    assert err.startswith(f"vmsim: script bad.vms:{line}: ")
    assert message in err and err.count("\n") == 1
    assert out == ""  # parsed whole first: not even line 1 ran


def test_unknown_register_lists_valid_names(capsys):
    status, _ = run("expect ACCES 0x81\n", interface="tis", source="x.vms")
    err = capsys.readouterr().err
    assert status == 125
    assert "did you mean ACCESS" in err and "valid names: ACCESS, INT_ENABLE" in err


def test_read64_is_two_32bit_accesses_low_then_high(swtpm):
    status, out = run("read64 0xfed40030\nread32 INTF_ID+4\n", swtpm)
    assert status == 0
    lines = [ln for ln in out.splitlines() if ln.startswith("tpm-crb")]
    assert lines[0].startswith("tpm-crb R4 0x0030 INTF_ID      -> 0x00025911  [InterfaceType")
    assert lines[1] == "tpm-crb R4 0x0034 INTF_ID      -> 0x00001014"
    assert lines[2] == lines[1]
    assert "INTF_ID = 0x0000101400025911" in out


def test_locality_command_and_prefix_address_other_windows(swtpm):
    script = (f"send {STARTUP_CLEAR}\nwrite32 loc0.LOC_CTRL 2\n"
              "locality 2\nwrite32 LOC_CTRL 1\nexpect LOC_STATE & 0x1e == 0xa\n"
              "expect loc0.LOC_STS 0\nexpect LOC_STS 1\n"
              f"send {GET_RANDOM_8}\nexpect-rc 0\n")
    status, out = run(script, swtpm)
    assert status == 0, out
    assert "tpm-crb W4 0x0008 LOC_CTRL     <- 0x00000002  [relinquish]" in out
    assert "tpm-crb W4 0x2008 LOC_CTRL" in out
    assert "TPM command loc2 GetRandom" in out


def test_device_fault_under_a_strict_profile_exits_120(swtpm, capsys):
    status, _ = run("write32 INT_ENABLE 0x80000000\necho not reached\n", swtpm,
                    profile=BHYVE_2024, source="b.vms")
    err = capsys.readouterr().err
    assert status == 120
    assert err.startswith("vmsim: script b.vms:1: tpm-crb: 4-byte write of INT_ENABLE")


def test_interactive_reports_failures_and_goes_on(swtpm, capsys):
    lines = ["expect LOC_STATE 0x0\n", "bogus\n", "echo still here\n"]
    out = io.StringIO()
    status = run_script(iter(lines), source="<stdin>", backend=swtpm.backend, out=out,
                        interactive=True)
    err = capsys.readouterr().err
    assert status == 1  # the first problem's status
    assert "vmsim: script <stdin>:1: expect LOC_STATE" in err
    assert "vmsim: script <stdin>:2: unknown command 'bogus'" in err
    text = out.getvalue()
    assert text.startswith(PROMPT) and text.count(PROMPT) == 4  # one per read, EOF too
    assert "still here" in text


def test_script_without_prompt_when_not_interactive(swtpm):
    status, out = run("echo hello\n", swtpm)
    assert (status, out) == (0, "hello\n")


def test_cli_runs_the_walkthroughs_and_names_a_failing_line(tmp_path):
    from conftest import run_vmsim

    for name, intf in (("crb-command-cycle.vms", "crb"), ("fifo-command-cycle.vms", "tis")):
        p = run_vmsim("script", f"docs/walkthroughs/{name}", "-o", f"tpm.intf={intf}")
        assert p.returncode == 0, p.stderr
    bad = tmp_path / "bad.vms"
    bad.write_text("read32 0xfed40000\nexpect LOC_STATE 0x83\n")
    p = run_vmsim("script", str(bad))
    assert p.returncode == 1
    assert p.stderr.strip() == (f"vmsim: script {bad}:2: expect LOC_STATE: got 0x00000081, "
                                "want 0x00000083")
