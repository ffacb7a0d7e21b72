"""qtest-style scripts: drive a TPM interface model with no guest, one access per line.

Teaching and regression checks want a driver's exact register sequence without compiling
a driver. A script names each access; vmsim performs it on the same device model a guest
reaches and prints the same annotated trace as ``vmsim run --trace`` (with no RIP).

Language (one command per line; '#' starts a comment; numbers are 0x.. hex or decimal):

    read8|read16|read32|read64 ADDR          one access (read64: two 32-bit, low first)
    write8|write16|write32|write64 ADDR VALUE
    send HEX                                 a whole command cycle, as a driver does it
    expect REG VALUE | expect REG & MASK == VALUE   read REG at its width and compare
    poll REG VALUE | poll REG & MASK == VALUE       read until equal (10000 reads at most)
    expect-rc VALUE|NAME                     response code of the last TPM response
    locality N                               default locality for names and send
    echo TEXT                                narration

ADDR is physical (0xfed40000 + offset) or a register name, optionally with a locality
prefix and a byte offset: ``LOC_STATE``, ``loc2.LOC_CTRL``, ``DATA_BUFFER+6``.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TextIO

from vmsim.devices.registers import RegisterMap
from vmsim.devices.tpm_common import LOCALITY_WINDOW, TPM_BASE
from vmsim.devices.tpm_crb import BUFFER_SIZE, CRB_REGISTERS, DATA_BUFFER, TpmCrb
from vmsim.devices.tpm_fifo import FIFO_BUFFER_SIZE, FIFO_REGISTERS, XDATA_END, TpmFifo
from vmsim.errors import VmsimError
from vmsim.profiles import SPEC, Profile
from vmsim.stop import EXIT_BACKEND_LOST, EXIT_USAGE, MachineStop, StopReason
from vmsim.tpm.backend import BackendLost, TpmBackend
from vmsim.tpm.commands import HEADER_SIZE, RESPONSE_CODES, rc_name
from vmsim.tpm.swtpm import SpawnedSwtpm
from vmsim.trace import BackendEvent, MmioAccess, Recorder, TpmCommand, text_sink

__all__ = ["EXIT_FAILED", "POLL_LIMIT", "PROMPT", "ScriptError", "Session", "run_script"]

EXIT_FAILED = 1
POLL_LIMIT = 10000
PROMPT = "vmsim> "
TPM_RC_CANCELED = 0x909

# FIFO registers the PTP defines as one byte; the map gives each its 4-byte slot. Drivers
# read them with 1-byte accesses, so `expect ACCESS ...` does too.
_NATURAL = {"ACCESS": 1, "INT_VECTOR": 1, "RID": 1}
_DEVICES: dict[str, type[TpmCrb] | type[TpmFifo]] = {"crb": TpmCrb, "tis": TpmFifo}
# The TPM's buffer follows the interface's, as in `vmsim run` (SET_BUFFERSIZE).
_BUFFER_SIZES = {"crb": BUFFER_SIZE, "tis": FIFO_BUFFER_SIZE}
_MAPS: dict[str, RegisterMap] = {"crb": CRB_REGISTERS, "tis": FIFO_REGISTERS}
WIDTHS = {"8": 1, "16": 2, "32": 4, "64": 8}
COMMANDS = ("read8", "read16", "read32", "read64", "write8", "write16", "write32", "write64",
            "send", "expect", "poll", "expect-rc", "locality", "echo")

_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)")
_NAME = re.compile(r"(?:[lL][oO][cC](\d+)\.)?([A-Za-z_][A-Za-z0-9_]*)(?:\+(\S+))?")
_ACCESS = re.compile(r"(read|write)(8|16|32|64)")
_MASKED = re.compile(r"(\S+?)\s*&\s*(\S+?)\s*==\s*(\S+)")
_RC_NAMES = {name: code for code, (name, _) in RESPONSE_CODES.items()}

# CRB status bits (PTP 6.5.2) and FIFO status/access bits (PTP 6.4.2) that `send` uses.
CRB_GRANTED, CRB_TPM_IDLE = 0x1, 0x2
FIFO_ACTIVE, FIFO_REQUEST_USE = 0x20, 0x02
STS_VALID, STS_COMMAND_READY, STS_GO, STS_DATA_AVAIL, STS_EXPECT = 0x80, 0x40, 0x20, 0x10, 0x08


class ScriptError(Exception):
    """A line vmsim cannot run (status 125) or a check that did not hold (status 1)."""

    def __init__(self, message: str, status: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.status = status


def _failed(message: str) -> ScriptError:
    return ScriptError(message, EXIT_FAILED)


# -- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Area:
    """A name a script may use: a register, or a data area (CRB buffer, XDATA_FIFO)."""

    name: str
    offset: int
    extent: int  # bytes NAME+N may reach
    width: int  # the register's natural width


@dataclass(frozen=True)
class Target:
    """Where an access goes; a name without a locality prefix follows `locality N`."""

    text: str
    offset: int  # inside one locality window, or the whole device for a physical address
    locality: int | None  # None: the script's current locality (names only)
    physical: bool
    width: int  # natural width, for expect and poll

    def device_offset(self, current: int) -> int:
        if self.physical:
            return self.offset
        loc = current if self.locality is None else self.locality
        return loc * LOCALITY_WINDOW + self.offset


def _areas(interface: str) -> dict[str, _Area]:
    regs = _MAPS[interface]
    areas = {r.name: _Area(r.name, r.offset, r.width, _NATURAL.get(r.name, r.width))
             for r in regs.registers}
    if interface == "crb":
        areas["DATA_BUFFER"] = _Area("DATA_BUFFER", DATA_BUFFER, BUFFER_SIZE, 4)
    else:
        xdata = FIFO_REGISTERS["XDATA_FIFO"].offset
        areas["XDATA_FIFO"] = _Area("XDATA_FIFO", xdata, XDATA_END - xdata, 4)
    return areas


def _aligned_width(offset: int, room: int) -> int:
    """The widest naturally aligned access (at most 4 bytes) at offset within room."""
    return next(w for w in (4, 2, 1) if offset % w == 0 and w <= room)


def parse_number(token: str, what: str = "number") -> int:
    """0x.. hex or decimal, nothing else (no octal surprises from a leading zero)."""
    if not _NUMBER.fullmatch(token):
        raise ScriptError(f"bad {what} {token!r}: give 0x.. hex or decimal")
    return int(token, 16) if token[:2].lower() == "0x" else int(token, 10)


class _Parser:
    """Turns lines into commands; knows the interface's names and the window's size."""

    def __init__(self, interface: str, localities: int) -> None:
        self.interface = interface
        self.localities = localities
        self.areas = _areas(interface)
        self._upper = {n.upper(): a for n, a in self.areas.items()}
        self._regs = _MAPS[interface]

    def target(self, token: str) -> Target:
        if token[:1].isdigit():
            addr = parse_number(token, "address")
            end = TPM_BASE + self.localities * LOCALITY_WINDOW
            if not TPM_BASE <= addr < end:
                raise ScriptError(f"address {addr:#x} is outside the TPM window "
                                  f"{TPM_BASE:#x}-{end - 1:#x} (give 0xfed40000 + offset or "
                                  "a register name)")
            offset = addr - TPM_BASE
            off = offset % LOCALITY_WINDOW
            area = self._area_at(off)
            if area is None:
                width = _aligned_width(off, LOCALITY_WINDOW - off)
            elif off == area.offset:
                width = area.width
            else:
                width = _aligned_width(off, area.offset + area.extent - off)
            return Target(token, offset, None, True, width)
        m = _NAME.fullmatch(token)
        if m is None:
            raise ScriptError(f"bad address {token!r}: give 0xfed40000 + offset, or a register "
                              "name such as LOC_STATE, loc1.ACCESS or DATA_BUFFER+4")
        loc_text, name, plus = m.groups()
        area = self._upper.get(name.upper())
        if area is None:
            raise ScriptError(self._unknown(name))
        loc = None
        if loc_text is not None:
            loc = int(loc_text)
            if loc >= self.localities:
                raise ScriptError(f"locality {loc} in {token!r}: this TPM has localities "
                                  f"0-{self.localities - 1}")
        extra = 0 if plus is None else parse_number(plus, "offset")
        if extra >= area.extent:
            raise ScriptError(f"{token!r}: {area.name} is {area.extent} bytes long; "
                              f"+{extra} lies past it")
        width = area.width if extra == 0 else _aligned_width(area.offset + extra,
                                                             area.extent - extra)
        return Target(token, area.offset + extra, loc, False, width)

    def _area_at(self, off: int) -> _Area | None:
        for a in self.areas.values():
            if a.offset <= off < a.offset + a.extent:
                return a
        return None

    def _unknown(self, name: str) -> str:
        names = list(self.areas)
        close = difflib.get_close_matches(name.upper(), names, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        return (f"unknown register {name!r} for the {self.interface} interface; {hint}"
                f"valid names: {shown}")

    def line(self, text: str) -> _Command | None:
        """One line of a script; None for blank and comment lines."""
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            return None
        parts = stripped.split(None, 1)
        word, rest = parts[0], parts[1] if len(parts) > 1 else ""
        cmd = word.lower()
        if cmd == "echo":
            return _Echo(rest.rstrip())
        rest = rest.split("#", 1)[0].strip()
        args = rest.split()
        access = _ACCESS.fullmatch(cmd)
        if access is not None:
            is_read = access.group(1) == "read"
            width = WIDTHS[access.group(2)]
            self._count(cmd, args, 1 if is_read else 2, "ADDR" if is_read else "ADDR VALUE")
            target = self.target(args[0])
            self._fits(target, width)
            if is_read:
                return _Read(target, width)
            value = parse_number(args[1], "value")
            if value >> (8 * width):
                raise ScriptError(f"value {value:#x} does not fit in {8 * width} bits")
            return _Write(target, width, value)
        if cmd == "send":
            return _Send(self._hex(rest))
        if cmd in ("expect", "poll"):
            return self._check(cmd, rest)
        if cmd == "expect-rc":
            self._count(cmd, args, 1, "VALUE")
            if args[0].upper() in _RC_NAMES:
                return _ExpectRc(_RC_NAMES[args[0].upper()])
            return _ExpectRc(parse_number(args[0], "response code"))
        if cmd == "locality":
            self._count(cmd, args, 1, "N")
            loc = parse_number(args[0], "locality")
            if loc >= self.localities:
                raise ScriptError(f"locality {loc}: this TPM has localities "
                                  f"0-{self.localities - 1}")
            return _Locality(loc)
        close = difflib.get_close_matches(cmd, COMMANDS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ScriptError(f"unknown command {word!r}{hint}; commands: {', '.join(COMMANDS)}")

    @staticmethod
    def _count(cmd: str, args: list[str], n: int, usage: str) -> None:
        if len(args) != n:
            raise ScriptError(f"{cmd} takes {usage}; got {len(args)} argument(s)")

    def _fits(self, target: Target, width: int) -> None:
        limit = self.localities * LOCALITY_WINDOW if target.physical else LOCALITY_WINDOW
        if target.offset + width > limit:
            raise ScriptError(f"a {width}-byte access at {target.text} runs past the end of "
                              "the TPM window")

    def _check(self, cmd: str, rest: str) -> _Command:
        m = _MASKED.fullmatch(rest)
        if m is not None:
            reg, mask_text, want_text = m.groups()
        else:
            args = rest.split()
            if len(args) != 2:
                raise ScriptError(f"{cmd} takes REG VALUE or REG & MASK == VALUE")
            reg, mask_text, want_text = args[0], None, args[1]
        target = self.target(reg)
        width = target.width
        self._fits(target, width)
        full = (1 << (8 * width)) - 1
        mask = full if mask_text is None else parse_number(mask_text, "mask")
        want = parse_number(want_text, "value")
        if mask & ~full or want & ~full:
            raise ScriptError(f"{cmd} {target.text}: the register is {8 * width} bits wide")
        if want & ~mask:
            raise ScriptError(f"{cmd} {target.text}: value {want:#x} has bits outside mask "
                              f"{mask:#x}, so it can never hold")
        return _Check(target, width, mask, want, cmd == "poll", mask_text is not None)

    def _hex(self, rest: str) -> bytes:
        text = "".join(rest.split())
        if not text:
            raise ScriptError("send takes the command as hex, e.g. send 80010000000c0000017b0008")
        if len(text) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", text):
            raise ScriptError(f"send: malformed hex {text[:40]!r}: give an even number of hex "
                              "digits (spaces allowed)")
        data = bytes.fromhex(text)
        limit = _BUFFER_SIZES[self.interface]
        if len(data) > limit:
            raise ScriptError(f"send: {len(data)} bytes do not fit the {limit}-byte buffer")
        return data


# -- commands -----------------------------------------------------------------------------


class _Command:
    def run(self, s: Session) -> None:
        raise NotImplementedError


@dataclass
class _Read(_Command):
    target: Target
    width: int

    def run(self, s: Session) -> None:
        offset = self.target.device_offset(s.locality)
        value = s.read(offset, self.width)
        if self.width == 8:  # the two halves, put together and named as one register
            reg = s.regmap.by_offset.get(offset % LOCALITY_WINDOW)
            decoded = reg.decode(value) if reg is not None and reg.width == 8 else ""
            name = s.device.register_name(offset)
            s.say(f"  {name} = {value:#018x}" + (f"  [{decoded}]" if decoded else ""))


@dataclass
class _Write(_Command):
    target: Target
    width: int
    value: int

    def run(self, s: Session) -> None:
        s.write(self.target.device_offset(s.locality), self.width, self.value)


@dataclass
class _Send(_Command):
    command: bytes

    def run(self, s: Session) -> None:
        response = s.send(self.command)
        rc = int.from_bytes(response[6:10], "big") if len(response) >= HEADER_SIZE else None
        s.last_rc = rc
        s.say(f"response: {response.hex()}  "
              + (rc_name(rc) if rc is not None else f"(short response, {len(response)} bytes)"))


@dataclass
class _Check(_Command):
    target: Target
    width: int
    mask: int
    want: int
    poll: bool
    masked: bool

    def run(self, s: Session) -> None:
        offset = self.target.device_offset(s.locality)
        digits = 2 * self.width + 2
        what = "poll" if self.poll else "expect"
        for n in range(1, (POLL_LIMIT if self.poll else 1) + 1):
            got = s.read(offset, self.width) & self.mask
            if got == self.want:
                cond = (f"{self.target.text} & {self.mask:#x} == {self.want:#x}" if self.masked
                        else f"{self.target.text} == {self.want:#0{digits}x}")
                s.say(f"{what} {cond}: ok" + (f" after {n} read(s)" if self.poll else ""))
                return
        again = f" after {POLL_LIMIT} reads" if self.poll else ""
        raise _failed(f"{what} {self.target.text}: got {got:#0{digits}x}{again}, "
                      f"want {self.want:#0{digits}x}")


@dataclass
class _ExpectRc(_Command):
    want: int

    def run(self, s: Session) -> None:
        if s.last_rc is None:
            raise _failed("expect-rc: no TPM response yet (send a command first)")
        if s.last_rc != self.want:
            raise _failed(f"expect-rc: got {s.last_rc:#x} ({rc_name(s.last_rc)}), "
                          f"want {self.want:#x} ({rc_name(self.want)})")
        s.say(f"expect-rc {self.want:#x}: ok ({rc_name(self.want)})")


@dataclass
class _Locality(_Command):
    locality: int

    def run(self, s: Session) -> None:
        s.locality = self.locality


@dataclass
class _Echo(_Command):
    text: str

    def run(self, s: Session) -> None:
        s.say(self.text)


# -- the device session -------------------------------------------------------------------


class Session:
    """One device model, its trace, and the script's state (locality, last response)."""

    def __init__(self, interface: str, profile: Profile, backend: TpmBackend,
                 out: TextIO, flush: bool) -> None:
        self.out = out
        self.flush = flush
        self.locality = 0
        self.last_rc: int | None = None
        emit = text_sink(out, flush=flush)

        def sink(rec: object) -> None:
            # The last response the TPM gave, whether a `send` or a hand-driven cycle
            # started it, so `expect-rc` works after both.
            if isinstance(rec, TpmCommand) and len(rec.response) >= HEADER_SIZE:
                self.last_rc = int.from_bytes(rec.response[6:10], "big")
            elif isinstance(rec, BackendEvent) and rec.kind == "cancel":
                self.last_rc = TPM_RC_CANCELED
            emit(rec)

        self.sink: Callable[[object], None] = sink
        self.recorder = Recorder(sink=sink)
        self.device = _DEVICES[interface](backend, profile, self.recorder)
        self.regmap = _MAPS[interface]
        self.interface = interface

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        if self.flush:
            self.out.flush()

    # One access, traced as the bus traces a guest's (reads after, writes before).
    def _access_read(self, offset: int, size: int) -> int:
        dev = self.device
        value = dev.read(offset, size)
        self._trace("R", offset, size, value)
        return value

    def _access_write(self, offset: int, size: int, value: int) -> None:
        self._trace("W", offset, size, value)
        self.device.write(offset, size, value)

    def _trace(self, direction: str, offset: int, size: int, value: int) -> None:
        dev = self.device
        self.recorder.mmio_accesses += 1
        self.recorder.recent.append((dev.name, direction, offset, size, value))
        self.sink(MmioAccess(dev.name, direction, offset, size, value,
                             dev.register_name(offset),
                             dev.decode(offset, size, value, direction), None))

    def read(self, offset: int, width: int) -> int:
        """A read of ``width`` bytes; 8 bytes arrive as Unicorn delivers them: +0, +4."""
        if width == 8:
            low = self._access_read(offset, 4)
            return low | (self._access_read(offset + 4, 4) << 32)
        return self._access_read(offset, width)

    def write(self, offset: int, width: int, value: int) -> None:
        if width == 8:
            self._access_write(offset, 4, value & 0xFFFFFFFF)
            self._access_write(offset + 4, 4, value >> 32)
            return
        self._access_write(offset, width, value)

    def _poll(self, what: str, offset: int, size: int, done: Callable[[int], bool]) -> int:
        for _ in range(POLL_LIMIT):
            value = self._access_read(offset, size)
            if done(value):
                return value
        raise _failed(f"send: {what} did not happen after {POLL_LIMIT} reads "
                      f"(last {self.device.register_name(offset)} {value:#x})")

    # -- send: a whole command cycle, as a driver does it --------------------------------

    def send(self, command: bytes) -> bytes:
        if self.interface == "crb":
            return self._send_crb(command)
        return self._send_fifo(command)

    def _reg(self, name: str) -> int:
        return self.locality * LOCALITY_WINDOW + self.regmap[name].offset

    def _send_crb(self, command: bytes) -> bytes:
        loc = self.locality
        if not self._access_read(self._reg("LOC_STS"), 4) & CRB_GRANTED:
            self._access_write(self._reg("LOC_CTRL"), 4, 1)  # requestAccess
            if not self._access_read(self._reg("LOC_STS"), 4) & CRB_GRANTED:
                raise _failed(f"send: locality {loc} not granted (LOC_STS.granted=0): "
                              "another locality holds the TPM; the request stays pending")
        if self._access_read(self._reg("CTRL_STS"), 4) & CRB_TPM_IDLE:
            self._access_write(self._reg("CTRL_REQ"), 4, 1)  # cmdReady
            self._poll("cmdReady (CTRL_STS.tpmIdle clear)", self._reg("CTRL_STS"), 4,
                       lambda v: not v & CRB_TPM_IDLE)
        self._access_write(self._reg("CTRL_CANCEL"), 4, 0)
        base = loc * LOCALITY_WINDOW + DATA_BUFFER
        i = 0
        while i < len(command):
            n = 4 if len(command) - i >= 4 else 1
            self._access_write(base + i, n, int.from_bytes(command[i:i + n], "little"))
            i += n
        self._access_write(self._reg("CTRL_START"), 4, 1)
        self._poll("completion (CTRL_START.start clear)", self._reg("CTRL_START"), 4,
                   lambda v: not v & 1)
        header = self._read_buffer(base, 0, HEADER_SIZE)
        size = min(max(int.from_bytes(header[2:6], "big"), HEADER_SIZE), BUFFER_SIZE)
        return header + self._read_buffer(base, HEADER_SIZE, size - HEADER_SIZE)

    def _read_buffer(self, base: int, start: int, n: int) -> bytes:
        data = bytearray()
        pos, end = start, start + n
        while pos < end:
            w = _aligned_width(pos, end - pos)
            data += self._access_read(base + pos, w).to_bytes(w, "little")
            pos += w
        return bytes(data)

    def _send_fifo(self, command: bytes) -> bytes:
        loc = self.locality
        access, sts = self._reg("ACCESS"), self._reg("STS")
        fifo = self._reg("DATA_FIFO")
        if not self._access_read(access, 1) & FIFO_ACTIVE:
            self._access_write(access, 1, FIFO_REQUEST_USE)
            if not self._access_read(access, 1) & FIFO_ACTIVE:
                raise _failed(f"send: locality {loc} not granted (ACCESS.activeLocality=0): "
                              "another locality holds the TPM; the request stays pending")
        status = self._access_read(sts, 4)
        if not status & STS_COMMAND_READY:
            self._access_write(sts, 4, STS_COMMAND_READY)
            status = self._poll("commandReady", sts, 4, lambda v: bool(v & STS_COMMAND_READY))
        sent = 0
        while sent < len(command):
            if sent:
                if not status & STS_EXPECT:
                    raise _failed(f"send: the TPM stopped expecting data after {sent} of "
                                  f"{len(command)} bytes (STS.Expect=0)")
                status = self._access_read(sts, 4)
            if not _burst(status):
                status = self._poll("burstCount > 0", sts, 4, _burst)
            for b in command[sent:sent + _burst(status)]:
                self._access_write(fifo, 1, b)
                sent += 1
            status = self._access_read(sts, 4)  # stsValid, and Expect: more wanted?
        if status & STS_EXPECT:
            raise _failed(f"send: the TPM still expects data after all {len(command)} bytes "
                          "(STS.Expect=1): commandSize is larger than the command")
        self._access_write(sts, 4, STS_GO)
        want = STS_VALID | STS_DATA_AVAIL
        status = self._poll("dataAvail", sts, 4, lambda v: v & want == want)
        header = self._read_fifo(sts, fifo, HEADER_SIZE, status)
        size = min(max(int.from_bytes(header[2:6], "big"), HEADER_SIZE), FIFO_BUFFER_SIZE)
        rest = self._read_fifo(sts, fifo, size - HEADER_SIZE, None)
        self._access_read(sts, 4)  # dataAvail should be clear now: nothing left over
        return header + rest

    def _read_fifo(self, sts: int, fifo: int, n: int, status: int | None) -> bytes:
        """n response bytes, burstCount at a time (status: an STS value just read)."""
        data = bytearray()
        while len(data) < n:
            if status is None:
                status = self._access_read(sts, 4)
            if not _burst(status):
                status = self._poll("burstCount > 0", sts, 4, _burst)
            for _ in range(min(_burst(status), n - len(data))):
                data.append(self._access_read(fifo, 1))
            status = None
        return bytes(data)


