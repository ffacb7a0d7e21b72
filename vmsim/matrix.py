"""The probing matrix: every OS guest against every profile, interface and firmware.

Each cell is a separate `vmsim run` process (its own machine, its own swtpm), so cells
cannot disturb each other and a crash is one cell's result; cells run in parallel, one
per CPU. The verdict of a cell comes from its run report, never from parsing a trace.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from vmsim.errors import VmsimError
from vmsim.firmware import firmware_profiles
from vmsim.guests import built_guests
from vmsim.profiles import PROFILES

DEFAULT_GUESTS = ("crb-linux", "tis-linux", "tis-netbsd", "crb-freebsd", "crb-openbsd",
                  "probe-seabios", "ptp-edk2")
INTERFACES = ("crb", "tis")
_FAIL_RC = re.compile(r"FAIL (\S+).*?rc=(0x[0-9a-f]+)")


@dataclass
class Cell:
    guest: str
    profile: str
    interface: str
    firmware: str
    verdict: str = ""
    status: int | None = None
    detail: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    console: str = ""


def _check(kind: str, asked: list[str], valid: list[str]) -> list[str]:
    for name in asked:
        if name not in valid:
            raise VmsimError(f"unknown {kind} {name!r}; choose from: {', '.join(valid)}")
    return asked


def plan(guests: list[str] | None, profiles: list[str] | None,
         firmware: list[str] | None, interfaces: list[str] | None) -> list[Cell]:
    """Every combination the peers can offer (a CRB-only peer gets no FIFO cells)."""
    built = list(built_guests())
    if guests is None:
        guests = [g for g in DEFAULT_GUESTS if g in built]
        if not guests:
            raise VmsimError("no OS guests are built; run 'make guests'")
    _check("guest", guests, built)
    profiles = _check("profile", profiles or list(PROFILES), list(PROFILES))
    firmware = _check("firmware", firmware or list(firmware_profiles()),
                      list(firmware_profiles()))
    interfaces = _check("interface", interfaces or list(INTERFACES), list(INTERFACES))
    return [Cell(g, p, i, f) for g, p, i, f in
            itertools.product(guests, profiles, interfaces, firmware)
            if i in PROFILES[p].interfaces]


def classify(cell: Cell) -> None:
    """ok / no-tpm / fail (a TPM command's response code) / error / fault at REGISTER ..."""
    rep = cell.report
    stop = rep.get("stop")
    if stop == "guest-exit":
        value = rep.get("guest_exit_value")
        if value == 0:
            cell.verdict = "ok"
        elif value == 2:
            cell.verdict = "no-tpm"
        elif value == 1:
            m = _FAIL_RC.search(cell.console)
            cell.verdict = f"fail {m.group(2)}" if m else "fail"
            cell.detail = m.group(0) if m else ""
        else:
            cell.verdict = f"error {value}"
            cell.detail = next((ln for ln in cell.console.splitlines() if "ERROR" in ln), "")
    elif stop == "device-fault":
        f = rep["fault"]
        cell.verdict = f"fault {f['register']} {f['direction'][0].upper()}{f['width']}"
        cell.detail = rep["summary"]
    elif stop == "time-limit":
        cell.verdict = "time limit"
    elif stop:
        cell.verdict = stop
        cell.detail = rep.get("summary", "")
    else:
        cell.verdict = "vmsim error"


def run_cell(cell: Cell, timeout: float) -> Cell:
    with tempfile.TemporaryDirectory(prefix="vmsim-matrix-") as d:
        report = Path(d) / "report.json"
        cmd = [sys.executable, "-m", "vmsim.cli", "run", cell.guest, "--profile",
               cell.profile, "-o", f"tpm.intf={cell.interface}", "--firmware", cell.firmware,
               "--timeout", str(timeout), "--report-json", str(report)]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 60,
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            cell.verdict, cell.detail = "vmsim error", "vmsim did not exit"
            return cell
        cell.status = p.returncode
        cell.console = p.stdout
        if report.is_file():
            cell.report = json.loads(report.read_text())
        else:
            cell.detail = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    classify(cell)
    return cell


def run_matrix(cells: list[Cell], jobs: int, timeout: float,
               progress: IO[str] | None = None) -> list[Cell]:
    done = 0
    lock = threading.Lock()

    def one(cell: Cell) -> Cell:
        nonlocal done
        run_cell(cell, timeout)
        with lock:
            done += 1
            if progress is not None:
                progress.write(f"\r\x1b[K[{done}/{len(cells)}] {cell.guest} {cell.profile} "
                               f"{cell.interface} {cell.firmware}: {cell.verdict}")
                progress.flush()
        return cell

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, cells))
    if progress is not None:
        progress.write("\r\x1b[K")
        progress.flush()
    return results


def render(cells: list[Cell]) -> str:
    """One table per firmware: rows are guests, columns profile/interface."""
    out = []
    guests = list(dict.fromkeys(c.guest for c in cells))
    for fw in dict.fromkeys(c.firmware for c in cells):
        sub = [c for c in cells if c.firmware == fw]
        cols = list(dict.fromkeys((c.profile, c.interface) for c in sub))
        by = {(c.guest, c.profile, c.interface): c.verdict for c in sub}
        headers = ["guest"] + [f"{p}/{i}" for p, i in cols]
        rows = [[g] + [by.get((g, p, i), "") for p, i in cols] for g in guests]
        widths = [max(len(r[k]) for r in [headers, *rows]) for k in range(len(headers))]
        out.append(f"firmware {fw}:")
        out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        out.append("  ".join("-" * w for w in widths))
        out.extend("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True))
                   for r in rows)
        out.append("")
    return "\n".join(out)


def write_json(path: str, cells: list[Cell]) -> None:
    data = [asdict(c) for c in cells]
    try:
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
    except OSError as e:
        raise VmsimError(f"--json {path}: {e.strerror}") from None


def default_jobs() -> int:
    return len(os.sched_getaffinity(0))
