"""Traces for people and tools: the annotated text, QEMU's own trace lines, and pcap."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import guest, run_vmsim

from vmsim.devices.tpm_crb import CRB_REGISTERS

CYCLE = [  # one Linux tpm_crb command cycle, in order, as the text trace shows it
    r"W4 0x0008 LOC_CTRL +<- 0x00000001 +\[requestAccess\]",
    r"R4 0x0000 LOC_STATE +-> 0x00000083",
    r"W4 0x0040 CTRL_REQ +<- 0x00000001 +\[cmdReady\]",
    r"W4 0x0048 CTRL_CANCEL +<- 0x00000000",
    r"W\d 0x00[89a-f][0-9a-f] DATA_BUFFER",
    r"W4 0x004c CTRL_START +<- 0x00000001 +\[start\]",
    r"TPM command loc0 (\w+) size=\d+",
    r"TPM response rc=0x0 TPM_RC_SUCCESS",
    r"R4 0x004c CTRL_START +-> 0x00000000",
    r"R4 0x0044 CTRL_STS +-> 0x00000000",
    r"R\d 0x00[89a-f][0-9a-f] DATA_BUFFER",
    r"W4 0x0040 CTRL_REQ +<- 0x00000002 +\[goIdle\]",
    r"W4 0x0008 LOC_CTRL +<- 0x00000002 +\[relinquish\]",
]


def test_text_trace_shows_every_command_cycle_in_order(tmp_path):
    trace = tmp_path / "t.txt"
    assert run_vmsim("run", "crb-linux", "--trace", str(trace)).returncode == 0
    text = trace.read_text()
    names = {r.name for r in CRB_REGISTERS.registers} | {"DATA_BUFFER"}
    touched = set(re.findall(r"tpm-crb [RW]\d 0x[0-9a-f]{4} (\S+)", text))
    assert touched <= names  # every access is named; nothing reserved
    pos, commands = 0, []
    while True:
        start = pos
        for step in CYCLE:
            m = re.compile(step).search(text, pos)
            if m is None:
                break
            if m.groups():
                commands.append(m.group(1))
            pos = m.end()
        else:
            continue
        pos = start
        break
    assert commands == ["Startup", "GetRandom", "PCR_Reset", "PCR_Extend", "PCR_Read",
                        "GetCapability"]


def tshark_fields(pcap: Path) -> list[tuple[str, str]]:
    if shutil.which("tshark") is None:
        pytest.fail("tshark is missing: 'make deps' installs it (Debian package tshark)")
    out = subprocess.run(["tshark", "-r", str(pcap), "-Y", "tpm", "-T", "fields",
                          "-e", "tpm.req.cc", "-e", "tpm.resp.rc"],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]


def test_pcap_is_decoded_by_wiresharks_tpm_dissector(tmp_path):
    pcap = tmp_path / "x.pcap"
    p = run_vmsim("run", "crb-linux", "--pcap", str(pcap), "--inject",
                  "cc=PCR_Read,rc=TPM_RC_RETRY")
    assert p.returncode == 1  # the injected RETRY fails the guest's PCR_Read
    rows = tshark_fields(pcap)
    commands = [int(cc, 16) for cc, _ in rows if cc]
    responses = [int(rc, 16) for _, rc in rows if rc]
    assert commands == [0x144, 0x17B, 0x13D, 0x182, 0x17E]
    assert responses == [0, 0, 0, 0, 0x922]


@pytest.mark.qemu
def test_qemu_trace_format_matches_qemus_own_trace():
    """The guest's part of the trace, line for line, against `-trace 'tpm_crb*'`."""
    from qemu_peer import run_on_qemu

    with tempfile.TemporaryDirectory() as d:
        qemu_log = Path(d) / "qemu.txt"
        peer = run_on_qemu(guest("crb-linux"),
                           extra=["-trace", "tpm_crb_mmio*", "-D", str(qemu_log)])
        assert peer.guest_status == 0
        ours = Path(d) / "vmsim.txt"
        p = run_vmsim("run", "crb-linux", "--firmware", "seabios", "--profile", "qemu",
                      "--trace", str(ours), "--trace-format", "qemu")
        assert p.returncode == 0
        q, v = comparable_qemu(qemu_log), comparable_qemu(ours)
    # QEMU completes START asynchronously (extra 'val: 0x1' polls); drop those.
    guest_part = 100
    assert len(v) > guest_part
    assert v[-guest_part:] == q[-guest_part:]


def comparable_qemu(path: Path) -> list[str]:
    out: list[str] = []
    for line in path.read_text().splitlines():
        if not line.startswith("tpm_crb_mmio"):
            continue
        if "read 0x000000000000004c len:4 val: 0x1" in line:
            continue
        if not out or out[-1] != line:
            out.append(line)
    return out
