"""A deterministic ACPI PM timer at port 0x608, where QEMU q35 has it.

Guests need a clock for delays and timeouts; RDTSC cannot be hooked in Unicorn and is
host-derived. Here every read advances virtual time by a fixed step, so a guest's poll
loop sees the same timeline on every run, however fast the host is.
"""

from __future__ import annotations

PM_TIMER_PORT = 0x608
PM_TIMER_HZ = 3_579_545
TICKS_PER_READ = 36  # ~10 us of virtual time per read


class PmTimer:
    name = "pm-timer"
    ports = (PM_TIMER_PORT, PM_TIMER_PORT + 1, PM_TIMER_PORT + 2, PM_TIMER_PORT + 3)

    def __init__(self, ticks_per_read: int = TICKS_PER_READ) -> None:
        self.ticks = 0
        self.step = ticks_per_read

    @property
    def virtual_seconds(self) -> float:
        return self.ticks / PM_TIMER_HZ

    def port_read(self, port: int, size: int) -> int:
        self.ticks += self.step
        value = self.ticks & 0xFFFFFF  # 24-bit counter, as without TMR_VAL_EXT
        return (value >> (8 * (port - PM_TIMER_PORT))) & (0xFFFFFFFF >> (32 - 8 * size))

    def port_write(self, port: int, size: int, value: int) -> None:
        """The PM timer is read-only; writes are dropped as on real hardware."""
