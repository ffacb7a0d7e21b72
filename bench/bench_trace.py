"""What tracing costs: the GetRandom loop untraced, with a text trace, with a jsonl trace.

The target (issue: traces) is at most 3x the untraced run. Like bench_getrandom.py, the
per-command figure differences a small and a large run, so start-up cancels out.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VMSIM = [sys.executable, "-m", "vmsim.cli"]
TARGET = 3.0


def timed(args: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([*VMSIM, "run", "bench-getrandom", *args], capture_output=True,
                       text=True, timeout=600)
    elapsed = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"bench: vmsim {' '.join(args)} failed ({p.returncode}): "
                         f"{p.stdout}{p.stderr}")
    return elapsed


def per_command(extra: list[str], small: int, large: int, repeat: int) -> float:
    lo = statistics.median(timed(["--append", f"n={small}", *extra]) for _ in range(repeat))
    hi = statistics.median(timed(["--append", f"n={large}", *extra]) for _ in range(repeat))
    return (hi - lo) / (large - small)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--small", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        rows = {
            "untraced": [],
            "--trace FILE (text)": ["--trace", str(Path(d) / "t.txt")],
            "--trace FILE --trace-format jsonl": ["--trace", str(Path(d) / "t.jsonl"),
                                                  "--trace-format", "jsonl"],
            "--pcap FILE": ["--pcap", str(Path(d) / "t.pcap")],
        }
        figures = {name: per_command(extra, args.small, args.n, args.repeat)
                   for name, extra in rows.items()}
    base = figures["untraced"]
    print(f"GetRandom(32) loop, per command (n={args.small} vs n={args.n}, "
          f"median of {args.repeat}):")
    for name, value in figures.items():
        ratio = value / base
        verdict = "" if name == "untraced" else ("  PASS" if ratio <= TARGET else "  MISS")
        print(f"  {name:36} {value * 1e6:8.1f} us   {ratio:5.2f}x{verdict}")
    print(f"target: tracing at most {TARGET:g}x the untraced run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
