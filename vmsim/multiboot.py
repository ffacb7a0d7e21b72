"""Multiboot v1 structures: the header a guest carries and the info block it receives.

Multiboot Specification 0.6.96, sections 3.1 (header) and 3.3 (boot information).
Each layout is one struct.Struct used for both pack and unpack.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

HEADER_MAGIC = 0x1BADB002
BOOTLOADER_MAGIC = 0x2BADB002
HEADER_SEARCH = 8192  # the header must lie in the first 8 KiB of the image

INFO_MEMORY = 1 << 0
INFO_CMDLINE = 1 << 2
INFO_MMAP = 1 << 6
INFO_LOADER_NAME = 1 << 9

MMAP_AVAILABLE = 1
MMAP_RESERVED = 2


@dataclass(frozen=True)
class MultibootHeader:
    magic: int
    flags: int
    checksum: int

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<III")

    def pack(self) -> bytes:
        return self.STRUCT.pack(self.magic, self.flags, self.checksum)

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> MultibootHeader:
        return cls(*cls.STRUCT.unpack_from(data, offset))

    @property
    def valid(self) -> bool:
        total = (self.magic + self.flags + self.checksum) & 0xFFFFFFFF
        return self.magic == HEADER_MAGIC and total == 0


def find_header(image: bytes) -> tuple[int, MultibootHeader] | None:
    """Locate a valid header, 4-byte aligned, within the first 8 KiB (as QEMU requires)."""
    limit = min(len(image), HEADER_SEARCH) - MultibootHeader.STRUCT.size
    for off in range(0, limit + 1, 4):
        if int.from_bytes(image[off:off + 4], "little") == HEADER_MAGIC:
            h = MultibootHeader.unpack(image, off)
            if h.valid:
                return off, h
    return None


@dataclass(frozen=True)
class MmapEntry:
    """One memory map entry; ``size`` counts the bytes after itself (20)."""

    base: int
    length: int
    type: int

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<IQQI")

    def pack(self) -> bytes:
        return self.STRUCT.pack(self.STRUCT.size - 4, self.base, self.length, self.type)

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> MmapEntry:
        _, base, length, type_ = cls.STRUCT.unpack_from(data, offset)
        return cls(base, length, type_)


@dataclass(frozen=True)
class MultibootInfo:
    """The boot information block (fields up to mmap and the loader name)."""

    flags: int
    mem_lower: int = 0
    mem_upper: int = 0
    cmdline: int = 0
    mmap_length: int = 0
    mmap_addr: int = 0
    boot_loader_name: int = 0

    # flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr, syms[4],
    # mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name
    STRUCT: ClassVar[struct.Struct] = struct.Struct("<IIIIIII16sIIIIII")

    def pack(self) -> bytes:
        return self.STRUCT.pack(self.flags, self.mem_lower, self.mem_upper, 0, self.cmdline,
                                0, 0, b"\0" * 16, self.mmap_length, self.mmap_addr, 0, 0, 0,
                                self.boot_loader_name)

    @classmethod
    def unpack(cls, data: bytes, offset: int = 0) -> MultibootInfo:
        f = cls.STRUCT.unpack_from(data, offset)
        return cls(flags=f[0], mem_lower=f[1], mem_upper=f[2], cmdline=f[4],
                   mmap_length=f[8], mmap_addr=f[9], boot_loader_name=f[13])
