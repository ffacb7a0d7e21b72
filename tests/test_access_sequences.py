"""Each OS guest's register access sequence, checked against its reference.

A reference (tests/sequences/GUEST-INTF.txt) is the guest's access list on the spec
profile — direction, width, offset, register, value — with polls collapsed to one line
and a count, and data-buffer/FIFO read values masked (random bytes). It was reviewed
against the driver's sequence in reference/driver-probes.md when written; this test
keeps every guest on it. VMSIM_UPDATE_SEQUENCES=1 rewrites the files after a deliberate
change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import GUESTS, run_vmsim

SEQ_DIR = Path(__file__).parent / "sequences"
CASES = [("crb-linux", "crb"), ("tis-linux", "tis"), ("tis-netbsd", "tis"),
         ("tis-netbsd", "crb"), ("crb-freebsd", "crb"), ("crb-openbsd", "crb"),
         ("probe-seabios", "crb"), ("probe-seabios", "tis"), ("ptp-edk2", "crb"),
         ("ptp-edk2", "tis")]
MASKED = ("DATA_BUFFER", "DATA_FIFO", "XDATA_FIFO")


def sequence(guest: str, interface: str, tmp_path: Path) -> list[str]:
    trace = tmp_path / "t.jsonl"
    p = run_vmsim("run", guest, "-o", f"tpm.intf={interface}", "--trace", str(trace),
                  "--trace-format", "jsonl")
    assert p.returncode in (0, 2), p.stdout + p.stderr
    lines: list[str] = []
    counts: list[int] = []
    for raw in trace.read_text().splitlines():
        rec = json.loads(raw)
        if rec["type"] == "tpm":
            line = f"TPM {rec['command'][12:20]} -> {rec['response'][12:20]}"
        elif rec["type"] == "mmio":
            masked = rec["direction"] == "R" and rec["register"] in MASKED
            value = "*" if masked else f"{rec['value']:#x}"
            line = (f"{rec['direction']}{rec['width']} {rec['offset']:#06x} "
                    f"{rec['register']} {value}")
        else:
            continue
        if lines and lines[-1] == line:
            counts[-1] += 1
        else:
            lines.append(line)
            counts.append(1)
    return [f"{ln} x{n}" if n > 1 else ln for ln, n in zip(lines, counts, strict=True)]


@pytest.mark.parametrize("guest,interface", CASES)
def test_access_sequence_matches_reference(guest, interface, tmp_path):
    if not (GUESTS / f"{guest}.elf").is_file():
        pytest.fail(f"guest {guest} is not built (make guests)")
    got = sequence(guest, interface, tmp_path)
    ref = SEQ_DIR / f"{guest}-{interface}.txt"
    if os.environ.get("VMSIM_UPDATE_SEQUENCES"):
        ref.write_text("\n".join(got) + "\n")
    assert ref.is_file(), f"no reference {ref}; review the run and create it"
    want = ref.read_text().splitlines()
    assert got == want
