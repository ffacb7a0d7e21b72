"""Running one guest: build the machine from a RunConfig, run it, always clean up.

Everything the run starts (a private swtpm, sockets, signal handlers) is undone in one
finally block, so Ctrl-C, a guest fault and a Python error all leave nothing behind.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from vmsim import firmware as fw
from vmsim.devices.debug_exit import DebugExit
from vmsim.devices.debugcon import Debugcon
from vmsim.devices.pm_timer import PmTimer
from vmsim.devices.tpm_common import TPM_BASE, CommandEngine
from vmsim.devices.tpm_crb import BUFFER_SIZE, TpmCrb
from vmsim.devices.tpm_fifo import FIFO_BUFFER_SIZE, TpmFifo
from vmsim.errors import VmsimError
from vmsim.guests import resolve_guest
from vmsim.loader import load_elf
from vmsim.machine import Machine
from vmsim.pcap import PcapWriter
from vmsim.profiles import get_profile, with_policy
from vmsim.report import build_report, render_stop, write_report
from vmsim.stop import Stop, StopReason
from vmsim.tpm.backend import BackendLost
from vmsim.tpm.injection import Injector, load_rules
from vmsim.tpm.swtpm import SpawnedSwtpm, SwtpmBackend
from vmsim.trace import Recorder, StopRecord, text_sink, to_dict

INTERFACES: dict[str, type[TpmCrb] | type[TpmFifo]] = {"crb": TpmCrb, "tis": TpmFifo}
DEVICE_NAMES = {"crb": TpmCrb.name, "tis": TpmFifo.name}
# The TPM's buffer follows the interface's: the CRB buffer is 0xF80 bytes (QEMU does the
# same with SET_BUFFERSIZE), the FIFO model buffers 4 KiB.
BUFFER_SIZES = {"crb": BUFFER_SIZE, "tis": FIFO_BUFFER_SIZE}
ON_LOSS = ("stop", "fail", "reconnect")


@dataclass
class RunConfig:
    guest: str
    tpm_type: str = "swtpm"
    tpm_path: str | None = None  # attach to a running swtpm; None = spawn one
    tpm_ctrl: str | None = None
    tpm_state: str | None = None
    interface: str = "crb"
    profile: str = "spec"
    unknown_access: str | None = None
    firmware: str = "acpi"
    cmdline: str = ""
    timeout: float | None = 60.0
    mem_mib: int = 64
    report_json: str | None = None
    trace: str | None = None
    trace_format: str = "text"
    pcap: str | None = None
    html: str | None = None
    on_loss: str = "stop"
    latency: int = 0
    inject: list[str] = field(default_factory=list)
    cpu: str = "auto"  # CPU for vmsim and the swtpm it starts: auto, none, or a number


@dataclass
class RunResult:
    stop: Stop
    report: dict[str, Any]
    console: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)


class _Signals:
    """SIGINT/SIGTERM end the run cleanly. Unicorn holds the main thread, so Python-level
    handlers may not run until it returns; the signal wakeup fd (written by the C-level
    handler at once) lets the machine's watchdog notice at once."""

    def __init__(self) -> None:
        self.caught: int | None = None
        self._old: dict[int, Any] = {}
        self._old_fd = -1
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)

    def __enter__(self) -> _Signals:
        try:
            self._old_fd = signal.set_wakeup_fd(self._write_fd)
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        except ValueError:  # not the main thread: no signal handling, nothing to undo
            pass
        return self

    def _handle(self, signum: int, _frame: object) -> None:
        self.caught = signum

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        if self._old:
            signal.set_wakeup_fd(self._old_fd)
        os.close(self.read_fd)
        os.close(self._write_fd)


def _pick_cpu(choice: str) -> int | None:
    """One CPU for vmsim's CPU thread and its swtpm: every command is a ping-pong between
    the two, and a cross-CPU wake-up costs ~3x the whole round trip on small VMs
    (bench/README.md). 'auto' spreads concurrent runs by pid."""
    if choice == "none":
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if choice == "auto":
        return allowed[os.getpid() % len(allowed)] if len(allowed) > 1 else None
    try:
        cpu = int(choice)
    except ValueError:
        cpu = -1
    if cpu not in allowed:
        raise VmsimError(f"--cpu {choice}: give auto, none, or one of the CPUs this process "
                         f"may use ({', '.join(map(str, allowed))})")
    return cpu


