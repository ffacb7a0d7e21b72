"""Shared fixtures: built guests, a real swtpm started the way bhyve users start it,
and helpers to talk to that swtpm directly (to check results independently of vmsim)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUESTS = ROOT / "guests" / "build"
VMSIM = [sys.executable, "-m", "vmsim.cli"]


@pytest.fixture(scope="session", autouse=True)
def built_guests() -> Path:
    """Build the guests once if the Makefile has not (running pytest directly);
    VMSIM_SKIP_GUEST_BUILD=1 uses whatever is built."""
    if not os.environ.get("VMSIM_SKIP_GUEST_BUILD"):
        subprocess.run(["make", "-s", "-C", str(ROOT / "guests")], check=True)
    return GUESTS


def guest(name: str) -> str:
    return str(GUESTS / f"{name}.elf")


def run_vmsim(*args: str, timeout: float = 120, **kw) -> subprocess.CompletedProcess[str]:
    """Run the vmsim CLI as a user would; output captured as text."""
    return subprocess.run([*VMSIM, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, **kw)


def wait_pid_gone(pid: int, timeout: float = 10) -> bool:
    """Wait for a process that is not our child to exit, without polling sleeps."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


@dataclass
class Swtpm:
    dir: Path
    socket: str
    pid: int

    def kill(self, sig: int = signal.SIGTERM) -> None:
        os.kill(self.pid, sig)


def start_swtpm(state_uri: str, sock: str, extra: tuple[str, ...] = ()) -> int:
    """swtpm exactly as bhyve's users start it (reference: the origin review)."""
    d = os.path.dirname(sock)
    subprocess.run(
        ["swtpm", "socket", "--tpmstate", f"backend-uri={state_uri}", "--tpm2",
         "--server", f"type=unixio,path={sock}", "--log", f"file={d}/tpm.log",
         "--flags", "not-need-init", "--daemon", "--pid", f"file={d}/tpm.pid", *extra],
        check=True, timeout=30)
    return int(Path(d, "tpm.pid").read_text())


@pytest.fixture
def swtpm_server():
    """A running swtpm with a UNIX data socket; killed and reaped at teardown."""
    with tempfile.TemporaryDirectory(prefix="vmsim-test-") as d:
        sock = f"{d}/tpm.socket"
        pid = start_swtpm(f"file://{d}/tpm.state", sock)
        server = Swtpm(Path(d), sock, pid)
        try:
            yield server
        finally:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            else:
                wait_pid_gone(pid)


def raw_command(sock_path: str, command: bytes) -> bytes:
    """Send one TPM command straight to swtpm and return the response (no vmsim)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(sock_path)
        s.sendall(command)
        head = b""
        while len(head) < 10:
            chunk = s.recv(10 - len(head))
            assert chunk, "swtpm closed the connection"
            head += chunk
        size = int.from_bytes(head[2:6], "big")
        body = b""
        while len(body) < size - 10:
            chunk = s.recv(size - 10 - len(body))
            assert chunk, "swtpm closed the connection"
            body += chunk
        return head + body


def pcr_read_sha256(sock_path: str, pcr: int) -> bytes:
    """TPM2_PCR_Read(sha256, pcr) straight from swtpm."""
    select_bytes = bytearray(3)
    select_bytes[pcr // 8] |= 1 << (pcr % 8)
    cmd = (b"\x80\x01" + (20).to_bytes(4, "big") + (0x17E).to_bytes(4, "big") +
           (1).to_bytes(4, "big") + (0x000B).to_bytes(2, "big") + b"\x03" + bytes(select_bytes))
    rsp = raw_command(sock_path, cmd)
    assert int.from_bytes(rsp[6:10], "big") == 0, rsp.hex()
    # updateCounter(4) TPML_PCR_SELECTION(4+2+1+3) TPML_DIGEST count(4) size(2) digest
    off = 10 + 4 + 10 + 4
    size = int.from_bytes(rsp[off:off + 2], "big")
    return rsp[off + 2:off + 2 + size]


def manufacturer(sock_path: str) -> int:
    """TPM_PT_MANUFACTURER via GetCapability straight from swtpm."""
    cmd = (b"\x80\x01" + (22).to_bytes(4, "big") + (0x17A).to_bytes(4, "big") +
           (6).to_bytes(4, "big") + (0x105).to_bytes(4, "big") + (1).to_bytes(4, "big"))
    rsp = raw_command(sock_path, cmd)
    assert int.from_bytes(rsp[6:10], "big") == 0, rsp.hex()
    # moreData(1) capability(4) count(4) property(4) value(4)
    return int.from_bytes(rsp[10 + 1 + 4 + 4 + 4:10 + 1 + 4 + 4 + 4 + 4], "big")
