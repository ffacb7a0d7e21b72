"""tpm2-tools through a vmsim device model: a process for tpm2-tss's `cmd` TCTI.

`tpm2_getrandom -T "cmd:vmsim tcti -l tpm,swtpm,SOCK --trace FILE" 8` makes a real TPM
client drive the CRB (or FIFO) register protocol command by command, as a driver would,
against a real swtpm, with the same annotated trace. The cmd TCTI writes each raw
command to our stdin and reads exactly the 10-byte header, then the rest, from our
stdout; nothing else may go to stdout. EOF or SIGTERM ends the process.
"""

from __future__ import annotations

import io
import sys
from typing import BinaryIO, TextIO

from vmsim.profiles import SPEC, Profile
from vmsim.script import ScriptError, Session
from vmsim.tpm.backend import TpmBackend
from vmsim.tpm.commands import HEADER_SIZE, Header


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(backend: TpmBackend, *, interface: str = "crb", profile: Profile = SPEC,
          trace: TextIO | None = None, stdin: BinaryIO | None = None,
          stdout: BinaryIO | None = None) -> int:
    """Answer commands from ``stdin`` through the device model until EOF; 0 on EOF."""
    src = stdin or sys.stdin.buffer
    dst = stdout or sys.stdout.buffer
    session = Session(interface, profile, backend, trace or io.StringIO(), flush=True)
    while True:
        head = _read_exact(src, HEADER_SIZE)
        if head is None:
            return 0
        size = Header.unpack(head).size
        body = _read_exact(src, max(0, size - HEADER_SIZE)) if size > HEADER_SIZE else b""
        if body is None:
            return 0
        try:
            response = session.send(head + body)
        except ScriptError as e:
            print(f"vmsim: tcti: {e}", file=sys.stderr)
            return 1
        dst.write(response)
        dst.flush()
