"""TPM 2.0 Command Response Buffer (CRB) interface, TCG PC Client PTP section 6.5.

The register map below is the single source of truth for names, offsets, widths, access
kinds and resets; the device reads it, the tracer names accesses with it, tests import it.
Only the four registers with side effects (LOC_CTRL, CTRL_REQ, CTRL_CANCEL, CTRL_START)
have handlers. Peers' differences come from the Profile, never from branches on a name.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from vmsim.devices.access_policy import unexpected_access
from vmsim.devices.registers import Access, Field, Register, RegisterMap
from vmsim.devices.tpm_common import (
    LOCALITY_WINDOW,
    TPM_BASE,
    CommandEngine,
    Completion,
    established_bit,
)
from vmsim.profiles import Profile
from vmsim.tpm.backend import TpmBackend
from vmsim.tpm.commands import HEADER_SIZE, TPM_RC_COMMAND_SIZE
from vmsim.trace import ProtocolWarning, Recorder

__all__ = ["BUFFER_SIZE", "CRB_REGISTERS", "DATA_BUFFER", "TpmCrb"]

DATA_BUFFER = 0x80
BUFFER_SIZE = LOCALITY_WINDOW - DATA_BUFFER  # 0xF80 = 3968 bytes
_UNPACK = {n: struct.Struct(f"<{c}").unpack_from for n, c in ((1, "B"), (2, "H"), (4, "I"),
                                                             (8, "Q"))}

A = Access
CRB_REGISTERS = RegisterMap("CRB", DATA_BUFFER, (
    Register("LOC_STATE", 0x00, 4, A.RO, 0x81, (
        Field("tpmEstablished", 0), Field("locAssigned", 1), Field("activeLocality", 2, 3),
        Field("tpmRegValidSts", 7))),
    Register("LOC_CTRL", 0x08, 4, A.WO, 0, (
        Field("requestAccess", 0), Field("relinquish", 1), Field("seize", 2),
        Field("resetEstablishmentBit", 3))),
    Register("LOC_STS", 0x0C, 4, A.RO, 0, (Field("granted", 0), Field("beenSeized", 1))),
    Register("INTF_ID", 0x30, 8, A.RO, 0, (
        Field("InterfaceType", 0, 4), Field("InterfaceVersion", 4, 4),
        Field("CapLocality", 8), Field("CapCRBIdleBypass", 9),
        Field("CapDataXferSizeSupport", 11, 2), Field("CapFIFO", 13), Field("CapCRB", 14),
        Field("CapIFRes", 15, 2), Field("InterfaceSelector", 17, 2),
        Field("IntfSelLock", 19), Field("RID", 24, 8), Field("VID", 32, 16),
        Field("DID", 48, 16))),
    Register("CTRL_EXT", 0x38, 8, A.RO, 0, (Field("clear", 0), Field("remainingBytes", 32, 32))),
    Register("CTRL_REQ", 0x40, 4, A.CMD, 0, (Field("cmdReady", 0), Field("goIdle", 1))),
    Register("CTRL_STS", 0x44, 4, A.RO, 0x2, (Field("tpmSts", 0), Field("tpmIdle", 1))),
    Register("CTRL_CANCEL", 0x48, 4, A.CMD, 0, (Field("cancel", 0),)),
    Register("CTRL_START", 0x4C, 4, A.CMD, 0, (Field("start", 0),)),
    Register("INT_ENABLE", 0x50, 4, A.RW, 0, (
        Field("startInt", 0), Field("cmdReadyInt", 1), Field("establishmentClearInt", 2),
        Field("localityChangeInt", 3), Field("globalEnable", 31))),
    Register("INT_STS", 0x54, 4, A.RW1C, 0, (
        Field("startInt", 0), Field("cmdReadyInt", 1), Field("establishmentClearInt", 2),
        Field("localityChangeInt", 3))),
    Register("CMD_SIZE", 0x58, 4, A.RO, BUFFER_SIZE),
    Register("CMD_LADDR", 0x5C, 4, A.RO, TPM_BASE + DATA_BUFFER),
    Register("CMD_HADDR", 0x60, 4, A.RO, 0),
    Register("RSP_SIZE", 0x64, 4, A.RO, BUFFER_SIZE),
    Register("RSP_ADDR", 0x68, 8, A.RO, TPM_BASE + DATA_BUFFER),
))


class TpmCrb:
    """CRB device model: five locality windows over one control area and data buffer."""

    name = "tpm-crb"
    interface = "crb"

    def __init__(self, backend: TpmBackend, profile: Profile, recorder: Recorder,
                 engine: CommandEngine | None = None) -> None:
        self.backend = backend
        self.engine = engine or CommandEngine(backend, recorder, self.name)
        self.profile = profile
        self.recorder = recorder
        self.size = LOCALITY_WINDOW * profile.localities
        self.buffer = bytearray(BUFFER_SIZE)
        self._end_rule = profile.window_end_off_by_one
        regs = CRB_REGISTERS
        self._at = [regs.at(o) for o in range(DATA_BUFFER)]
        self._access = {r.name: (A.RW if r.name in profile.writable else r.access)
                        for r in regs.registers}
        self._stored = {r.name: r.reset for r in regs.registers}
        self._stored["INTF_ID"] = profile.intf_id
        self._getters: dict[str, Callable[[int], int]] = {
            "LOC_STATE": self._read_loc_state,
            "LOC_STS": self._read_loc_sts,
            "CTRL_STS": self._read_ctrl_sts,
            "CTRL_START": self._read_ctrl_start,
            "CTRL_CANCEL": lambda loc: self.cancel,
        }
        self._handlers: dict[str, Callable[[int, int], None]] = {
            "LOC_CTRL": self._write_loc_ctrl,
            "CTRL_REQ": self._write_ctrl_req,
            "CTRL_CANCEL": self._write_ctrl_cancel,
            "CTRL_START": self._write_ctrl_start,
        }
        self.reset()

    def reset(self) -> None:
        """Power-on state: no locality, idle, nothing started."""
        self.active: int | None = None
        self.pending: set[int] = set()
        self.been_seized = [False] * self.profile.localities
        self.idle = True
        self.tpm_sts = False
        self.started = False
        self.cancel = 0
        self.bytes_written = 0

    # -- computed registers -------------------------------------------------------------

    def _read_loc_state(self, loc: int) -> int:
        v = 0x80 | established_bit(self.profile.established_bit, self.backend)
        if self.active is not None:
            v |= 0x2 | (self.active << 2)
        return v

    def _read_loc_sts(self, loc: int) -> int:
        return int(self.active == loc) | (int(self.been_seized[loc]) << 1)

    def _read_ctrl_sts(self, loc: int) -> int:
        return int(self.tpm_sts) | (int(self.idle) << 1)

    # -- guest access entry points --------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        """A guest read of ``size`` bytes at ``offset`` inside the locality windows."""
        loc, off = offset >> 12, offset & 0xFFF
        if offset % size or (self._end_rule and off + size >= LOCALITY_WINDOW):
            self._check_shape(offset, size, "R", 0)
        if off >= DATA_BUFFER and off + size <= LOCALITY_WINDOW:
            return _UNPACK[size](self.buffer, off - DATA_BUFFER)[0]
        reg = self._at[off] if off < DATA_BUFFER else None
        if reg is not None and reg.offset == off and reg.width == size:
            return self._value(reg, loc)
        return self._read_bytes(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """A guest write of ``size`` bytes at ``offset`` inside the locality windows."""
        loc, off = offset >> 12, offset & 0xFFF
        if offset % size or (self._end_rule and off + size >= LOCALITY_WINDOW):
            self._check_shape(offset, size, "W", value)
        if off >= DATA_BUFFER:
            b = off - DATA_BUFFER
            n = min(size, LOCALITY_WINDOW - off)
            self.buffer[b:b + n] = value.to_bytes(size, "little")[:n]
            self.bytes_written = max(self.bytes_written, b + n)
            return
        reg = self._at[off]
        if reg is not None and off + size <= reg.end:
            self._write_reg(reg, loc, value, off - reg.offset, size, offset)
            return
        # Straddles registers or reserved space: apply byte runs register by register.
        i = 0
        while i < size:
            o = off + i
            r = self._at[o] if o < DATA_BUFFER else None
            if r is None:
                self._unexpected(self.profile.reserved_write, "write to reserved space",
                                 "reserved", offset + i, 1, "W", (value >> 8 * i) & 0xFF,
                                 "reserved: writes have no effect")
                i += 1
                continue
            n = min(r.end - o, size - i)
            part = (value >> (8 * i)) & ((1 << (8 * n)) - 1)
            self._write_reg(r, loc, part, o - r.offset, n, offset + i)
            i += n

    # -- generic paths ---------------------------------------------------------------------

    def _check_shape(self, offset: int, size: int, direction: str, value: int) -> None:
        off = offset & 0xFFF
        if self.profile.window_end_off_by_one and off + size >= LOCALITY_WINDOW:
            self._unexpected(self.profile.unaligned, "access reaching the window end",
                             CRB_REGISTERS.name_of(off) if off < DATA_BUFFER else "data buffer",
                             offset, size, direction, value,
                             "offset + width >= 0x1000 is rejected (off-by-one)")
        elif offset % size:
            self._unexpected(self.profile.unaligned, "unaligned access",
                             CRB_REGISTERS.name_of(off) if off < DATA_BUFFER else "data buffer",
                             offset, size, direction, value,
                             "accesses must be naturally aligned")

    def _value(self, reg: Register, loc: int) -> int:
        if self._access[reg.name] is A.WO:
            return 0
        getter = self._getters.get(reg.name)
        return getter(loc) if getter is not None else self._stored[reg.name]

    def _read_bytes(self, offset: int, size: int) -> int:
        """Reads that are not one whole register: assembled byte by byte, each register's
        value taken once; reserved bytes read 0 and are reported once, as the guest's
        whole access."""
        value = 0
        cache: dict[str, int] = {}
        reserved = False
        for i in range(size):
            o = offset + i
            loc, off = o >> 12, o & 0xFFF
            if off >= DATA_BUFFER:
                byte = self.buffer[off - DATA_BUFFER] if o < self.size else 0xFF
            else:
                r = self._at[off]
                if r is None:
                    reserved = True
                    continue
                key = f"{loc}:{r.name}"
                if key not in cache:
                    cache[key] = self._value(r, loc)
                byte = (cache[key] >> (8 * (off - r.offset))) & 0xFF
            value |= byte << (8 * i)
        if reserved:
            self._unexpected(self.profile.reserved_read, "read of reserved space",
                             self.register_name(offset), offset, size, "R", value,
                             "reserved: reads return 0")
        return value

    def _write_reg(self, reg: Register, loc: int, value: int, start: int, n: int,
                   offset: int) -> None:
        name = reg.name
        handled = self.profile.handled_writes
        if handled is not None and name not in handled:
            self._unexpected(self.profile.unhandled_write, "write to a register the model "
                             "does not handle", name, offset, n, "W", value,
                             f"writes are handled only for {', '.join(sorted(handled))}")
            return
        access = self._access[name]
        if access is A.RO:
            self._unexpected(self.profile.readonly_write, "write to a read-only register",
                             name, offset, n, "W", value, f"{name} is read-only")
            return
        if name in self.profile.locality_gated and loc != self.active:
            self._warn("write from a locality that is not active", name, offset, n, "W",
                       value, f"{name} writes count only from the active locality "
                       f"({'none' if self.active is None else self.active}); ignored")
            return
        shift = 8 * start
        mask = ((1 << (8 * n)) - 1) << shift
        v = (value << shift) & mask
        handler = self._handlers.get(name)
        if handler is not None:
            handler(loc, v)
        elif access is A.RW:
            self._stored[name] = (self._stored[name] & ~mask) | v
        elif access is A.RW1C:
            self._stored[name] &= ~v

    def _unexpected(self, policy: str, kind: str, register: str, offset: int, width: int,
                    direction: str, value: int, rule: str) -> None:
        unexpected_access(self.recorder, policy, device=self.name, kind=kind,  # type: ignore[arg-type]
                          register=register, offset=offset, width=width,
                          direction=direction, value=value,
                          rule=f"profile {self.profile.name}: {rule}")

    def _warn(self, kind: str, register: str, offset: int, width: int, direction: str,
              value: int, rule: str) -> None:
        self.recorder.warn(ProtocolWarning(self.name, kind, register, offset, width,
                                           direction, value, rule))

    def _exact(self, name: str, loc: int, value: int, allowed: tuple[int, ...]) -> bool:
        """Under exact decoding (QEMU) only a known single value acts; others are dropped."""
        if self.profile.request_decode == "exact" and value not in allowed:
            self._warn("value not decoded", name, (loc << 12) | CRB_REGISTERS[name].offset,
                       4, "W", value, f"{self.profile.name} acts only on exactly "
                       f"{', '.join(hex(a) for a in allowed)}; ignored")
            return False
        return True

    # -- side-effect handlers, one per register ----------------------------------------------

    def _write_loc_ctrl(self, loc: int, value: int) -> None:
        allowed = (1, 2, 4, 8) if self.profile.seize else (1, 2, 8)
        if not self._exact("LOC_CTRL", loc, value, allowed):
            return
        if value & 0x4 and self.profile.seize and (self.active is None or loc > self.active):
            if self.active is not None:
                self.been_seized[self.active] = True
                self.recorder.state(self.name, f"locality {self.active} seized by {loc}")
            self._grant(loc)
        if value & 0x1:  # requestAccess
            if self.active is None:
                self._grant(loc)
            elif self.active != loc:
                self.pending.add(loc)
        if value & 0x2:  # relinquish
            self.pending.discard(loc)
            if self.active == loc:
                self.active = None
                self.recorder.state(self.name, f"locality {loc} relinquished")
                if self.pending:
                    self._grant(max(self.pending))
        if value & 0x8 and loc in (3, 4):  # resetEstablishmentBit: only localities 3, 4
            self.backend.reset_established(loc)

    def _grant(self, loc: int) -> None:
        self.recorder.state(self.name, f"locality {loc} granted")
        self.active = loc
        self.pending.discard(loc)
        self.been_seized[loc] = False

    def _write_ctrl_req(self, loc: int, value: int) -> None:
        if not self._exact("CTRL_REQ", loc, value, (1, 2)):
            return
        if value & 0x3 == 0x3:
            self._warn("cmdReady and goIdle together", "CTRL_REQ", loc << 12 | 0x40, 4,
                       "W", value, "undefined in the PTP; ignored")
            return
        if value & 0x1:
            if self.idle:
                self.recorder.state(self.name, "ready (cmdReady: tpmIdle cleared)")
            self.idle = False
        elif value & 0x2:
            if not self.idle:
                self.recorder.state(self.name, "idle (goIdle: tpmIdle set)")
            self.idle = True

    def _write_ctrl_cancel(self, loc: int, value: int) -> None:
        self.cancel = value & 1
        if self.cancel and self.started and self.profile.cancel == "backend":
            done = self.engine.cancel()
            if done is not None:
                self._finish(done)

    def _read_ctrl_start(self, loc: int) -> int:
        """START reads 1 until the command completes; each read is a completion poll."""
        if self.started:
            done = self.engine.poll()
            if done is not None:
                self._finish(done)
        return int(self.started)

    def _write_ctrl_start(self, loc: int, value: int) -> None:
        if not value & 1 or self.started:
            return
        if self.idle:
            self._warn("START while idle", "CTRL_START", loc << 12 | 0x4C, 4, "W", value,
                       "START without cmdReady (tpmIdle=1); executed as peers do")
        command, note = self._command_bytes()
        self.started = True
        self.recorder.state(self.name, f"command started (START, locality {loc})")
        if command is None:
            self.engine.start(bytes(self.buffer[:HEADER_SIZE]), loc, note,
                              local_rc=TPM_RC_COMMAND_SIZE)
        else:
            self.engine.start(command, loc, note)
        if self.engine.polls_left == 0:  # no latency: done before the guest looks
            done = self.engine.poll()
            if done is not None:
                self._finish(done)

    def _finish(self, done: Completion) -> None:
        response = done.response
        limit = self._stored["RSP_SIZE"]
        if len(response) > limit:
            self._warn("response larger than the buffer", "RSP_SIZE", 0x64, 4, "R",
                       len(response), f"response of {len(response)} bytes truncated")
            response = response[:limit]
        self.buffer[:len(response)] = response
        self.tpm_sts = self.tpm_sts or done.fatal
        self.bytes_written = 0
        self.started = False
        self.recorder.state(self.name, "command complete (START cleared)"
                            + (", tpmSts set" if done.fatal else ""))

    def _command_bytes(self) -> tuple[bytes | None, str]:
        """The octets the TPM receives, per the profile's command_length rule.

        'header': exactly the header's commandSize (TPM 2.0 part 3, 5.2).
        'cmd_size_register': the CMD_SIZE value (bhyve at review time).
        'bytes_written': as many bytes as the guest wrote (Cloud Hypervisor).
        Whatever the rule, fewer than 10 octets (no complete header; swtpm would wait for
        more and the machine would hang) or, for 'header', more than CMD_SIZE are answered
        TPM_RC_COMMAND_SIZE by the interface and never reach the TPM. None = rejected.
        """
        rule = self.profile.command_length
        cmd_size = min(self._stored["CMD_SIZE"], BUFFER_SIZE)
        if rule == "cmd_size_register":
            n, note, limit = cmd_size, f"length = CMD_SIZE register ({cmd_size})", cmd_size
        elif rule == "bytes_written":
            n, note, limit = self.bytes_written, "length = bytes written", BUFFER_SIZE
        else:
            n, note, limit = int.from_bytes(self.buffer[2:6], "big"), "", cmd_size
        if not HEADER_SIZE <= n <= limit:
            self._warn("bad command length", "DATA_BUFFER", DATA_BUFFER + 2, 4, "W", n,
                       f"command length {n} outside {HEADER_SIZE}..{limit} ({rule}): "
                       "answered TPM_RC_COMMAND_SIZE by the interface, not sent to the TPM")
            return None, f"length {n} rejected by the interface"
        return bytes(self.buffer[:n]), note

    # -- naming, for traces and reports -------------------------------------------------------

    def register_name(self, offset: int) -> str:
        off = offset & 0xFFF
        if off >= DATA_BUFFER:
            return "DATA_BUFFER"
        return CRB_REGISTERS.name_of(off)

    def decode(self, offset: int, width: int, value: int, direction: str) -> str:
        """Name the bits of a whole-register access (a write to a read-only register
        changes nothing, so its bits are not named)."""
        off = offset & 0xFFF
        reg = CRB_REGISTERS.by_offset.get(off) if off < DATA_BUFFER else None
        if reg is None or reg.width < width or (direction == "W" and
                                                self._access[reg.name] is A.RO):
            return ""
        return reg.decode(value)

