"""Turning an unexpected guest access into a warning, silence, or a machine stop.

The device says what happened; the profile's policy decides; this module does it, so
every device reports the same way.
"""

from __future__ import annotations

from vmsim.profiles import Policy
from vmsim.stop import MachineStop, Stop, StopReason
from vmsim.trace import ProtocolWarning, Recorder


def unexpected_access(recorder: Recorder, policy: Policy, *, device: str, kind: str,
                      register: str, offset: int, width: int, direction: str, value: int,
                      rule: str) -> None:
    """Apply ``policy`` to one unexpected access; 'stop' raises MachineStop with a report."""
    if policy == "stop":
        verb = "read" if direction == "R" else "write"
        raise MachineStop(Stop(
            StopReason.DEVICE_FAULT,
            f"{device}: {width}-byte {verb} of {register} (offset {offset:#05x}) "
            f"value {value:#x}: {kind}",
            details={"device": device, "kind": kind, "register": register,
                     "offset": offset, "width": width,
                     "direction": "read" if direction == "R" else "write",
                     "value": value, "rule": rule},
        ))
    if policy == "warn":
        recorder.warn(ProtocolWarning(device, kind, register, offset, width, direction,
                                      value, rule))
