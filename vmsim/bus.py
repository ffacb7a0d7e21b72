"""Address and port decode: guest accesses -> device models, plus the trace tap.

Unicorn decodes MMIO windows itself (one mmio_map per device), so no access scans a
device list. Ports go through the single IN hook and single OUT hook Unicorn allows,
dispatched by a prebuilt dict. A device signals the end of the run by raising
MachineStop; the bus turns that into an emu_stop and hands the stop to the machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from unicorn import UC_HOOK_INSN, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, Uc
from unicorn.x86_const import UC_X86_INS_IN, UC_X86_INS_OUT, UC_X86_REG_RIP

from vmsim._fast_mmio import MmioMapper, exact_pc_hook, pc_reader
from vmsim.stop import MachineStop, Stop
from vmsim.trace import MmioAccess, ProtocolWarning, Recorder


class MmioDevice(Protocol):
    name: str
    size: int

    def read(self, offset: int, size: int) -> int: ...
    def write(self, offset: int, size: int, value: int) -> None: ...
    def register_name(self, offset: int) -> str: ...
    def decode(self, offset: int, width: int, value: int, direction: str) -> str: ...


class PortDevice(Protocol):
    name: str
    ports: tuple[int, ...]

    def port_read(self, port: int, size: int) -> int: ...
    def port_write(self, port: int, size: int, value: int) -> None: ...


class Bus:
    """Owns the CPU's I/O hooks; knows devices only through read/write."""

    def __init__(self, uc: Uc, recorder: Recorder, on_stop: Callable[[Stop], None],
                 trace: Callable[[object], None] | None = None,
                 pc_reg: int = UC_X86_REG_RIP) -> None:
        self.uc = uc
        self.pc_reg = pc_reg
        self.recorder = recorder
        self.on_stop = on_stop
        self.trace = trace
        self.stopped = False
        self.windows: list[tuple[int, MmioDevice]] = []
        self.mmio = MmioMapper(uc)
        self._pc = pc_reader(uc, pc_reg)
        self._names: dict[tuple, tuple[str, str]] = {}
        self._last: dict[tuple, int] = {}
        self._t0 = time.perf_counter()
        self._ports: dict[int, PortDevice] = {}
        uc.hook_add(UC_HOOK_INSN, self._port_in, None, 1, 0, UC_X86_INS_IN)
        uc.hook_add(UC_HOOK_INSN, self._port_out, None, 1, 0, UC_X86_INS_OUT)

    # -- wiring ------------------------------------------------------------------------

    def add_ports(self, device: PortDevice) -> None:
        for port in device.ports:
            if port in self._ports:
                raise ValueError(f"port {port:#x}: {device.name} and "
                                 f"{self._ports[port].name} both claim it")
            self._ports[port] = device

    def add_mmio(self, base: int, device: MmioDevice) -> None:
        """Map ``device`` at ``base``; callbacks are closures so decode costs nothing."""
        name = device.name
        rec = self.recorder
        remember = rec.recent.append
        dev_read, dev_write = device.read, device.write

        guard = self.mmio.guard

        # The two callbacks are the hottest code in vmsim, called by libunicorn itself:
        # flat, and nothing may escape them (guard keeps an unexpected exception).
        def read_cb(_h: object, offset: int, size: int, _ud: object) -> int:
            if self.stopped:
                return 0
            try:
                value = dev_read(offset, size)
                rec.mmio_accesses += 1
                remember((name, "R", offset, size, value))
                if self.trace is not None:
                    self._trace(device, "R", offset, size, value)
                return value
            except MachineStop as s:
                self._stop(s.stop)
            except BaseException as e:
                guard(e)
            return 0

        def write_cb(_h: object, offset: int, size: int, value: int, _ud: object) -> None:
            if self.stopped:
                return
            try:
                rec.mmio_accesses += 1
                remember((name, "W", offset, size, value))
                if self.trace is not None:
                    self._trace(device, "W", offset, size, value)
                dev_write(offset, size, value)
            except MachineStop as s:
                self._stop(s.stop)
            except BaseException as e:
                guard(e)

        self.mmio.map(base, device.size, read_cb, write_cb)
        # Without a memory hook over the window, RIP read inside an MMIO callback is the
        # start of the translation block (reference/unicorn.md); a no-op hook makes it
        # exact. Its callback is C code (exact_pc_hook), so it costs no Python call.
        exact_pc_hook(self.uc, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                      base, base + device.size - 1, _noop)
        self.windows.append((base, device))

    # -- hooks -------------------------------------------------------------------------

    def _stop(self, stop: Stop) -> None:
        if not self.stopped:
            self.stopped = True
            self.on_stop(stop)
        self.uc.emu_stop()

    def _trace(self, device: MmioDevice, direction: str, offset: int, size: int,
               value: int) -> None:
        assert self.trace is not None
        key = (device.name, direction, offset, size, value)
        names = self._names.get(key)
        if names is None:  # polls repeat the same access: name and decode it once
            names = (device.register_name(offset),
                     device.decode(offset, size, value, direction))
            if len(self._names) < 65536:
                self._names[key] = names
        changed = ""
        if direction == "R" and names[1]:  # registers with fields; not data bytes
            key2 = (device.name, offset, size)
            last = self._last.get(key2)
            self._last[key2] = value
            if last is not None and last != value:
                changed = device.decode(offset, size, last ^ value, "R")
        self.trace(MmioAccess(device.name, direction, offset, size, value, names[0],
                              names[1], self._pc(), time.perf_counter() - self._t0,
                              changed))

    def _port_in(self, uc: Uc, port: int, size: int, _ud: object) -> int:
        self.recorder.port_accesses += 1
        dev = self._ports.get(port)
        if dev is None:
            self._unmapped_port(port, size, "R", 0)
            return 0xFFFFFFFF >> (32 - 8 * size)  # a floating ISA bus reads all-ones
        try:
            return dev.port_read(port, size)
        except MachineStop as s:
            self._stop(s.stop)
            return 0

    def _port_out(self, uc: Uc, port: int, size: int, value: int, _ud: object) -> None:
        self.recorder.port_accesses += 1
        if self.stopped:
            return
        dev = self._ports.get(port)
        if dev is None:
            self._unmapped_port(port, size, "W", value)
            return
        try:
            dev.port_write(port, size, value)
        except MachineStop as s:
            self._stop(s.stop)

    def _unmapped_port(self, port: int, size: int, direction: str, value: int) -> None:
        self.recorder.warn(ProtocolWarning("bus", "access to an unmapped port", "port",
                                           port, size, direction, value,
                                           "no device: reads all-ones, writes dropped"))


def _noop(*_args: object) -> None:
    return None
