"""User-facing errors: one line naming the input and what to do, never a traceback."""

from __future__ import annotations


class VmsimError(Exception):
    """A problem with what the user gave vmsim (option, file, socket, missing tool).

    The CLI prints ``vmsim: error: <message>`` and exits with ``status``.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        from vmsim.stop import EXIT_USAGE

        super().__init__(message)
        self.status = EXIT_USAGE if status is None else status
