"""Run reports: the stop report on stderr and the --report-json document.

A stop is a report, not a traceback: what stopped, where the guest was (RIP and the
instruction), the last device accesses, and the rule that decided it.
"""

from __future__ import annotations

import json
from typing import Any

from vmsim.stop import Stop


def render_stop(stop: Stop) -> str:
    """Multi-line human report for a machine stop (not used for a plain guest exit)."""
    d = stop.details
    lines = [f"vmsim: machine stopped ({stop.reason.value}, exit status {stop.status}): "
             f"{stop.summary}"]
    if "register" in d:
        lines.append(f"  device:      {d['device']}")
        lines.append(f"  register:    {d['register']} at offset {d['offset']:#05x}, "
                     f"{d['width']}-byte {d['direction']}, value {d['value']:#x}")
    if "rule" in d:
        lines.append(f"  rule:        {d['rule']}")
    for key in ("backend", "command", "address"):
        if key in d:
            v = d[key]
            lines.append(f"  {key + ':':<12} {v:#x}" if isinstance(v, int) else
                         f"  {key + ':':<12} {v}")
    if "rip" in d:
        lines.append(f"  guest RIP:   {d['rip']:#010x}  {d.get('instruction', '')}")
    recent = d.get("recent_accesses") or []
    if recent:
        lines.append(f"  last {len(recent)} device accesses (oldest first):")
        for a in recent:
            arrow = "->" if a["direction"] == "R" else "<-"
            lines.append(f"    {a['device']} {a['direction']}{a['width']} {a['offset']:#06x} "
                         f"{a['register']:<12} {arrow} {a['value']:#x}")
    return "\n".join(lines)


def build_report(stop: Stop, *, guest: str, profile: str, interface: str, firmware: str,
                 backend: str, counts: dict[str, int], warnings: list[dict[str, Any]],
                 wall_seconds: float, virtual_seconds: float,
                 injections: list[dict[str, Any]] | None = None,
                 backend_events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "stop": stop.reason.value,
        "summary": stop.summary,
        "exit_status": stop.status,
        "guest_exit_value": stop.exit_value,
        "guest": guest,
        "profile": profile,
        "interface": interface,
        "firmware": firmware,
        "backend": backend,
        "counts": counts,
        "protocol_warnings": warnings,
        "injections": injections or [],
        "backend_events": backend_events or [],
        "wall_seconds": round(wall_seconds, 6),
        "virtual_seconds": round(virtual_seconds, 6),
    }
    if stop.is_report:
        report["fault"] = stop.details
    return report


def write_report(path: str, report: dict[str, Any]) -> None:
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
