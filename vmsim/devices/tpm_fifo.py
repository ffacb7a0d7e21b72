"""TPM 2.0 FIFO interface (TIS 1.3 / PTP FIFO), TCG PC Client PTP section 6.4.

Five locality windows over one TPM. ACCESS is per locality; the command state machine
(idle -> ready -> reception -> execution -> completion) is the TPM's, driven from the
active locality. STS is computed when read (burstCount, expect, dataAvail from the
state), never stored. Interrupts are not delivered, but their enable/status bits are kept.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from vmsim.devices.access_policy import unexpected_access
from vmsim.devices.registers import Access, Field, Register, RegisterMap
from vmsim.devices.tpm_common import (
    LOCALITY_WINDOW,
    CommandEngine,
    Completion,
    established_bit,
)
from vmsim.profiles import Profile
from vmsim.tpm.backend import TpmBackend
from vmsim.tpm.commands import HEADER_SIZE, TPM_RC_COMMAND_SIZE
from vmsim.trace import ProtocolWarning, Recorder

__all__ = ["FIFO_BUFFER_SIZE", "FIFO_REGISTERS", "FifoState", "TpmFifo"]

FIFO_BUFFER_SIZE = 4096  # what swtpm accepts (SET_BUFFERSIZE default)
RESERVED_VALUE = 0xFF  # TIS: unimplemented locations read all-ones
STS_FAMILY_TPM2 = 1 << 26

A = Access
FIFO_REGISTERS = RegisterMap("FIFO", LOCALITY_WINDOW, (
    # ACCESS, INT_VECTOR and RID are 1-byte registers; their 4-byte slots read the
    # register in the low byte and zeros above (as QEMU), not reserved all-ones.
    Register("ACCESS", 0x00, 4, A.CMD, 0x81, (
        Field("tpmEstablishment", 0), Field("requestUse", 1), Field("pendingRequest", 2),
        Field("seize", 3), Field("beenSeized", 4), Field("activeLocality", 5),
        Field("tpmRegValidSts", 7))),
    # typePolarity resets to low level (0x08), the mode INTF_CAPABILITY advertises.
    Register("INT_ENABLE", 0x08, 4, A.RW, 0x08, (
        Field("dataAvailIntEnable", 0), Field("stsValidIntEnable", 1),
        Field("localityChangeIntEnable", 2), Field("typePolarity", 3, 2),
        Field("commandReadyEnable", 7), Field("globalIntEnable", 31))),
    Register("INT_VECTOR", 0x0C, 4, A.RW, 0, (Field("sirqVec", 0, 4),)),
    Register("INT_STATUS", 0x10, 4, A.RW1C, 0, (
        Field("dataAvailIntOccured", 0), Field("stsValidIntOccured", 1),
        Field("localityChangeIntOccured", 2), Field("commandReadyIntOccured", 7))),
    Register("INTF_CAPABILITY", 0x14, 4, A.RO, 0, (
        Field("dataAvailIntSupport", 0), Field("stsValidIntSupport", 1),
        Field("localityChangeIntSupport", 2), Field("interruptLevelHigh", 3),
        Field("interruptLevelLow", 4), Field("interruptEdgeRising", 5),
        Field("interruptEdgeFalling", 6), Field("commandReadyIntSupport", 7),
        Field("burstCountStatic", 8), Field("dataTransferSizeSupport", 9, 2),
        Field("InterfaceVersion", 28, 3))),
    Register("STS", 0x18, 4, A.CMD, 0, (
        Field("responseRetry", 1), Field("selfTestDone", 2), Field("Expect", 3),
        Field("dataAvail", 4), Field("tpmGo", 5), Field("commandReady", 6),
        Field("stsValid", 7), Field("burstCount", 8, 16), Field("commandCancel", 24),
        Field("resetEstablishmentBit", 25), Field("tpmFamily", 26, 2))),
    Register("DATA_FIFO", 0x24, 4, A.CMD, 0),
    Register("INTERFACE_ID", 0x30, 4, A.CMD, 0, (
        Field("InterfaceType", 0, 4), Field("InterfaceVersion", 4, 4),
        Field("CapLocality", 8), Field("CapTIS", 11), Field("CapCRB", 12),
        Field("CapFIFO", 13), Field("CapIFRes", 15, 2), Field("InterfaceSelector", 17, 2),
        Field("IntfSelLock", 19))),
    Register("XDATA_FIFO", 0x80, 4, A.CMD, 0),  # and on to 0xBF: every byte is the FIFO
    Register("DID_VID", 0xF00, 4, A.RO, 0, (Field("VID", 0, 16), Field("DID", 16, 16))),
    Register("RID", 0xF04, 4, A.RO, 0),
))
XDATA_END = 0xC0
# Registers each locality has its own copy of (PTP 6.4: the interrupt registers).
PER_LOCALITY = ("INT_ENABLE", "INT_VECTOR", "INT_STATUS")
# Bits a write can change; the rest keep their value. typePolarity stays low level, the
# only mode INTF_CAPABILITY offers; the SIRQ vector is 4 bits.
WRITABLE_BITS = {"INT_ENABLE": 0xFFFFFFFF & ~0x18, "INT_VECTOR": 0x0F}


class FifoState(enum.Enum):
    IDLE = "idle"
    READY = "ready"
    RECEPTION = "reception"
    EXECUTION = "execution"
    COMPLETION = "completion"


class TpmFifo:
    """FIFO/TIS device model; differences between peers come from the Profile."""

    name = "tpm-tis"
    interface = "tis"

    def __init__(self, backend: TpmBackend, profile: Profile, recorder: Recorder,
                 engine: CommandEngine | None = None) -> None:
        self.backend = backend
        self.engine = engine or CommandEngine(backend, recorder, self.name)
        self.profile = profile
        self.recorder = recorder
        self.size = LOCALITY_WINDOW * profile.localities
        self._access_size = 4
        self._stored = {r.name: r.reset for r in FIFO_REGISTERS.registers}
        self._stored.update(INTF_CAPABILITY=profile.fifo_intf_capability,
                            INTERFACE_ID=profile.fifo_interface_id,
                            DID_VID=profile.fifo_did_vid, RID=profile.fifo_rid)
        self._getters: dict[str, Callable[[int], int]] = {
            "ACCESS": self._read_access, "STS": self._read_sts,
        }
        self._handlers: dict[str, Callable[[int, int, int], None]] = {
            "ACCESS": self._write_access, "STS": self._write_sts,
            "INTERFACE_ID": self._write_interface_id,
        }
        self.reset()

    @property
    def state(self) -> FifoState:
        return self._state

    @state.setter
    def state(self, new: FifoState) -> None:
        """Every transition of the command state machine is a trace event."""
        old = getattr(self, "_state", None)
        self._state = new
        if old is not None and old is not new:
            self.recorder.state(self.name, f"{old.value} -> {new.value}")

    def reset(self) -> None:
        self.active: int | None = None
        self.requesting: set[int] = set()
        self.been_seized = [False] * self.profile.localities
        self.state = FifoState.IDLE
        self.command = bytearray()
        self.response = b""
        self.read_pos = 0
        self.per_loc = {name: [FIFO_REGISTERS[name].reset] * self.profile.localities
                        for name in PER_LOCALITY}

    # -- computed registers ----------------------------------------------------------------

    def _read_access(self, loc: int) -> int:
        v = 0x80 | established_bit(self.profile.established_bit, self.backend)
        if loc in self.requesting:
            v |= 0x02
        if self.active == loc and self.requesting - {loc}:
            v |= 0x04  # pendingRequest: another locality wants the TPM
        if self.been_seized[loc]:
            v |= 0x10
        if self.active == loc:
            v |= 0x20
        return v

    def _expected(self) -> int | None:
        if len(self.command) < 6:
            return None
        return int.from_bytes(self.command[2:6], "big")

    def _burst(self) -> int:
        st = self.state
        if st in (FifoState.READY, FifoState.RECEPTION):
            n = FIFO_BUFFER_SIZE - len(self.command)
        elif st is FifoState.COMPLETION:
            n = len(self.response) - self.read_pos
        else:
            n = 0
        cap = self.profile.fifo_burst_max
        if (self._access_size == 1 and self.profile.fifo_narrow_burst_cap
                and st is not FifoState.COMPLETION):
            cap = min(cap, 0xFF) if cap else 0xFF
        return min(n, cap) if cap else min(n, 0xFFFF)

    def _read_sts(self, loc: int) -> int:
        if self.state is FifoState.EXECUTION:  # each STS read is a completion poll
            done = self.engine.poll()
            if done is not None:
                self._complete(done)
        st = self.state
        v = STS_FAMILY_TPM2 | (self._burst() << 8)
        if st in (FifoState.RECEPTION, FifoState.EXECUTION, FifoState.COMPLETION):
            v |= 0x80  # stsValid: Expect and dataAvail mean something once data moves
        if st is FifoState.READY:
            v |= 0x40
        elif st is FifoState.RECEPTION:
            want = self._expected()
            if want is None or len(self.command) < want:
                v |= 0x08  # Expect: the TPM wants more bytes
        elif st is FifoState.COMPLETION and self.read_pos < len(self.response):
            v |= 0x10  # dataAvail
        return v

    # -- guest access entry points ---------------------------------------------------------

    def read(self, offset: int, size: int) -> int:
        loc, off = offset >> 12, offset & 0xFFF
        if offset % size:
            self._unexpected(self.profile.unaligned, "unaligned access", offset, size, "R", 0,
                             "accesses must be naturally aligned")
        if 0x24 <= off < 0x28 or 0x80 <= off < XDATA_END:
            return self._fifo_read(loc, offset, size)
        value = 0
        self._access_size = size
        for i in range(size):
            value |= self._read_byte(loc, off + i, offset) << (8 * i)
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        loc, off = offset >> 12, offset & 0xFFF
        if offset % size:
            self._unexpected(self.profile.unaligned, "unaligned access", offset, size, "W",
                             value, "accesses must be naturally aligned")
        if 0x24 <= off < 0x28 or 0x80 <= off < XDATA_END:
            self._fifo_write(loc, offset, size, value)
            return
        reg = FIFO_REGISTERS.at(off)
        if reg is None or off + size > reg.end:
            self._unexpected(self.profile.reserved_write, "write to reserved space", offset,
                             size, "W", value, "reserved: writes have no effect")
            return
        access = reg.access
        if access is A.RO:
            self._unexpected(self.profile.readonly_write, "write to a read-only register",
                             offset, size, "W", value, f"{reg.name} is read-only")
            return
        shift = 8 * (off - reg.offset)
        v = (value << shift) & (((1 << (8 * size)) - 1) << shift)
        handler = self._handlers.get(reg.name)
        if handler is not None:
            handler(loc, v, offset)
        elif access is A.RW1C:
            self.per_loc[reg.name][loc] &= ~v
        else:
            mask = (((1 << (8 * size)) - 1) << shift) & WRITABLE_BITS.get(reg.name, ~0)
            store = self.per_loc.get(reg.name)
            if store is not None:
                store[loc] = (store[loc] & ~mask) | (v & mask)
            else:
                self._stored[reg.name] = (self._stored[reg.name] & ~mask) | (v & mask)

    # -- generic paths -----------------------------------------------------------------------

    def _read_byte(self, loc: int, off: int, offset: int) -> int:
        reg = FIFO_REGISTERS.at(off) if off < LOCALITY_WINDOW else None
        if reg is None:
            self._unexpected(self.profile.reserved_read, "read of reserved space", offset, 1,
                             "R", RESERVED_VALUE, "reserved: reads return 0xFF")
            return RESERVED_VALUE
        if reg.name == "STS" and self.active != loc:
            return 0xFF  # STS of a locality that is not active reads all-ones
        getter = self._getters.get(reg.name)
        if getter is not None:
            v = getter(loc)
        elif reg.name in self.per_loc:
            v = self.per_loc[reg.name][loc]
        else:
            v = self._stored[reg.name]
        return (v >> (8 * (off - reg.offset))) & 0xFF

    def _unexpected(self, policy: str, kind: str, offset: int, width: int, direction: str,
                    value: int, rule: str) -> None:
        unexpected_access(self.recorder, policy, device=self.name, kind=kind,  # type: ignore[arg-type]
                          register=self.register_name(offset), offset=offset, width=width,
                          direction=direction, value=value,
                          rule=f"profile {self.profile.name}: {rule}")

    def _warn(self, kind: str, register: str, offset: int, width: int, direction: str,
              value: int, rule: str) -> None:
        self.recorder.warn(ProtocolWarning(self.name, kind, register, offset, width,
                                           direction, value, rule))

    # -- the FIFO ------------------------------------------------------------------------

    def _fifo_read(self, loc: int, offset: int, size: int) -> int:
        if self.active != loc:
            return (1 << (8 * size)) - 1
        if self.state is not FifoState.COMPLETION or self.read_pos + size > len(self.response):
            self._warn("FIFO read with no data", "DATA_FIFO", offset, size, "R", 0,
                       f"state {self.state.value}, {len(self.response) - self.read_pos} "
                       "response bytes left: reads 0xFF")
        value = 0
        for i in range(size):
            if self.state is FifoState.COMPLETION and self.read_pos < len(self.response):
                byte = self.response[self.read_pos]
                self.read_pos += 1
            else:
                byte = 0xFF
            value |= byte << (8 * i)
        return value

    def _fifo_write(self, loc: int, offset: int, size: int, value: int) -> None:
        if self.active != loc:
            self._warn("FIFO write from a locality that is not active", "DATA_FIFO", offset,
                       size, "W", value, "dropped")
            return
        if self.state not in (FifoState.READY, FifoState.RECEPTION):
            self._warn("FIFO write outside reception", "DATA_FIFO", offset, size, "W", value,
                       f"state {self.state.value}: commandReady first; dropped")
            return
        data = value.to_bytes(size, "little")
        self.state = FifoState.RECEPTION
        want = self._expected()
        for byte in data:
            if len(self.command) >= FIFO_BUFFER_SIZE or (want is not None and
                                                          len(self.command) >= want):
                self._warn("FIFO overrun", "DATA_FIFO", offset, size, "W", value,
                           "bytes beyond commandSize (Expect was clear) are dropped")
                return
            self.command.append(byte)
            want = self._expected()

    # -- side-effect handlers ------------------------------------------------------------

    def _write_access(self, loc: int, value: int, offset: int) -> None:
        if value & 0x10:  # beenSeized: write 1 to clear
            self.been_seized[loc] = False
        if value & 0x08 and (self.active is None or loc > self.active):  # seize
            if self.active is not None:
                self.been_seized[self.active] = True
            self._grant(loc)
        if value & 0x02:  # requestUse
            if self.active is None:
                self._grant(loc)
            elif self.active != loc:
                self.requesting.add(loc)
        if value & 0x20 and self.active == loc:  # activeLocality: write 1 = relinquish
            self.active = None
            self.recorder.state(self.name, f"locality {loc} released")
            self.requesting.discard(loc)
            if self.profile.fifo_idle_on_release:
                self._idle()
            if self.requesting:
                self._grant(max(self.requesting))

    def _grant(self, loc: int) -> None:
        if self.active is not None and self.active != loc:
            self.recorder.state(self.name, f"locality {self.active} seized by {loc}")
            self._idle()
        self.recorder.state(self.name, f"locality {loc} active")
        self.active = loc
        self.requesting.discard(loc)

    def _idle(self) -> None:
        self.state = FifoState.IDLE
        self.command = bytearray()
        self.response = b""
        self.read_pos = 0

    def _write_interface_id(self, loc: int, value: int, offset: int) -> None:
        """InterfaceSelector can only name FIFO here (no CRB behind it); IntfSelLock
        (b19) is set-once: firmware locks the choice, as SeaBIOS does."""
        if value & (1 << 19):
            self._stored["INTERFACE_ID"] |= 1 << 19
        if (value >> 17) & 3:
            self._warn("interface selector names an absent interface", "INTERFACE_ID",
                       offset, 4, "W", value, "only the FIFO interface exists; ignored")

    def _write_sts(self, loc: int, value: int, offset: int) -> None:
        if self.active != loc:
            self._warn("STS write from a locality that is not active", "STS", offset, 4, "W",
                       value, "dropped")
            return
        if value & (1 << 25) and loc in (3, 4):  # resetEstablishmentBit
            self.backend.reset_established(loc)
        if value & (1 << 24) and self.state is FifoState.EXECUTION and \
                self.profile.cancel == "backend":  # commandCancel
            self._cancel()
        if value & 0x40:  # commandReady
            if self.state is FifoState.EXECUTION:
                self.engine.cancel()  # aborts the running command, as QEMU does
            self.state = FifoState.READY
            self.command = bytearray()
            self.response = b""
            self.read_pos = 0
        if value & 0x20:  # tpmGo
            self._go(loc, offset, value)
        if value & 0x02 and self.state is FifoState.COMPLETION:  # responseRetry
            self.read_pos = 0

    def _go(self, loc: int, offset: int, value: int) -> None:
        want = self._expected()
        if self.state is not FifoState.RECEPTION or want is None or len(self.command) != want:
            self._warn("tpmGo without a complete command", "STS", offset, 4, "W", value,
                       f"state {self.state.value}, {len(self.command)} of "
                       f"{want if want is not None else '?'} bytes: ignored")
            return
        self.state = FifoState.EXECUTION
        if want < HEADER_SIZE:  # never send swtpm less than a header: it would wait
            self.engine.start(bytes(self.command), loc, local_rc=TPM_RC_COMMAND_SIZE)
        else:
            self.engine.start(bytes(self.command), loc)
        if self.engine.polls_left == 0:
            done = self.engine.poll()
            if done is not None:
                self._complete(done)

    def _complete(self, done: Completion) -> None:
        self.response = done.response
        self.state = FifoState.COMPLETION
        self.read_pos = 0

    def _cancel(self) -> None:
        done = self.engine.cancel()
        if done is not None:
            self._complete(done)

    # -- naming, for traces and reports ----------------------------------------------------------

    def register_name(self, offset: int) -> str:
        off = offset & 0xFFF
        if 0x80 <= off < XDATA_END:
            return "XDATA_FIFO"
        return FIFO_REGISTERS.name_of(off)

    def decode(self, offset: int, width: int, value: int, direction: str) -> str:
        reg = FIFO_REGISTERS.by_offset.get(offset & 0xFFF)
        if reg is None or reg.name in ("DATA_FIFO", "XDATA_FIFO") or (
                direction == "W" and reg.access is A.RO):
            return ""
        return reg.decode(value)
