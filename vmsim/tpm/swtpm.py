"""swtpm as a TPM back end: the data channel client, and a private swtpm vmsim owns.

Wire facts (reference/swtpm.md): raw command bytes in ONE write (swtpm takes a command
from a single read), the response is read by the size in its header however the socket
splits it. The control channel is big-endian u32 command + payload.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import time
from pathlib import Path

from vmsim.errors import VmsimError
from vmsim.tpm.backend import BackendLost, BackendTimeout
from vmsim.tpm.commands import HEADER_SIZE, Header

MAX_RESPONSE = 0x10000
CMD_GET_CAPABILITY = 0x01
CMD_INIT = 0x02
CMD_SHUTDOWN = 0x03
CMD_GET_TPMESTABLISHED = 0x04
CMD_SET_LOCALITY = 0x05
CMD_CANCEL_TPM_CMD = 0x09
CMD_RESET_TPMESTABLISHED = 0x0B
CMD_STOP = 0x0E
CMD_SET_BUFFERSIZE = 0x11


def swtpm_binary() -> str:
    """Path of the swtpm program, or a one-line error saying how to get it."""
    path = shutil.which("swtpm")
    if path is None:
        raise VmsimError(
            "swtpm is not installed; install the Debian package 'swtpm' "
            "(sudo apt-get install swtpm, or run 'make deps')"
        )
    return path


def _connect(path: str, what: str, hint: str) -> socket.socket:
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise VmsimError(f"{what} {path} does not exist; {hint}") from None
    except OSError as e:
        raise VmsimError(f"{what} {path}: {e.strerror}") from None
    if not stat.S_ISSOCK(mode):
        raise VmsimError(f"{what} {path} is not a UNIX socket; {hint}")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    except OSError as e:
        s.close()
        raise VmsimError(f"{what} {path}: {e.strerror}; is swtpm running? {hint}") from None
    return s


class SwtpmControl:
    """The swtpm control channel (--ctrl): one request, one answer, never pipelined."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def request(self, code: int, payload: bytes = b"", answer: int = 0,
                timeout: float = 5.0) -> tuple[int, bytes]:
        """Send one request; return (result, the rest of a successful answer)."""
        self._sock.settimeout(timeout)
        try:
            self._sock.sendall(struct.pack(">I", code) + payload)
            result = struct.unpack(">I", _recv_exact(self._sock, 4))[0]
            rest = _recv_exact(self._sock, answer) if result == 0 and answer else b""
        except (OSError, EOFError) as e:
            raise BackendLost(f"swtpm control channel: {e}") from None
        return result, rest

    def close(self) -> None:
        self._sock.close()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed by swtpm")
        buf += chunk
    return bytes(buf)


class SwtpmBackend:
    """Talks to a running swtpm over its UNIX data socket (and control socket if given)."""

    def __init__(self, path: str, ctrl_path: str | None = None,
                 description: str | None = None) -> None:
        hint = ("start swtpm with --server type=unixio,path=" + path +
                " --flags not-need-init, or drop -l to let vmsim start one")
        self.path = path
        self.description = description or f"swtpm at {path}"
        self._sock = _connect(path, "TPM socket", hint)
        self.ctrl = (SwtpmControl(_connect(ctrl_path, "swtpm control socket", hint))
                     if ctrl_path else None)
        self._deadline: float | None = None
        self._locality = 0
        self._established: bool | None = None
        self.buffer_size: int | None = None

    def set_deadline(self, deadline: float | None) -> None:
        self._deadline = deadline

    def _timeout(self) -> float | None:
        if self._deadline is None:
            return None
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise BackendTimeout("time limit reached while waiting for swtpm")
        return left

    def send(self, command: bytes, locality: int) -> bytes:
        if self.ctrl is not None and locality != self._locality:
            result, _ = self.ctrl.request(CMD_SET_LOCALITY, bytes([locality, 0, 0, 0]))
            if result == 0:
                self._locality = locality
        try:
            self._sock.settimeout(self._timeout())
            self._sock.sendall(command)  # one write: swtpm reads a command in one read()
            head = _recv_exact(self._sock, HEADER_SIZE)
            size = Header.unpack(head).size
            if not HEADER_SIZE <= size <= MAX_RESPONSE:
                raise BackendLost(f"{self.description} sent a response of size {size}")
            return head + _recv_exact(self._sock, size - HEADER_SIZE)
        except TimeoutError:
            raise BackendTimeout("time limit reached while waiting for swtpm") from None
        except (OSError, EOFError) as e:
            raise BackendLost(f"{self.description}: {e}") from None

    def cancel(self) -> None:
        if self.ctrl is not None:
            with contextlib.suppress(BackendLost):
                self.ctrl.request(CMD_CANCEL_TPM_CMD)

    def drop(self) -> None:
        self._sock.close()

    def power_on(self, buffer_size: int) -> None:
        """A machine start is a platform reset (QEMU's order): STOP, SET_BUFFERSIZE so
        the TPM's maximum command size fits the interface's buffer, INIT. Without a
        control channel the TPM just carries on."""
        if self.ctrl is None:
            return
        self.ctrl.request(CMD_STOP)
        result, rest = self.ctrl.request(CMD_SET_BUFFERSIZE, struct.pack(">I", buffer_size),
                                         answer=12)
        if result == 0:
            self.buffer_size = struct.unpack(">I", rest[:4])[0]
        result, _ = self.ctrl.request(CMD_INIT, struct.pack(">I", 0))
        if result != 0:
            raise BackendLost(f"swtpm refused INIT (result {result:#x})")
        self._locality = 0
        self._established = None

    def established(self) -> bool:
        if self.ctrl is None:
            return False
        if self._established is None:
            result, rest = self.ctrl.request(CMD_GET_TPMESTABLISHED, answer=4)
            self._established = result == 0 and bool(rest[0] & 1)
        return self._established

    def reset_established(self, locality: int) -> None:
        if self.ctrl is None:
            return
        self.ctrl.request(CMD_RESET_TPMESTABLISHED, bytes([locality, 0, 0, 0]))
        self._established = None

    def reconnect(self) -> None:
        """Connect again to the same socket; BackendLost if nobody answers."""
        self._sock.close()
        try:
            self._sock = _connect(self.path, "TPM socket", "")
        except VmsimError as e:
            raise BackendLost(str(e)) from None
        self._locality = 0
        self._established = None

    def close(self) -> None:
        self._sock.close()
        if self.ctrl is not None:
            self.ctrl.close()


