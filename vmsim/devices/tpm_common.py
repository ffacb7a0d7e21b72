"""What every TPM interface model shares: the command in flight.

The interface decides *which* bytes form a command and when the guest may see the
answer; the CommandEngine does the rest, identically for CRB and FIFO: fault injection,
completion latency (counted in guest status polls, so it is deterministic), cancel, and
the backend-loss policy (stop the machine, fail the command, or reconnect).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from vmsim.stop import MachineStop, Stop, StopReason
from vmsim.tpm.backend import BackendLost, BackendTimeout, TpmBackend
from vmsim.tpm.commands import describe_command, error_response
from vmsim.tpm.injection import Injector
from vmsim.trace import BackendEvent, Recorder, TpmCommand

TPM_BASE = 0xFED40000
LOCALITY_WINDOW = 0x1000
TPM_RC_FAILURE = 0x101
TPM_RC_CANCELED = 0x909
RECONNECT_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0)
STARTUP_CLEAR = bytes.fromhex("80010000000c000001440000")

OnLoss = Literal["stop", "fail", "reconnect"]


@dataclass
class Completion:
    """What the guest gets when a command finishes."""

    response: bytes
    fatal: bool = False  # the interface's fatal-error bit (CRB CTRL_STS.tpmSts)


class CommandEngine:
    """One command at a time, from START/tpmGo to the moment the guest may see it."""

    def __init__(self, backend: TpmBackend, recorder: Recorder, device: str, *,
                 latency: int = 0, injector: Injector | None = None,
                 on_loss: OnLoss = "stop",
                 reconnect: Callable[[], None] | None = None) -> None:
        self.backend = backend
        self.recorder = recorder
        self.device = device
        self.latency = latency
        self.injector = injector or Injector()
        self.on_loss = on_loss
        self.reconnect = reconnect
        self.pending = False
        self.hanging = False
        self.polls_left = 0
        self.result: Completion | None = None
        self.dead = False  # on_loss=fail: the backend is gone for good
        self.lost = False  # on_loss=reconnect: reconnect before the next command

    # -- the guest's side ----------------------------------------------------------------

    def start(self, command: bytes, locality: int, note: str = "",
              local_rc: int | None = None) -> None:
        """The guest started a command (local_rc: the interface already rejected it)."""
        self.pending, self.hanging, self.polls_left = True, False, self.latency
        if local_rc is not None:
            self.result = Completion(error_response(local_rc))
            self._record(command, locality, self.result.response, note)
            return
        rule = self.injector.next_command(command)
        action = rule.action if rule else None
        if rule is not None:
            note = f"{note}; " if note else ""
            note += f"injected: {rule.text}"
        if action == "hang":
            self.hanging, self.result = True, None
            self._record(command, locality, b"", note + " (never completes)")
            return
        if action == "latency":
            assert rule is not None
            self.polls_left = rule.latency
        if action == "rc":
            assert rule is not None
            self.result = Completion(error_response(rule.rc))
        elif action == "tpm-sts":
            self.result = Completion(error_response(TPM_RC_FAILURE), fatal=True)
        else:
            if action == "drop":
                self.backend.drop()
            self.result = self._send(command, locality)
        self._record(command, locality, self.result.response, note)

    def poll(self) -> Completion | None:
        """A guest status read; the completion once the command is done, else None."""
        if not self.pending:
            return None
        self.recorder.completion_polls += 1
        if self.hanging:
            return None
        if self.polls_left > 0:
            self.polls_left -= 1
            return None
        self.pending = False
        return self.result

    def cancel(self) -> Completion | None:
        """The guest cancelled: a command still pending ends with TPM_RC_CANCELED."""
        if not self.pending:
            return None
        self.backend.cancel()
        self.pending = self.hanging = False
        self.recorder.event(BackendEvent(self.device, "cancel",
                                         "command cancelled by the guest: TPM_RC_CANCELED"))
        return Completion(error_response(TPM_RC_CANCELED))

    # -- the backend's side --------------------------------------------------------------

    def _record(self, command: bytes, locality: int, response: bytes, note: str) -> None:
        self.recorder.command(TpmCommand(self.device, locality, command, response, note))

    def _send(self, command: bytes, locality: int) -> Completion:
        if self.dead:
            return Completion(error_response(TPM_RC_FAILURE), fatal=True)
        if self.lost:
            self._reconnect(command)
        try:
            return Completion(self.backend.send(command, locality))
        except BackendTimeout as e:
            raise MachineStop(Stop(
                StopReason.TIME_LIMIT, f"time limit reached: {e}",
                details={"device": self.device, "backend": self.backend.description,
                         "command": describe_command(command)})) from None
        except BackendLost as e:
            return self._lost(command, e)

    def _lost(self, command: bytes, error: BackendLost) -> Completion:
        self.recorder.event(BackendEvent(self.device, "backend lost",
                                         f"{error}; policy {self.on_loss}"))
        if self.on_loss == "fail":
            self.dead = True
            return Completion(error_response(TPM_RC_FAILURE), fatal=True)
        if self.on_loss == "reconnect" and self.reconnect is not None:
            self.lost = True
            return Completion(error_response(TPM_RC_FAILURE))
        raise MachineStop(Stop(
            StopReason.BACKEND_LOST, f"TPM backend lost: {error}",
            details={"device": self.device, "backend": self.backend.description,
                     "command": describe_command(command), "error": str(error)}))

    def _reconnect(self, command: bytes) -> None:
        """Bounded retries with backoff; the TPM came back as after a power cycle, so
        vmsim sends the Startup(CLEAR) the firmware would, and says so."""
        assert self.reconnect is not None
        last: Exception | None = None
        for attempt, delay in enumerate(RECONNECT_DELAYS, 1):
            try:
                self.reconnect()
                rsp = self.backend.send(STARTUP_CLEAR, 0)
            except BackendLost as e:
                last = e
                time.sleep(delay)
                continue
            self.lost = False
            rc = int.from_bytes(rsp[6:10], "big")
            self.recorder.event(BackendEvent(
                self.device, "reconnected",
                f"after {attempt} attempt(s); vmsim sent Startup(CLEAR): rc {rc:#x}"))
            return
        raise MachineStop(Stop(
            StopReason.BACKEND_LOST,
            f"TPM backend lost and not back after {len(RECONNECT_DELAYS)} reconnect attempts",
            details={"device": self.device, "backend": self.backend.description,
                     "command": describe_command(command), "error": str(last)}))


def established_bit(profile_rule: str, backend: TpmBackend) -> int:
    """The interface's establishment bit from swtpm's tpmEstablished flag."""
    if profile_rule == "hard1":
        return 1
    flag = backend.established()
    return int(flag) if profile_rule == "raw" else int(not flag)