def _burst(sts: int) -> int:
    """STS.burstCount (bits 23:8): bytes the FIFO takes or gives without waiting."""
    return (sts >> 8) & 0xFFFF


# -- running ------------------------------------------------------------------------------


def _lines_with_prompt(lines: Iterable[str], out: TextIO) -> Iterator[str]:
    """Print the prompt before each line is read, so a terminal user sees it first."""
    it = iter(lines)
    while True:
        out.write(PROMPT)
        out.flush()
        try:
            yield next(it)
        except StopIteration:
            out.write("\n")
            out.flush()
            return


def run_script(lines: Iterable[str], *, source: str, interface: str = "crb",
               profile: Profile = SPEC, backend: TpmBackend | None = None,
               out: TextIO = sys.stdout, interactive: bool = False) -> int:
    """Run a script against one device model; the exit status (0, 1, 125, or a machine
    stop's status: 120 device fault, 123 time limit, 124 backend lost).

    A non-interactive script is parsed whole first, so a syntax error costs nothing and
    runs nothing. With no backend a private swtpm is started (and always stopped); a
    given backend gets the same platform reset `vmsim run` gives it.
    """
    if interface not in _DEVICES:
        raise VmsimError(f"unknown TPM interface {interface!r}; choose one of: "
                         f"{', '.join(_DEVICES)}")
    if interface not in profile.interfaces:
        raise VmsimError(f"profile {profile.name} has no {interface} interface (the peer "
                         f"offers {', '.join(sorted(profile.interfaces))})")
    err = sys.stderr
    # Someone watching (a prompt, a terminal) sees each line at once; a file is written
    # in blocks, and flushed before every error so the two streams stay in order.
    isatty = getattr(out, "isatty", None)
    flush = interactive or bool(isatty is not None and isatty())

    def report(lineno: int, message: str) -> None:
        out.flush()
        err.write(f"vmsim: script {source}:{lineno}: {message}\n")
        err.flush()

    parser = _Parser(interface, profile.localities)
    program: list[tuple[int, _Command]] = []
    if not interactive:
        for lineno, text in enumerate(lines, 1):
            try:
                cmd = parser.line(text)
            except ScriptError as e:
                report(lineno, str(e))
                return e.status
            if cmd is not None:
                program.append((lineno, cmd))

    spawned: SpawnedSwtpm | None = None
    try:
        if backend is None:
            spawned = SpawnedSwtpm()
            backend = spawned.backend
        assert backend is not None
        power_on = getattr(backend, "power_on", None)
        if power_on is not None:
            try:
                power_on(_BUFFER_SIZES[interface])  # a script starts on a reset platform
            except BackendLost as e:
                raise VmsimError(f"swtpm control channel: {e}") from None
        session = Session(interface, profile, backend, out, flush)
        if interactive:
            steps: Iterable[tuple[int, _Command | str]] = enumerate(
                _lines_with_prompt(lines, out), 1)
        else:
            steps = program
        status = 0
        for lineno, step in steps:
            try:
                cmd = parser.line(step) if isinstance(step, str) else step
                if cmd is not None:
                    cmd.run(session)
            except ScriptError as e:
                report(lineno, str(e))
                status = status or e.status
                if not interactive:
                    return e.status
            except MachineStop as e:
                stop = e.stop
                rule = stop.details.get("rule")
                report(lineno, stop.summary + (f" ({rule})" if rule else ""))
                status = status or stop.status
                if not interactive or stop.reason is not StopReason.DEVICE_FAULT:
                    return stop.status
            except BackendLost as e:
                report(lineno, f"TPM backend lost: {e}")
                return EXIT_BACKEND_LOST
        return status
    finally:
        out.flush()
        if spawned is not None:
            spawned.close()