def _child_setup(cpu: int | None) -> None:  # pragma: no cover - runs in the child
    """Make the kernel SIGTERM swtpm if vmsim dies, even by SIGKILL; pin it if asked."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


class SpawnedSwtpm:
    """A private swtpm owned by vmsim: sockets in a private directory, removed on close.

    vmsim binds the listening sockets itself and hands them to swtpm (``fd=``), so the
    first connect can never race swtpm's start-up. State lives in ``state_dir`` when given
    (kept across runs), else in the private directory.
    """

    def __init__(self, state_dir: str | None = None, cpu: int | None = None) -> None:
        binary = swtpm_binary()
        self.runtime_dir = tempfile.mkdtemp(prefix="vmsim-swtpm-")
        self.state_dir = state_dir or os.path.join(self.runtime_dir, "state")
        self.process: subprocess.Popen[bytes] | None = None
        self.backend: SwtpmBackend | None = None
        try:
            os.makedirs(self.state_dir, exist_ok=True)
        except OSError as e:
            self.close()
            raise VmsimError(f"TPM state directory {state_dir}: {e.strerror}") from None
        self.data_path = os.path.join(self.runtime_dir, "tpm.sock")
        self.ctrl_path = os.path.join(self.runtime_dir, "ctrl.sock")
        self.log_path = os.path.join(self.runtime_dir, "swtpm.log")
        self._binary, self._cpu = binary, cpu
        try:
            self._spawn()
            self.backend = SwtpmBackend(self.data_path, self.ctrl_path,
                                        description="swtpm (spawned by vmsim)")
            assert self.backend.ctrl is not None
            result, _ = self.backend.ctrl.request(CMD_GET_CAPABILITY, answer=4)
        except (BackendLost, VmsimError):
            result = -1
        except BaseException:
            self.close()
            raise
        if result != 0:
            why = self._failure_text()
            self.close()
            raise VmsimError(f"swtpm did not start (state {self.state_dir}): {why}")

    def _spawn(self) -> None:
        listeners = []
        try:
            for path in (self.data_path, self.ctrl_path):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(path)
                s.listen(1)
                listeners.append(s)
            data_fd, ctrl_fd = (s.fileno() for s in listeners)
            cpu = self._cpu
            self.process = subprocess.Popen(
                [self._binary, "socket", "--tpm2", "--tpmstate", f"dir={self.state_dir}",
                 "--server", f"type=unixio,fd={data_fd}",
                 "--ctrl", f"type=unixio,fd={ctrl_fd}",
                 "--log", f"file={self.log_path}"],  # INIT comes over the control channel
                pass_fds=(data_fd, ctrl_fd), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C goes to vmsim, which then stops swtpm
                preexec_fn=lambda: _child_setup(cpu),
            )
        finally:
            for s in listeners:
                s.close()

    def restart(self, buffer_size: int) -> None:
        """Bring the TPM back after a loss: a new swtpm on the same state if the old one
        died, new connections, and a platform reset. BackendLost if that fails."""
        assert self.backend is not None
        if self.process is None or self.process.poll() is not None:
            if self.process is not None and self.process.stderr is not None:
                self.process.stderr.close()
            self._spawn()
        try:
            self.backend.reconnect()
            self.backend.ctrl = SwtpmControl(_connect(self.ctrl_path, "control socket", ""))
        except VmsimError as e:
            raise BackendLost(str(e)) from None
        self.backend.power_on(buffer_size)

    def _failure_text(self) -> str:
        if self.process is None:
            return "not started"
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        err = b""
        if self.process.stderr is not None:
            with contextlib.suppress(OSError):
                err = self.process.stderr.read() or b""
        text = err.decode(errors="replace").strip().splitlines()
        return text[-1] if text else f"exit status {self.process.returncode}"

    def close(self) -> None:
        """Stop swtpm and remove the private directory; safe to call more than once."""
        if self.backend is not None:
            if self.backend.ctrl is not None and self.process and self.process.poll() is None:
                with contextlib.suppress(BackendLost):
                    self.backend.ctrl.request(CMD_SHUTDOWN, timeout=1.0)  # clean exit
            self.backend.close()
            self.backend = None
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if self.process.stderr is not None:
                self.process.stderr.close()
            self.process = None
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
