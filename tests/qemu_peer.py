"""Running a guest binary on the peer, QEMU 7.2 with tpm-crb/tpm-tis and swtpm.

The command is the one in DESIGN.md; QEMU's isa-debug-exit turns a guest value v into
exit status (v << 1) | 1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class PeerRun:
    guest_status: int | None
    console: str


def run_on_qemu(elf: str, device: str = "tpm-crb", append: str = "",
                timeout: float = 120, extra: list[str] | None = None) -> PeerRun:
    if shutil.which("qemu-system-x86_64") is None:
        pytest.fail("qemu-system-x86_64 is missing: run 'make deps' (Debian qemu-system-x86)")
    with tempfile.TemporaryDirectory(prefix="vmsim-qemu-") as d:
        ctrl = f"{d}/ctrl"
        subprocess.run(["swtpm", "socket", "--tpm2", "--tpmstate", f"dir={d}", "--ctrl",
                        f"type=unixio,path={ctrl}", "--daemon", "--pid", f"file={d}/pid"],
                       check=True, timeout=30)
        pid = int(Path(d, "pid").read_text())
        try:
            cmd = ["qemu-system-x86_64", "-M", "q35", "-display", "none", "-no-reboot",
                   "-debugcon", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
                   "-chardev", f"socket,id=c,path={ctrl}", "-tpmdev", "emulator,id=t,chardev=c",
                   "-device", f"{device},tpmdev=t", "-kernel", elf]
            if append:
                cmd += ["-append", append]
            cmd += extra or []
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                               stdin=subprocess.DEVNULL)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
    status = (p.returncode >> 1) if p.returncode & 1 else None
    return PeerRun(status, p.stdout)
