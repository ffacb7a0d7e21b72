"""Guest console on port 0xE9, the same port as QEMU's -debugcon and Bochs' 0xE9 hack."""

from __future__ import annotations

from typing import BinaryIO

DEBUGCON_PORT = 0xE9


class Debugcon:
    name = "debugcon"
    ports = (DEBUGCON_PORT,)

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.captured = bytearray()

    def port_read(self, port: int, size: int) -> int:
        return DEBUGCON_PORT  # reading 0xE9 returns 0xE9: how guests detect the port

    def port_write(self, port: int, size: int, value: int) -> None:
        data = (value & 0xFF).to_bytes(1, "little")
        self.captured += data
        self.out.write(data)
        if data == b"\n":
            self.out.flush()
