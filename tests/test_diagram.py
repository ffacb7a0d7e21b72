"""The HTML sequence diagram: its steps from real runs, escaping, and a real browser render.

The browser test is not skipped without Chromium: the page is for people, so a page that
no browser has drawn is untested. `make deps` installs the Debian package chromium.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import pytest
from conftest import run_vmsim

from vmsim.diagram import render_html
from vmsim.tpm.commands import COMMAND_CODES

CRB_COMMANDS = {"Startup", "GetRandom", "PCR_Extend", "PCR_Read", "GetCapability"}
# One Linux tpm_crb command cycle as the diagram names its steps; the TPM command sits
# between START and "poll START".
CRB_BEFORE = ["request locality 0", "cmdReady", "clear CANCEL", "write command (", "START"]
CRB_AFTER = ["poll START ", "read response (", "goIdle", "relinquish locality 0"]
FIFO_STEPS = ["requestUse (locality 0)", "commandReady", "write command (", "tpmGo",
              "wait dataAvail ", "read response (", "release locality 0"]


def trace_records(path: Path, guest: str, *opts: str) -> list[dict]:
    r = run_vmsim("run", guest, *opts, "--trace", str(path), "--trace-format", "jsonl")
    assert r.returncode == 0, r.stdout + r.stderr
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def crb_records(tmp_path_factory) -> list[dict]:
    return trace_records(tmp_path_factory.mktemp("crb") / "t.jsonl", "crb-linux")


def titles(page: str) -> list[tuple[str, str]]:
    """(arrow, label) of every collapsible row, from its summary's title."""
    out = []
    for t in re.findall(r'<summary title="([^"]*)"', page):
        arrow, _, label = html.unescape(t).partition(": ")
        out.append((arrow, label))
    return out


def test_crb_linux_page_has_lanes_steps_and_every_command(crb_records):
    page = render_html(crb_records, title="crb-linux")
    for lane in ("guest", "tpm-crb", "swtpm"):
        assert f'class="head" data-lane="{lane}"' in page

    sent = [COMMAND_CODES[int(r["command"][12:20], 16)]
            for r in crb_records if r["type"] == "tpm"]
    shown = re.findall(r'<details class="row tpm"[^>]*data-command="([^"]*)"', page)
    assert shown == sent  # one row per TPM command, in order
    assert set(sent) >= CRB_COMMANDS
    assert page.count("<b>TPM_RC_SUCCESS</b>") >= len(sent)

    rows = titles(page)
    labels = [label for _, label in rows]
    tpm_rows = [i for i, (arrow, _) in enumerate(rows) if arrow == "tpm-crb \u2192 swtpm"]
    assert len(tpm_rows) == len(sent)
    for i in tpm_rows:  # the named steps around each command
        before, after = labels[i - len(CRB_BEFORE):i], labels[i + 1:i + 1 + len(CRB_AFTER)]
        assert [b.startswith(s) for b, s in zip(before, CRB_BEFORE, strict=True)] == \
            [True] * len(CRB_BEFORE), before
        assert [a.startswith(s) for a, s in zip(after, CRB_AFTER, strict=True)] == \
            [True] * len(CRB_AFTER), after
    assert ("guest \u2192 tpm-crb", "START (CTRL_START \u2190 0x1)") in rows
    assert any(arrow == "tpm-crb \u2192 guest" and label.startswith("read response")
               for arrow, label in rows)

    # every access is in exactly one step, and the legend counts them
    listed = sum(int(n) for n in re.findall(r"(\d+) register access(?:es)? by the guest",
                                             page))
    assert listed == sum(r["type"] == "mmio" for r in crb_records)
    assert f"<b>{listed}</b> register accesses" in page
    assert f"<b>{len(sent)}</b> TPM commands" in page

    assert page.count("<script") == 1  # only the page's own
    for external in ("http://", "https://", "src=", "url(", "@import", "@font-face"):
        assert external not in page


