"""Trace records and the run recorder.

Devices and the bus emit records; only renderers format them. The recorder always keeps
counts, protocol warnings and the last accesses (for stop reports); the full stream goes
to a sink only when the user asked for a trace.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import IO, Any

RECENT_ACCESSES = 16


@dataclass(slots=True)
class MmioAccess:
    device: str
    direction: str  # "R" or "W"
    offset: int
    width: int
    value: int
    register: str = ""
    decoded: str = ""
    rip: int | None = None
    time: float | None = None  # seconds since the run started (wall clock)
    changed: str = ""  # bit fields that differ from the last read of this register


@dataclass(frozen=True)
class TpmCommand:
    """A command the interface handed to the TPM, and what came back."""

    device: str
    locality: int
    command: bytes
    response: bytes
    note: str = ""


@dataclass(frozen=True)
class BackendEvent:
    """Something that happened to the TPM behind the interface (loss, reconnect, cancel)."""

    device: str
    kind: str
    detail: str


@dataclass(frozen=True)
class StateChange:
    """A device state transition: locality granted, idle/ready, command started/done."""

    device: str
    what: str


@dataclass(frozen=True)
class StopRecord:
    """How the run ended, as the last trace record."""

    reason: str
    summary: str
    status: int


@dataclass(frozen=True)
class ProtocolWarning:
    device: str
    kind: str
    register: str
    offset: int
    width: int
    direction: str
    value: int
    rule: str


@dataclass
class Recorder:
    """Everything a run report needs, gathered cheaply on the hot path."""

    recent: collections.deque = field(
        default_factory=lambda: collections.deque(maxlen=RECENT_ACCESSES)
    )
    mmio_accesses: int = 0
    port_accesses: int = 0
    tpm_commands: int = 0
    completion_polls: int = 0  # guest status reads while a command was pending
    warnings: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    sink: Callable[[object], None] | None = None

    def state(self, device: str, what: str) -> None:
        if self.sink is not None:
            self.sink(StateChange(device, what))

    def event(self, ev: BackendEvent) -> None:
        self.events.append({"device": ev.device, "kind": ev.kind, "detail": ev.detail})
        if self.sink is not None:
            self.sink(ev)

    def command(self, rec: TpmCommand) -> None:
        self.tpm_commands += 1
        if self.sink is not None:
            self.sink(rec)

    def warn(self, w: ProtocolWarning) -> None:
        """Keep one entry per distinct warning, with a count, so a polling loop stays small."""
        key = (w.device, w.kind, w.register, w.offset, w.width, w.direction)
        entry = self.warnings.get(key)
        if entry is None:
            self.warnings[key] = {
                "device": w.device, "kind": w.kind, "register": w.register,
                "offset": w.offset, "width": w.width, "direction": w.direction,
                "value": w.value, "rule": w.rule, "count": 1,
            }
            if self.sink is not None:
                self.sink(w)
        else:
            entry["count"] += 1

    def warning_list(self) -> list[dict[str, Any]]:
        return list(self.warnings.values())


def _hex(b: bytes, limit: int = 32) -> str:
    s = b[:limit].hex()
    return s + ("..." if len(b) > limit else "")


_VALUE = {1: "0x%02x", 2: "0x%04x", 4: "0x%08x", 8: "0x%016x"}


def render_text(rec: object) -> str:
    """One readable line per record, in the spec's register names."""
    if type(rec) is MmioAccess:
        head = "" if rec.time is None else "%9.6f " % rec.time  # noqa: UP031 - hot path
        if rec.rip is not None:
            head += "0x%08x " % rec.rip  # noqa: UP031
        line = "%s%s %s%d 0x%04x %-12s %s " % (  # noqa: UP031
            head, rec.device, rec.direction, rec.width, rec.offset, rec.register,
            "->" if rec.direction == "R" else "<-") + _VALUE[rec.width] % rec.value
        if rec.decoded:
            line += "  [" + rec.decoded + "]"
        if rec.changed:
            line += "  changed: " + rec.changed
        return line
    if isinstance(rec, TpmCommand):
        from vmsim.tpm.commands import describe_command, describe_response

        note = f" ({rec.note})" if rec.note else ""
        return (f"{rec.device} TPM command loc{rec.locality} {describe_command(rec.command)} "
                f"{_hex(rec.command)}\n{rec.device} TPM response "
                f"{describe_response(rec.response)} {_hex(rec.response)}{note}")
    if isinstance(rec, BackendEvent):
        return f"{rec.device} BACKEND {rec.kind}: {rec.detail}"
    if isinstance(rec, StateChange):
        return f"{rec.device} STATE {rec.what}"
    if isinstance(rec, StopRecord):
        return f"STOP {rec.reason}: {rec.summary} (exit status {rec.status})"
    if isinstance(rec, ProtocolWarning):
        return (f"{rec.device} WARNING {rec.kind}: {rec.direction}{rec.width} "
                f"{rec.offset:#06x} {rec.register} value {rec.value:#x} ({rec.rule})")
    return str(rec)


