"""TPM 2.0 command/response header (TPM 2.0 part 1, 18.2) and the names people read.

One declaration packs and unpacks the 10-byte header, big-endian as the spec says.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar

TPM_ST_NO_SESSIONS = 0x8001
TPM_ST_SESSIONS = 0x8002
HEADER_SIZE = 10
TPM_RC_COMMAND_SIZE = 0x142

COMMAND_CODES: dict[int, str] = {
    0x11F: "NV_UndefineSpace", 0x12A: "NV_DefineSpace", 0x131: "CreatePrimary",
    0x137: "NV_Write", 0x13D: "PCR_Reset", 0x144: "Startup", 0x145: "Shutdown",
    0x14E: "NV_Read", 0x153: "Create", 0x157: "Load", 0x15D: "Unseal",
    0x165: "FlushContext", 0x169: "NV_ReadPublic", 0x173: "ReadPublic",
    0x176: "StartAuthSession", 0x177: "VerifySignature", 0x17A: "GetCapability",
    0x17B: "GetRandom", 0x17E: "PCR_Read", 0x182: "PCR_Extend", 0x185: "Hash",
}

RESPONSE_CODES: dict[int, tuple[str, str]] = {
    0x000: ("TPM_RC_SUCCESS", "success"),
    0x01E: ("TPM_RC_BAD_TAG", "tag is not a valid command tag"),
    0x084: ("TPM_RC_VALUE", "value is out of range"),
    0x100: ("TPM_RC_INITIALIZE", "TPM not initialized by Startup, or already initialized"),
    0x101: ("TPM_RC_FAILURE", "commands not being accepted because of a TPM failure"),
    0x143: ("TPM_RC_COMMAND_CODE", "command code not supported"),
    0x142: ("TPM_RC_COMMAND_SIZE", "commandSize does not match the octets received"),
    0x149: ("TPM_RC_AUTHSIZE", "authorization size is wrong"),
    0x154: ("TPM_RC_NV_RANGE", "NV offset + size is out of range"),
    0x14B: ("TPM_RC_NV_SPACE", "no room in NV"),
    0x14C: ("TPM_RC_NV_DEFINED", "NV index already defined"),
    0x902: ("TPM_RC_OBJECT_MEMORY", "out of object memory"),
    0x903: ("TPM_RC_SESSION_MEMORY", "out of session memory"),
    0x907: ("TPM_RC_LOCALITY", "bad locality"),
    0x908: ("TPM_RC_YIELDED", "the TPM suspended the command; retry"),
    0x909: ("TPM_RC_CANCELED", "the command was canceled"),
    0x922: ("TPM_RC_RETRY", "the TPM was busy; retry"),
}


@dataclass(frozen=True)
class Header:
    """tag (u16), size (u32), code (u32): commandCode in commands, responseCode in replies."""

    tag: int
    size: int
    code: int

    STRUCT: ClassVar[struct.Struct] = struct.Struct(">HII")

    def pack(self) -> bytes:
        return self.STRUCT.pack(self.tag, self.size, self.code)

    @classmethod
    def unpack(cls, data: bytes) -> Header:
        if len(data) < HEADER_SIZE:
            raise ValueError(f"TPM header needs {HEADER_SIZE} bytes, got {len(data)}")
        return cls(*cls.STRUCT.unpack_from(data))


def error_response(rc: int) -> bytes:
    """The 10-byte response a TPM gives for an error: no sessions, no parameters."""
    return Header(TPM_ST_NO_SESSIONS, HEADER_SIZE, rc).pack()


def rc_name(rc: int) -> str:
    """Name a response code, including format-one codes (parameter/handle/session number)."""
    if rc in RESPONSE_CODES:
        return RESPONSE_CODES[rc][0]
    if rc & 0x80:  # format one: error number in bits 5:0, plus 0x080 base
        base = (rc & 0x3F) | 0x80
        name = _FMT1.get(base, f"TPM_RC_{base:#x}")
        if rc & 0x40:
            return f"{name} (parameter {(rc >> 8) & 0xF})"
        n = (rc >> 8) & 0x7
        return f"{name} ({'session' if rc & 0x800 else 'handle'} {n})"
    return f"rc {rc:#x}"


_FMT1 = {
    0x081: "TPM_RC_ASYMMETRIC", 0x082: "TPM_RC_ATTRIBUTES", 0x083: "TPM_RC_HASH",
    0x084: "TPM_RC_VALUE", 0x085: "TPM_RC_HIERARCHY", 0x087: "TPM_RC_KEY_SIZE",
    0x088: "TPM_RC_MGF", 0x089: "TPM_RC_MODE", 0x08A: "TPM_RC_TYPE", 0x08B: "TPM_RC_HANDLE",
    0x08C: "TPM_RC_KDF", 0x08D: "TPM_RC_RANGE", 0x08E: "TPM_RC_AUTH_FAIL",
    0x08F: "TPM_RC_NONCE", 0x095: "TPM_RC_SIZE", 0x09A: "TPM_RC_BAD_AUTH",
}


# Handles in each command's handle area (TPM 2.0 part 3), for the trace.
HANDLE_COUNT = {
    0x11F: 2, 0x12A: 1, 0x131: 1, 0x137: 2, 0x13D: 1, 0x14E: 2, 0x153: 1, 0x157: 1,
    0x15D: 1, 0x165: 0, 0x169: 1, 0x173: 1, 0x176: 2, 0x182: 1,
}


def describe_command(data: bytes) -> str:
    """'PCR_Extend size=65 handles=0x00000010': name, size, and the handle area."""
    try:
        h = Header.unpack(data)
    except ValueError:
        return f"(short command, {len(data)} bytes)"
    name = COMMAND_CODES.get(h.code, f"cc {h.code:#x}")
    text = f"{name} size={h.size}"
    n = HANDLE_COUNT.get(h.code, 0)
    if n and len(data) >= HEADER_SIZE + 4 * n:
        handles = [int.from_bytes(data[HEADER_SIZE + 4 * i:HEADER_SIZE + 4 * i + 4], "big")
                   for i in range(n)]
        text += " handles=" + ",".join(f"{x:#010x}" for x in handles)
    return text


def describe_response(data: bytes) -> str:
    """'rc=0x142 TPM_RC_COMMAND_SIZE size=10 (commandSize does not match ...)'."""
    try:
        h = Header.unpack(data)
    except ValueError:
        return f"(short response, {len(data)} bytes)"
    meaning = RESPONSE_CODES.get(h.code)
    tail = f" ({meaning[1]})" if meaning and h.code else ""
    return f"rc={h.code:#x} {rc_name(h.code)} size={h.size}{tail}"