def test_fifo_steps_are_named(tmp_path):
    records = trace_records(tmp_path / "t.jsonl", "tis-linux", "-o", "tpm.intf=tis")
    page = render_html(records, title="tis-linux")
    assert 'data-lane="tpm-tis"' in page
    labels = [label for _, label in titles(page)]
    for step in FIFO_STEPS:
        assert any(label.startswith(step) for label in labels), step
    tpm = [i for i, label in enumerate(labels) if "GetRandom" in label]
    assert labels[tpm[0] - 2].startswith("write command (12 bytes)")


def test_polls_and_unrecognised_accesses_collapse_into_counted_runs():
    def acc(direction, offset, register, value=0, decoded=""):
        return {"type": "mmio", "device": "tpm-crb", "direction": direction,
                "offset": offset, "width": 4, "value": value, "register": register,
                "decoded": decoded, "rip": 0x1000}

    records = [acc("R", 0x44, "CTRL_STS")] * 5 + [acc("W", 0x4C, "CTRL_START", 1, "start")]
    records += [acc("R", 0x4C, "CTRL_START", 1, "start")] * 36
    records += [acc("R", 0x4C, "CTRL_START"), acc("W", 0xF00, ""), acc("W", 0xF00, "")]
    rows = titles(render_html(records, title="polls"))
    assert rows == [
        ("tpm-crb \u2192 guest", "R4 CTRL_STS \u00d75 \u2192 0x0"),
        ("guest \u2192 tpm-crb", "START (CTRL_START \u2190 0x1)"),
        ("tpm-crb \u2192 guest", "poll START \u00d737 \u2192 0x0"),
        ("guest \u2192 tpm-crb", "W4 @0x0f00 \u00d72 \u2190 0x0"),
    ]


def test_warnings_and_backend_events_are_notes_on_their_lanes(tmp_path):
    records = trace_records(tmp_path / "t.jsonl", "crb-openbsd", "--profile", "qemu")
    assert any(r["type"] == "warning" for r in records)
    records.append({"type": "backend", "device": "tpm-crb", "kind": "backend lost",
                    "detail": "swtpm closed the connection"})
    page = render_html(records, title="warned")
    assert re.search(r'class="row note warn" data-lane="tpm-crb">.*value not decoded', page)
    assert re.search(r'class="row note backend" data-lane="swtpm">.*backend lost', page)
    assert "<tr class=warned>" in page  # the access the warning is about, marked


def test_data_is_escaped_and_odd_records_do_not_break_the_page():
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    records = [
        {"type": "mmio", "device": evil, "direction": "W", "offset": 8, "width": 4,
         "value": 1, "register": evil, "decoded": evil, "rip": None},
        {"type": "mmio", "device": "tpm-crb"},  # fields missing
        {"type": "warning", "device": "tpm-crb", "kind": evil, "rule": evil},
        {"type": "backend", "device": evil, "kind": evil, "detail": evil},
        {"type": "tpm", "device": "tpm-crb", "locality": 0, "command": evil,
         "response": "8001", "note": evil},
        {"type": "tpm", "device": "tpm-crb", "locality": 0,
         "command": "80010000000c0000017b0010", "response": "80010000000a000001c4"},
        {"type": evil, "device": evil},
    ]
    page = render_html(records, title=evil)
    assert page.count("<script") == 1
    assert "<img" not in page and "&lt;script&gt;" in page
    assert "TPM_RC_VALUE (parameter 1)" in page  # format-one rc, decoded
    assert "short command" in page and "short response (2 bytes)" in page


# -- the page in a real browser -----------------------------------------------------------

CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # PNG colour type -> bytes per pixel (8-bit depth)
BLUE, GREEN, PURPLE = bytes.fromhex("1f6feb"), bytes.fromhex("1a7f37"), bytes.fromhex("8250df")


def _unfilter(ftype: int, line: bytes, prev: bytes, bpp: int) -> bytes:
    """Undo one scanline's PNG filter (PNG spec 9.2)."""
    if ftype == 0:
        return line
    if ftype == 2 and line.count(0) == len(line):
        return prev
    out = bytearray(line)
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b = prev[i]
        if ftype == 1:
            pred = a
        elif ftype == 2:
            pred = b
        elif ftype == 3:
            pred = (a + b) >> 1
        elif ftype == 4:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        else:
            raise AssertionError(f"bad PNG filter type {ftype}")
        out[i] = (out[i] + pred) & 0xFF
    return bytes(out)