def to_dict(rec: object) -> dict[str, Any]:
    """A record as the JSON object jsonl traces hold (bytes as hex)."""
    kind = {MmioAccess: "mmio", TpmCommand: "tpm", ProtocolWarning: "warning",
            BackendEvent: "backend", StateChange: "state", StopRecord: "stop"}.get(
        type(rec), "other")
    data: dict[str, Any] = {"type": kind}
    for f in fields(rec):  # type: ignore[arg-type]
        v = getattr(rec, f.name)
        data[f.name] = v.hex() if isinstance(v, bytes) else v
    return data


def render_jsonl(rec: object) -> str:
    """One JSON object per record, for programs: type + the record's fields."""
    if isinstance(rec, MmioAccess):  # the bulk of a trace: formatted directly
        rip = "null" if rec.rip is None else str(rec.rip)
        return (f'{{"type":"mmio","device":"{rec.device}","direction":"{rec.direction}",'
                f'"offset":{rec.offset},"width":{rec.width},"value":{rec.value},'
                f'"register":"{rec.register}","decoded":{json.dumps(rec.decoded)},'
                f'"rip":{rip},"time":{"null" if rec.time is None else f"{rec.time:.6f}"},'
                f'"changed":{json.dumps(rec.changed)}}}')
    return json.dumps(to_dict(rec), separators=(",", ":"))


def render_qemu(rec: object) -> str | None:
    """The lines QEMU 7.2 logs for the same accesses (-trace 'tpm_crb*' / 'tpm_tis*'), so
    a vmsim run diffs against `qemu-system-x86_64 ... -D FILE`. QEMU's CRB data buffer is
    RAM (never traced), so only the register window is; other records have no QEMU line."""
    if not isinstance(rec, MmioAccess):
        return None
    verb = "read" if rec.direction == "R" else "write"
    if rec.device == "tpm-crb":
        if rec.offset & 0xFFF >= 0x80:
            return None
        return (f"tpm_crb_mmio_{verb} CRB {verb} 0x{rec.offset:016x} len:{rec.width} "
                f"val: {rec.value:#x}")
    if rec.device == "tpm-tis":
        return (f"tpm_tis_mmio_{verb} {' ' if verb == 'read' else ''}{verb}.{rec.width}"
                f"(0x{rec.offset:08x}) = 0x{rec.value:08x}")
    return None


RENDERERS: dict[str, Callable[[object], str | None]] = {
    "text": render_text, "jsonl": render_jsonl, "qemu": render_qemu,
}


def text_sink(stream: IO[str], fmt: str = "text",
              flush: bool = False) -> Callable[[object], None]:
    """Render each record to ``stream``. A file is flushed when closed (a flush per line
    would cost more than the access it describes); a terminal (flush=True) at once."""
    render = RENDERERS[fmt]
    write = stream.write

    def emit(rec: object) -> None:
        line = render(rec)
        if line is not None:
            write(line + "\n")
            if flush:
                stream.flush()

    return emit
