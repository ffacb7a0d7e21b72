"""The machine: a Unicorn x86 CPU, RAM, the bus, and a run loop with named stop reasons.

Unicorn says nothing about why emu_start returned (HLT, timeout, emu_stop look alike),
so every path that ends a run records a Stop here; the loop runs in slices so Ctrl-C
and the time limit are noticed even while the guest spins.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

from unicorn import (
    UC_ARCH_X86,
    UC_HOOK_INSN_INVALID,
    UC_HOOK_INTR,
    UC_HOOK_MEM_UNMAPPED,
    UC_MEM_FETCH_UNMAPPED,
    UC_MEM_READ_UNMAPPED,
    UC_MEM_WRITE_UNMAPPED,
    UC_MODE_32,
    UC_MODE_64,
    Uc,
    UcError,
)
from unicorn.x86_const import (
    UC_X86_REG_EAX,
    UC_X86_REG_EBX,
    UC_X86_REG_EIP,
    UC_X86_REG_ESP,
    UC_X86_REG_RIP,
    UC_X86_REG_RSP,
)

from vmsim.bus import Bus
from vmsim.errors import VmsimError
from vmsim.firmware import FirmwareImage
from vmsim.loader import GuestImage
from vmsim.multiboot import (
    BOOTLOADER_MAGIC,
    INFO_CMDLINE,
    INFO_LOADER_NAME,
    INFO_MEMORY,
    INFO_MMAP,
    MMAP_AVAILABLE,
    MMAP_RESERVED,
    MmapEntry,
    MultibootInfo,
)
from vmsim.stop import Stop, StopReason
from vmsim.trace import Recorder

WATCHDOG_PERIOD = 0.05
GUEST_LOW = 0x100000  # guests load at 1 MiB, above the BIOS area
INFO_AT = 0x8000  # multiboot info, memory map, command line
INITIAL_STACK = 0x7FF0
MAX_CMDLINE = 0x800

EXCEPTIONS = {
    0: "#DE divide error", 1: "#DB debug", 2: "NMI", 3: "#BP breakpoint", 4: "#OF overflow",
    5: "#BR bound range", 6: "#UD invalid opcode", 7: "#NM device not available",
    8: "#DF double fault", 10: "#TS invalid TSS", 11: "#NP segment not present",
    12: "#SS stack fault", 13: "#GP general protection", 14: "#PF page fault",
    16: "#MF x87 error", 17: "#AC alignment check", 18: "#MC machine check",
    19: "#XM SIMD error",
}


class Machine:
    """One guest on one CPU; devices are attached through ``bus``."""

    def __init__(self, image: GuestImage, ram_size: int, recorder: Recorder,
                 trace: Callable[[object], None] | None = None) -> None:
        self.image = image
        self.ram_size = ram_size
        self.recorder = recorder
        self.bits = image.bits
        self.uc = Uc(UC_ARCH_X86, UC_MODE_32 if image.bits == 32 else UC_MODE_64)
        # 32-bit mode wants EIP/ESP (RIP/RSP accesses are deprecated there).
        self.pc_reg = UC_X86_REG_EIP if image.bits == 32 else UC_X86_REG_RIP
        self.sp_reg = UC_X86_REG_ESP if image.bits == 32 else UC_X86_REG_RSP
        self.uc.mem_map(0, ram_size)
        self.stop: Stop | None = None
        self.bus = Bus(self.uc, recorder, self._on_stop, trace, pc_reg=self.pc_reg)
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(UC_HOOK_MEM_UNMAPPED, self._on_unmapped)
        self.uc.hook_add(UC_HOOK_INSN_INVALID, self._on_invalid)
        self.wall_seconds = 0.0

    # -- loading -------------------------------------------------------------------------

    def load(self, firmware: FirmwareImage, cmdline: str) -> None:
        """Place firmware tables, the guest's segments and the multiboot info; set registers."""
        for addr, data in firmware.blobs:
            self.uc.mem_write(addr, data)
        top = min([lo for lo, _ in firmware.reserved if lo >= GUEST_LOW] + [self.ram_size])
        for seg in self.image.segments:
            if seg.addr < GUEST_LOW or seg.addr + seg.memsz > top:
                raise VmsimError(
                    f"guest {self.image.path}: segment {seg.addr:#x}-"
                    f"{seg.addr + seg.memsz:#x} lies outside usable RAM {GUEST_LOW:#x}-"
                    f"{top:#x}; link it at 1 MiB or raise --mem")
            self.uc.mem_write(seg.addr, seg.data)
            if seg.memsz > len(seg.data):
                self.uc.mem_write(seg.addr + len(seg.data), b"\0" * (seg.memsz - len(seg.data)))
        info_addr = self._write_multiboot_info(firmware, cmdline)
        self.uc.reg_write(UC_X86_REG_EAX, BOOTLOADER_MAGIC)
        self.uc.reg_write(UC_X86_REG_EBX, info_addr)
        self.uc.reg_write(self.sp_reg, INITIAL_STACK)
        self.uc.reg_write(self.pc_reg, self.image.entry)

    def _write_multiboot_info(self, firmware: FirmwareImage, cmdline: str) -> int:
        raw_cmd = cmdline.encode() + b"\0"
        if len(raw_cmd) > MAX_CMDLINE:
            raise VmsimError(f"--append: command line longer than {MAX_CMDLINE - 1} bytes")
        regions = sorted(firmware.reserved)
        entries, cur = [], 0
        for lo, hi in regions:
            if lo > cur:
                entries.append(MmapEntry(cur, lo - cur, MMAP_AVAILABLE))
            entries.append(MmapEntry(lo, hi - lo, MMAP_RESERVED))
            cur = max(cur, hi)
        if cur < self.ram_size:
            entries.append(MmapEntry(cur, self.ram_size - cur, MMAP_AVAILABLE))
        mmap = b"".join(e.pack() for e in entries)
        mmap_at = INFO_AT + MultibootInfo.STRUCT.size
        cmd_at = mmap_at + len(mmap)
        name_at = cmd_at + len(raw_cmd)
        info = MultibootInfo(
            flags=INFO_MEMORY | INFO_CMDLINE | INFO_MMAP | INFO_LOADER_NAME,
            mem_lower=640, mem_upper=(self.ram_size - 0x100000) // 1024,
            cmdline=cmd_at, mmap_length=len(mmap), mmap_addr=mmap_at,
            boot_loader_name=name_at)
        self.uc.mem_write(INFO_AT, info.pack() + mmap + raw_cmd + b"vmsim\0")
        return INFO_AT

    # -- running -------------------------------------------------------------------------

    def run(self, timeout: float | None = None, interrupt_fd: int | None = None) -> Stop:
        """Run until something stops the machine; always returns a Stop.

        The CPU runs in ONE emu_start. Resuming after an asynchronous stop is unsafe:
        if the stop lands while an MMIO callback runs, Unicorn re-executes that access on
        resume (a START written twice, a FIFO byte popped twice). So nothing resumes: a
        watchdog thread stops the CPU only to end the run, for the time limit or when a
        byte arrives on ``interrupt_fd`` (the signal wakeup fd, written by the C-level
        handler even while the main thread is inside Unicorn).
        """
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        wake_r, wake_w = os.pipe()  # ends the watchdog's wait the moment the run ends
        fired: list[Stop] = []

        def watchdog() -> None:
            fds = [wake_r] + ([interrupt_fd] if interrupt_fd is not None else [])
            while True:
                wait = WATCHDOG_PERIOD
                if deadline is not None:
                    wait = max(0.0, min(wait, deadline - time.monotonic()))
                ready, _, _ = select.select(fds, [], [], wait)
                if wake_r in ready:
                    return
                if ready and not fired:
                    fired.append(Stop(StopReason.INTERRUPTED, "interrupted"))
                elif deadline is not None and time.monotonic() >= deadline and not fired:
                    fired.append(Stop(StopReason.TIME_LIMIT,
                                      f"time limit of {timeout:g} s reached"))
                if fired:
                    self.uc.emu_stop()  # repeated each period until emu_start returns

        thread = threading.Thread(target=watchdog, name="vmsim-watchdog", daemon=True)
        thread.start()
        try:
            self.uc.emu_start(self.image.entry, 0xFFFF_FFFF_FFFF_FFFF)
        except UcError as e:
            if self.stop is None and not fired:
                self._on_stop(self._error_stop(e))
        finally:
            os.write(wake_w, b"x")
            thread.join()
            os.close(wake_r)
            os.close(wake_w)
        if self.bus.mmio.error is not None:  # a bug in a device model: let it surface
            raise self.bus.mmio.error
        if self.stop is None:
            self._on_stop(fired[0] if fired else Stop(
                StopReason.HALT, "the guest halted (HLT) without writing an exit value"))
        self.wall_seconds = time.monotonic() - start
        assert self.stop is not None
        return self.stop

    # -- stop bookkeeping ----------------------------------------------------------------

    def _on_stop(self, stop: Stop) -> None:
        """First stop wins; guest-visible context is captured now, while RIP is exact."""
        if self.stop is not None:
            return
        if stop.reason is not StopReason.EXIT:
            rip = self.uc.reg_read(self.pc_reg)
            if stop.reason is StopReason.HALT:
                rip -= 1  # report the HLT itself, not the instruction after it
            stop.details.setdefault("rip", rip)
            stop.details.setdefault("instruction", self.disassemble(rip))
            stop.details.setdefault("recent_accesses", self.recent_accesses())
        self.stop = stop

    def disassemble(self, addr: int) -> str:
        import capstone  # only stop reports need it; keeps start-up fast

        try:
            code = bytes(self.uc.mem_read(addr, 15))
        except UcError:
            return "(instruction not in RAM)"
        md = capstone.Cs(capstone.CS_ARCH_X86,
                         capstone.CS_MODE_32 if self.bits == 32 else capstone.CS_MODE_64)
        for insn in md.disasm(code, addr, 1):
            return f"{insn.mnemonic} {insn.op_str}".strip() + f"  ({insn.bytes.hex(' ')})"
        return f"(undecodable: {code[:4].hex(' ')})"

    def recent_accesses(self) -> list[dict]:
        devices = {dev.name: dev for _, dev in self.bus.windows}
        out = []
        for name, direction, offset, width, value in self.recorder.recent:
            dev = devices.get(name)
            out.append({"device": name, "direction": direction, "offset": offset,
                        "width": width, "value": value,
                        "register": dev.register_name(offset) if dev else ""})
        return out

    def _on_interrupt(self, uc: Uc, intno: int, _ud: object) -> None:
        self._on_stop(Stop(StopReason.CPU_EXCEPTION,
                           f"CPU exception {EXCEPTIONS.get(intno, f'vector {intno}')}"
                           " (the guest has no interrupt handlers)",
                           details={"vector": intno}))
        uc.emu_stop()

    def _on_unmapped(self, uc: Uc, access: int, address: int, size: int, value: int,
                     _ud: object) -> bool:
        kind = {UC_MEM_READ_UNMAPPED: "read", UC_MEM_WRITE_UNMAPPED: "write",
                UC_MEM_FETCH_UNMAPPED: "instruction fetch"}.get(access, "access")
        self._on_stop(Stop(StopReason.UNMAPPED,
                           f"guest {kind} of {size} bytes at unmapped address {address:#x}",
                           details={"address": address, "size": size, "access": kind}))
        return False

    def _on_invalid(self, uc: Uc, _ud: object) -> bool:
        self._on_stop(Stop(StopReason.CPU_EXCEPTION, "CPU exception #UD invalid opcode",
                           details={"vector": 6}))
        return False

    def _error_stop(self, e: UcError) -> Stop:
        return Stop(StopReason.CPU_EXCEPTION, f"CPU stopped: {e}", details={"error": str(e)})