def png_pixels(path: Path) -> tuple[int, int, Counter[bytes]]:
    """Width, height and a count of every pixel value, with the stdlib only."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert ihdr is not None
    width, height, depth, colour, _, _, interlace = ihdr
    assert depth == 8 and interlace == 0 and colour in CHANNELS, ihdr
    bpp = CHANNELS[colour]
    raw, stride = zlib.decompress(b"".join(idat)), width * bpp
    prev, counts, seen = bytes(stride), Counter(), {}
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], raw[start + 1:start + 1 + stride], prev, bpp)
        if row not in seen:  # pages repeat rows (margins, lifelines): count them once
            seen[row] = Counter(row[i:i + bpp][:3] for i in range(0, stride, bpp))
        counts.update(seen[row])
        prev = row
    return width, height, counts


def chromium(url: str, png: Path, tmp: Path) -> str:
    """Render ``url`` headless into ``png``; Chromium's log (console messages included)."""
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail("chromium is not installed; `make deps` installs it (Debian package "
                    "chromium), or: apt-get install chromium")
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp)
    r = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         f"--screenshot={png}", "--window-size=1200,1600", url],
        capture_output=True, text=True, errors="replace", timeout=120)
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-3000:]
    return log


def console(log: str) -> list[str]:
    return [line for line in log.splitlines() if ":CONSOLE" in line]


def test_chromium_renders_the_page_without_script_errors(crb_records, tmp_path):
    # positive control: this Chromium does report a script error in its log
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><p>x</p><script>noSuchFunction();</script>")
    assert any("Uncaught" in m for m in console(chromium(bad.as_uri(), tmp_path / "bad.png",
                                                         tmp_path)))

    page = tmp_path / "crb-linux.html"
    page.write_text(render_html(crb_records, title="crb-linux"), encoding="utf-8")
    shots = {}
    # closed: the first TPM command is in view; '#all': the script opens every row, so the
    # first steps' tables push it down
    for name, fragment, colours in (("closed", "", (BLUE, GREEN, PURPLE)),
                                    ("open", "#all", (BLUE, GREEN))):
        png = tmp_path / f"{name}.png"
        log = chromium(page.as_uri() + fragment, png, tmp_path)
        assert not [m for m in console(log) if "Uncaught" in m or "Failed to load" in m], log
        assert "Uncaught" not in log
        assert png.is_file() and png.stat().st_size > 0, "no screenshot"
        width, height, counts = png_pixels(png)
        assert (width, height) == (1200, 1600)
        _, n = counts.most_common(1)[0]  # the background
        drawn = width * height - n
        assert drawn > 0.03 * width * height, f"{drawn} non-background pixels: blank page?"
        assert len(counts) > 50, "too few colours for text and arrows"
        for colour in colours:  # write, read and TPM-command arrows
            assert counts[colour] > 500, (colour.hex(), counts[colour])
        shots[name] = counts
    assert shots["closed"] != shots["open"]  # the script ran and opened the rows


def test_cli_writes_the_diagram_from_a_run_and_from_a_trace(tmp_path):
    html = tmp_path / "run.html"
    p = run_vmsim("run", "crb-linux", "--html", str(html))
    assert p.returncode == 0, p.stderr
    page = html.read_text()
    assert "GetCapability" in page and "swtpm" in page
    trace = tmp_path / "t.jsonl"
    run_vmsim("run", "crb-linux", "--trace", str(trace), "--trace-format", "jsonl")
    d = run_vmsim("diagram", str(trace), "-o", str(tmp_path / "t.html"))
    assert d.returncode == 0 and (tmp_path / "t.html").read_text().count("Startup") >= 1
    bad = run_vmsim("diagram", str(tmp_path / "run.html"))
    assert bad.returncode == 125 and "--trace-format jsonl" in bad.stderr
