"""Guest exit status on port 0xF4, like QEMU's isa-debug-exit at iobase 0xf4.

QEMU exits with (value << 1) | 1; vmsim exits with the value itself.
"""

from __future__ import annotations

from vmsim.stop import MachineStop, Stop, StopReason

DEBUG_EXIT_PORT = 0xF4


class DebugExit:
    name = "debug-exit"
    ports = (DEBUG_EXIT_PORT,)

    def port_read(self, port: int, size: int) -> int:
        return 0xFFFFFFFF >> (32 - 8 * size)

    def port_write(self, port: int, size: int, value: int) -> None:
        value &= 0xFF
        raise MachineStop(Stop(StopReason.EXIT, f"guest exited with value {value}",
                               exit_value=value))