def run_guest(cfg: RunConfig, console: IO[bytes] | None = None) -> RunResult:
    """Run ``cfg.guest`` to its stop; raises VmsimError only for bad input."""
    if cfg.tpm_type != "swtpm":
        raise VmsimError(f"TPM type {cfg.tpm_type!r} is not supported; use swtpm "
                         "(-l tpm,swtpm,PATH, or no -l to let vmsim start one)")
    if cfg.interface not in INTERFACES:
        raise VmsimError(f"unknown TPM interface {cfg.interface!r}; choose one of: "
                         f"{', '.join(INTERFACES)}")
    if cfg.mem_mib < 2 or cfg.mem_mib > 3072:
        raise VmsimError(f"--mem {cfg.mem_mib}: give between 2 and 3072 MiB")
    if cfg.timeout is not None and cfg.timeout <= 0:
        cfg.timeout = None
    image = load_elf(resolve_guest(cfg.guest))
    profile = with_policy(get_profile(cfg.profile), cfg.unknown_access)  # type: ignore[arg-type]
    if cfg.interface not in profile.interfaces:
        raise VmsimError(f"profile {profile.name} has no {cfg.interface} interface (the peer "
                         f"offers {', '.join(sorted(profile.interfaces))}); pick another "
                         "profile or -o tpm.intf")
    firmware = fw.get_firmware(cfg.firmware)
    stage = load_elf(str(firmware.stage)) if firmware.stage else None
    if cfg.on_loss not in ON_LOSS:
        raise VmsimError(f"-o tpm.on-loss={cfg.on_loss}: choose one of: {', '.join(ON_LOSS)}")
    if cfg.latency < 0:
        raise VmsimError(f"-o tpm.latency={cfg.latency}: give a number of polls >= 0")
    injector = Injector(load_rules(cfg.inject))
    ram = cfg.mem_mib << 20

    out = console if console is not None else sys.stdout.buffer
    started = time.monotonic()
    trace_file: IO[str] | None = None
    pcap: PcapWriter | None = None
    old_affinity: set[int] | None = None
    spawned: SpawnedSwtpm | None = None
    backend = None
    try:
        if cfg.trace == "-":
            sink = text_sink(sys.stderr, cfg.trace_format, flush=True)
        elif cfg.trace:
            try:
                trace_file = open(cfg.trace, "w")  # noqa: SIM115 - closed in finally
            except OSError as e:
                raise VmsimError(f"--trace {cfg.trace}: {e.strerror}") from None
            sink = text_sink(trace_file, cfg.trace_format)
        else:
            sink = None
        if cfg.pcap:
            pcap = PcapWriter(cfg.pcap)
        html_records: list[dict[str, Any]] = []
        if cfg.html:
            sink = _fanout(sink, lambda rec: html_records.append(to_dict(rec)))
        recorder = Recorder(sink=_fanout(sink, pcap))
        buffer_size = BUFFER_SIZES[cfg.interface]
        reconnect = None
        if cfg.tpm_path is not None:
            backend = SwtpmBackend(cfg.tpm_path, cfg.tpm_ctrl)
            attached = backend

            def reconnect() -> None:
                attached.reconnect()
                attached.power_on(buffer_size)
        else:
            cpu = _pick_cpu(cfg.cpu)
            spawned = SpawnedSwtpm(cfg.tpm_state, cpu=cpu)
            backend = spawned.backend
            owned = spawned

            def reconnect() -> None:
                owned.restart(buffer_size)
            if cpu is not None:
                old_affinity = os.sched_getaffinity(0)
                os.sched_setaffinity(0, {cpu})
        assert backend is not None
        try:
            backend.power_on(buffer_size)  # a machine start is a platform reset
        except BackendLost as e:
            raise VmsimError(f"swtpm control channel: {e}") from None
        engine = CommandEngine(backend, recorder, DEVICE_NAMES[cfg.interface],
                               latency=cfg.latency, injector=injector,
                               on_loss=cfg.on_loss,  # type: ignore[arg-type]
                               reconnect=reconnect)
        tpm = INTERFACES[cfg.interface](backend, profile, recorder, engine)
        timer = PmTimer()
        tables = fw.build(firmware, cfg.interface, ram)
        debugcon = Debugcon(out)
        with _Signals() as signals:
            deadline = None if cfg.timeout is None else time.monotonic() + cfg.timeout
            backend.set_deadline(deadline)
            stop = None
            if stage is not None:
                # The firmware stage runs first on the same devices, as firmware does.
                stage_con = Debugcon(sys.stderr.buffer)
                m = _machine(stage, ram, recorder, sink, tpm, timer, stage_con)
                m.load(tables, "")
                stop = m.run(_left(deadline), interrupt_fd=signals.read_fd)
                if stop.reason is StopReason.EXIT:
                    stop = None  # firmware finished (found a TPM or not): boot the guest
            if stop is None:
                machine = _machine(image, ram, recorder, sink, tpm, timer,
                                   debugcon)
                machine.load(tables, cfg.cmdline)
                stop = machine.run(_left(deadline), interrupt_fd=signals.read_fd)
            wall = time.monotonic() - started
        if recorder.sink is not None:
            recorder.sink(StopRecord(stop.reason.value, stop.summary, stop.status))
        out.flush()
        report = build_report(
            stop, guest=image.path, profile=profile.name, interface=cfg.interface,
            firmware=firmware.name, backend=backend.description,
            counts={"mmio_accesses": recorder.mmio_accesses,
                    "port_accesses": recorder.port_accesses,
                    "tpm_commands": recorder.tpm_commands,
                    "completion_polls": recorder.completion_polls},
            warnings=recorder.warning_list(), wall_seconds=wall,
            injections=injector.log, backend_events=recorder.events,
            virtual_seconds=timer.virtual_seconds)
        if cfg.html:
            write_diagram(cfg.html, html_records, f"vmsim run {cfg.guest}: {profile.name}, "
                          f"{cfg.interface}, firmware {firmware.name}")
        if cfg.report_json:
            try:
                write_report(cfg.report_json, report)
            except OSError as e:
                raise VmsimError(f"--report-json {cfg.report_json}: {e.strerror}") from None
        return RunResult(stop, report, bytes(debugcon.captured))
    finally:
        if old_affinity is not None:
            os.sched_setaffinity(0, old_affinity)
        if spawned is not None:
            spawned.close()
        elif backend is not None:
            backend.close()
        if trace_file is not None:
            trace_file.close()
        if pcap is not None:
            pcap.close()


