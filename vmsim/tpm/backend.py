"""What a TPM interface model needs from a TPM: the narrow interface between layers."""

from __future__ import annotations

from typing import Protocol


class BackendLost(Exception):
    """The TPM went away (connection closed, process died); the run stops with a report."""


class BackendTimeout(Exception):
    """The TPM did not answer before the run's time limit."""


class TpmBackend(Protocol):
    """A TPM that executes one command at a time."""

    description: str

    def send(self, command: bytes, locality: int) -> bytes:
        """Deliver exactly ``command`` and return the whole response."""
        ...

    def cancel(self) -> None:
        """Ask the TPM to cancel the running command (best effort)."""
        ...

    def established(self) -> bool:
        """swtpm's tpmEstablished flag (False when there is no way to ask)."""
        ...

    def reset_established(self, locality: int) -> None:
        """Clear the flag (only localities 3 and 4 may)."""
        ...

    def drop(self) -> None:
        """Close the connection (fault injection); the next send sees a lost backend."""
        ...

    def set_deadline(self, deadline: float | None) -> None:
        """Absolute time.monotonic() by which answers must come, or None for no limit."""
        ...

    def close(self) -> None:
        ...
