"""Why a machine stopped, and the exit status each reason maps to.

Guest exit values 0-119 pass through unchanged; vmsim's own outcomes use 120 and up so a
script can never mistake a machine stop for a guest's verdict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

GUEST_EXIT_MAX = 119
EXIT_DEVICE_FAULT = 120
EXIT_GUEST_FAULT = 121
EXIT_HALT = 122
EXIT_TIME_LIMIT = 123
EXIT_BACKEND_LOST = 124
EXIT_USAGE = 125
EXIT_INTERNAL = 126
EXIT_INTERRUPTED = 130


class StopReason(enum.Enum):
    """Every run ends with exactly one of these."""

    EXIT = "guest-exit"
    HALT = "halt"
    CPU_EXCEPTION = "cpu-exception"
    UNMAPPED = "unmapped-access"
    TIME_LIMIT = "time-limit"
    DEVICE_FAULT = "device-fault"
    BACKEND_LOST = "backend-lost"
    INTERRUPTED = "interrupted"


_STATUS = {
    StopReason.HALT: EXIT_HALT,
    StopReason.CPU_EXCEPTION: EXIT_GUEST_FAULT,
    StopReason.UNMAPPED: EXIT_GUEST_FAULT,
    StopReason.TIME_LIMIT: EXIT_TIME_LIMIT,
    StopReason.DEVICE_FAULT: EXIT_DEVICE_FAULT,
    StopReason.BACKEND_LOST: EXIT_BACKEND_LOST,
    StopReason.INTERRUPTED: EXIT_INTERRUPTED,
}

EXIT_STATUS_TABLE: tuple[tuple[str, str], ...] = (
    ("0-119", "the guest's exit value (written to port 0xF4); larger values exit 119"),
    (str(EXIT_DEVICE_FAULT), "device fault: the profile stopped the machine on an access"),
    (str(EXIT_GUEST_FAULT), "guest fault: CPU exception or access to unmapped memory"),
    (str(EXIT_HALT), "the guest halted (HLT) without writing an exit value"),
    (str(EXIT_TIME_LIMIT), "time limit (--timeout) reached"),
    (str(EXIT_BACKEND_LOST), "TPM backend lost (swtpm died or closed the connection)"),
    (str(EXIT_USAGE), "bad input: option, guest file, socket, missing tool"),
    (str(EXIT_INTERNAL), "internal error in vmsim (a bug: please report it)"),
    (str(EXIT_INTERRUPTED), "interrupted (Ctrl-C or SIGTERM)"),
)


@dataclass
class Stop:
    """The outcome of a run: a reason, a one-line summary and structured details."""

    reason: StopReason
    summary: str
    exit_value: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> int:
        """The process exit status for this stop."""
        if self.reason is StopReason.EXIT:
            assert self.exit_value is not None
            return min(self.exit_value, GUEST_EXIT_MAX)
        return _STATUS[self.reason]

    @property
    def is_report(self) -> bool:
        """True for stops the user must be told about (everything but a guest exit)."""
        return self.reason is not StopReason.EXIT


class MachineStop(Exception):
    """Raised inside device or backend code to end the run with ``stop``."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(stop.summary)
        self.stop = stop