def _machine(image, ram: int, recorder: Recorder, sink,
             tpm: TpmCrb | TpmFifo, timer: PmTimer, console: Debugcon) -> Machine:
    """A CPU with the run's devices attached: the same device objects for every stage."""
    m = Machine(image, ram, recorder, trace=sink)
    for dev in (console, DebugExit(), timer):
        m.bus.add_ports(dev)
    m.bus.add_mmio(TPM_BASE, tpm)
    return m


def write_diagram(path: str, records: list[dict[str, Any]], title: str) -> None:
    from vmsim.diagram import render_html

    try:
        with open(path, "w") as f:
            f.write(render_html(records, title=title))
    except OSError as e:
        raise VmsimError(f"--html {path}: {e.strerror}") from None


def _fanout(*sinks: Callable[[object], None] | None) -> Callable[[object], None] | None:
    live = [s for s in sinks if s is not None]
    if len(live) <= 1:
        return live[0] if live else None

    def emit(rec: object) -> None:
        for s in live:
            s(rec)

    return emit


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.001, deadline - time.monotonic())


def print_stop(stop: Stop, stream: IO[str] | None = None) -> None:
    """Tell the user about a machine stop (a plain guest exit prints nothing)."""
    if stop.is_report:
        print(render_stop(stop), file=stream or sys.stderr)
