"""ACPI tables as a PC's firmware leaves them in RAM: RSDP, RSDT/XSDT, FADT, DSDT, TPM2.

Layouts follow the ACPI 6.x specification and the TCG ACPI specification (TPM2 table,
revision 4 with the log area fields, as bhyve and QEMU build it). Each table is packed
from one struct declaration and checksummed so the bytes sum to zero.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

OEM_ID = b"VMSIM "
OEM_TABLE_ID = b"VMSIMPC "
CREATOR_ID = b"VMSM"

TPM2_START_METHOD_FIFO = 6
TPM2_START_METHOD_CRB = 7
TPM2_LOG_AREA_MIN = 0x10000

_HEADER = struct.Struct("<4sIBB6s8sI4sI")


def checksum(data: bytes) -> int:
    """The byte that makes ``data`` sum to zero modulo 256."""
    return (-sum(data)) & 0xFF


def table(signature: bytes, revision: int, body: bytes) -> bytes:
    """A complete SDT: header + body with length and checksum filled in."""
    length = _HEADER.size + len(body)
    raw = bytearray(_HEADER.pack(signature, length, revision, 0, OEM_ID, OEM_TABLE_ID, 1,
                                 CREATOR_ID, 1) + body)
    raw[9] = checksum(raw)
    return bytes(raw)


def rsdp(rsdt_addr: int, xsdt_addr: int) -> bytes:
    """RSDP revision 2: the 20-byte ACPI 1.0 part and the 36-byte extension, both summed."""
    raw = bytearray(struct.pack("<8sB6sBIIQB3x", b"RSD PTR ", 0, OEM_ID, 2, rsdt_addr, 36,
                                xsdt_addr, 0))
    raw[8] = checksum(raw[:20])
    raw[32] = checksum(raw)
    return bytes(raw)


def rsdt(addrs: list[int]) -> bytes:
    return table(b"RSDT", 1, b"".join(struct.pack("<I", a) for a in addrs))


def xsdt(addrs: list[int]) -> bytes:
    return table(b"XSDT", 1, b"".join(struct.pack("<Q", a) for a in addrs))


def _gas(space: int, bit_width: int, address: int, access_size: int = 0) -> bytes:
    """Generic Address Structure (12 bytes)."""
    return struct.pack("<BBBBQ", space, bit_width, 0, access_size, address)


def fadt(dsdt_addr: int, pm_timer_port: int) -> bytes:
    """FADT revision 3 (244 bytes): points at the DSDT and declares the PM timer block."""
    body = bytearray(244 - _HEADER.size)

    def put(offset: int, fmt: str, *values: int | bytes) -> None:
        struct.pack_into(fmt, body, offset - _HEADER.size, *values)

    put(40, "<I", dsdt_addr)
    put(76, "<I", pm_timer_port)  # PM_TMR_BLK
    put(91, "<B", 4)  # PM_TMR_LEN
    put(140, "<Q", dsdt_addr)  # X_DSDT
    put(208, "12s", _gas(1, 32, pm_timer_port, 3))  # X_PM_TMR_BLK, system I/O
    return table(b"FACP", 3, bytes(body))


@dataclass(frozen=True)
class Tpm2Table:
    """TCG ACPI TPM2 table, revision 4 (76 bytes)."""

    control_area: int
    start_method: int
    log_area_length: int = 0
    log_area_start: int = 0
    platform_class: int = 0  # client

    BODY: ClassVar[struct.Struct] = struct.Struct("<HHQI12sIQ")

    def pack(self) -> bytes:
        return table(b"TPM2", 4, self.BODY.pack(self.platform_class, 0, self.control_area,
                                                self.start_method, b"\0" * 12,
                                                self.log_area_length, self.log_area_start))

    @classmethod
    def unpack(cls, data: bytes) -> Tpm2Table:
        pc, _, ca, sm, _, laml, lasa = cls.BODY.unpack_from(data, _HEADER.size)
        return cls(ca, sm, laml, lasa, pc)


# -- AML, just enough for a TPM device in \_SB --------------------------------------------

def _pkg_length(payload_len: int) -> bytes:
    """ACPI PkgLength: encodes its own size plus the payload (ACPI 6, 20.2.4)."""
    for nbytes in range(1, 5):
        total = payload_len + nbytes
        if nbytes == 1 and total < 0x40:
            return bytes([total])
        if nbytes > 1 and total < 1 << (4 + 8 * (nbytes - 1)):
            out = [((nbytes - 1) << 6) | (total & 0xF)]
            rest = total >> 4
            for _ in range(nbytes - 1):
                out.append(rest & 0xFF)
                rest >>= 8
            return bytes(out)
    raise ValueError("AML package too large")


def _name(seg: str, data: bytes) -> bytes:
    return b"\x08" + seg.encode().ljust(4, b"_") + data


def _string(s: str) -> bytes:
    return b"\x0d" + s.encode() + b"\0"


def _buffer(data: bytes) -> bytes:
    n = len(data)
    size = b"\x0a" + bytes([n]) if n < 256 else b"\x0b" + struct.pack("<H", n)
    payload = size + data
    return b"\x11" + _pkg_length(len(payload)) + payload


def memory32_fixed(base: int, length: int, writable: bool = True) -> bytes:
    """Memory32Fixed large resource descriptor (9-byte body)."""
    return struct.pack("<BHBII", 0x86, 9, int(writable), base, length)


def tpm_device_aml(base: int, length: int) -> bytes:
    """Scope(\\_SB) { Device(TPM) { _HID "MSFT0101", _STA 0x0F, _CRS Memory32Fixed } }."""
    crs = memory32_fixed(base, length) + b"\x79\x00"  # end tag, checksum 0 = ignore
    device_body = (b"TPM_" + _name("_HID", _string("MSFT0101")) +
                   _name("_STA", b"\x0a\x0f") + _name("_CRS", _buffer(crs)))
    device = b"\x5b\x82" + _pkg_length(len(device_body)) + device_body
    scope_body = b"\x5c_SB_" + device
    return b"\x10" + _pkg_length(len(scope_body)) + scope_body


def dsdt(aml: bytes) -> bytes:
    return table(b"DSDT", 2, aml)
