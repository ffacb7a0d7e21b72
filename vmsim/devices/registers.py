"""Register maps as data: one row per register, fields by name, access kinds by name.

Devices, the tracer and the tests all read the same table, so a register's name, width,
reset value and access rule are written exactly once (the PTP spec's spelling).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Access(enum.Enum):
    """How a register answers the guest; applied by one generic path in each device."""

    RO = "read-only: writes are dropped"
    WO = "write-only: reads return 0"
    RW = "read-write"
    RW1C = "read, write 1 to clear"
    CMD = "command: a write triggers an action, reads show the pending request"


@dataclass(frozen=True)
class Field:
    """A named bit field inside a register."""

    name: str
    shift: int
    length: int = 1

    @property
    def mask(self) -> int:
        return ((1 << self.length) - 1) << self.shift

    def get(self, value: int) -> int:
        return (value & self.mask) >> self.shift


@dataclass(frozen=True)
class Register:
    """One register: its place, width (bytes), access kind, reset value and fields."""

    name: str
    offset: int
    width: int
    access: Access
    reset: int = 0
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        if self.width not in (1, 2, 4, 8):
            raise ValueError(f"register {self.name}: width {self.width} is not 1, 2, 4 or 8")
        if self.reset >> (8 * self.width):
            raise ValueError(f"register {self.name}: reset {self.reset:#x} exceeds its width")
        for f in self.fields:
            if f.shift + f.length > 8 * self.width:
                raise ValueError(f"register {self.name}: field {f.name} lies outside it")

    @property
    def end(self) -> int:
        return self.offset + self.width

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"register {self.name} has no field {name}")

    def decode(self, value: int) -> str:
        """Name the set single-bit fields and show multi-bit ones: 'tpmIdle activeLocality=2'."""
        parts = []
        for f in self.fields:
            v = f.get(value)
            if f.length == 1:
                if v:
                    parts.append(f.name)
            elif v:
                parts.append(f"{f.name}={v:#x}")
        return " ".join(parts)


class RegisterMap:
    """A register table with an O(1) byte-offset lookup; overlaps fail at import, by name."""

    def __init__(self, name: str, size: int, registers: tuple[Register, ...]) -> None:
        self.name = name
        self.size = size
        self.registers = registers
        self.by_name = {r.name: r for r in registers}
        self._at: list[Register | None] = [None] * size
        for r in registers:
            if r.end > size:
                raise ValueError(f"{name}: register {r.name} ends past {size:#x}")
            for b in range(r.offset, r.end):
                other = self._at[b]
                if other is not None:
                    raise ValueError(f"{name}: {r.name} overlaps {other.name} at {b:#x}")
                self._at[b] = r
        self.by_offset = {r.offset: r for r in registers}

    def at(self, offset: int) -> Register | None:
        """The register holding byte ``offset`` (None for reserved space)."""
        return self._at[offset] if 0 <= offset < self.size else None

    def __getitem__(self, name: str) -> Register:
        return self.by_name[name]

    def name_of(self, offset: int) -> str:
        r = self.at(offset)
        return r.name if r is not None else "reserved"
