"""What every TPM interface model shares: handing a command to the back end.

The interface decides *which* bytes form the command; this turns the back end's
failures into machine stops (with the command that was in flight) and records the
exchange.
"""

from __future__ import annotations

from vmsim.stop import MachineStop, Stop, StopReason
from vmsim.tpm.backend import BackendLost, BackendTimeout, TpmBackend
from vmsim.tpm.commands import describe_command
from vmsim.trace import Recorder, TpmCommand

TPM_BASE = 0xFED40000
LOCALITY_WINDOW = 0x1000


def execute(backend: TpmBackend, recorder: Recorder, device: str, command: bytes,
            locality: int, note: str = "") -> bytes:
    """Send one command; return the response or stop the machine with a report."""
    try:
        response = backend.send(command, locality)
    except BackendLost as e:
        raise MachineStop(Stop(
            StopReason.BACKEND_LOST, f"TPM backend lost: {e}",
            details={"device": device, "backend": backend.description,
                     "command": describe_command(command), "error": str(e)},
        )) from None
    except BackendTimeout as e:
        raise MachineStop(Stop(
            StopReason.TIME_LIMIT, f"time limit reached: {e}",
            details={"device": device, "backend": backend.description,
                     "command": describe_command(command)},
        )) from None
    recorder.command(TpmCommand(device, locality, command, response, note))
    return response
