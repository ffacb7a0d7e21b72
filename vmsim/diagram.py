"""A run as a sequence diagram: one self-contained HTML page from the trace records.

A trace lists every register access, which hides the protocol a student wants to see:
who talks to whom (guest, TPM interface, swtpm) and in which steps. Here accesses are
grouped into named protocol steps (CRB and FIFO) or runs of the same access, collapsed
with <details> so the page works without JavaScript and opens offline, and each step
expands to the accesses it is made of. Records are the dicts of ``--trace-format jsonl``.
"""

from __future__ import annotations

import html
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vmsim.tpm.commands import COMMAND_CODES, HEADER_SIZE, RESPONSE_CODES, rc_name

__all__ = ["render_html"]

GUEST, TPM = "guest", "swtpm"
TIMES, RARROW, LARROW = "\u00d7", "\u2192", "\u2190"
ROWS_HEAD, ROWS_TAIL = 150, 50  # a long poll's table keeps its first and last accesses

DATA_REGS = frozenset({"DATA_BUFFER", "DATA_FIFO", "XDATA_FIFO"})
CONFIG_REGS = frozenset({
    "INTF_ID", "CTRL_EXT", "CMD_SIZE", "CMD_LADDR", "CMD_HADDR", "RSP_SIZE", "RSP_ADDR",
    "INT_ENABLE", "INT_STS", "DID_VID", "RID", "INTF_CAPABILITY", "INTERFACE_ID",
    "INT_VECTOR", "INT_STATUS",
})
# The status reads a named step absorbs: the guest waiting for what it just asked for.
ABSORBS: dict[str, frozenset[str]] = {
    "locality": frozenset({"LOC_STATE", "LOC_STS"}),
    "access": frozenset({"ACCESS"}),
    "ctrl_req": frozenset({"CTRL_REQ", "CTRL_STS"}),
    "sts_cmd": frozenset({"STS"}),
    "wdata": frozenset({"STS"}),  # FIFO: Expect / burstCount checks between bytes
    "rdata": DATA_REGS | {"STS"},  # FIFO: dataAvail / burstCount checks between bytes
    "poll": frozenset({"CTRL_START", "CTRL_STS", "STS"}),
    "cancel": frozenset({"CTRL_START", "CTRL_STS"}),  # until START clears
    "config": CONFIG_REGS,
}
WRITE_KINDS = frozenset({"locality", "access", "ctrl_req", "sts_cmd", "wdata", "start",
                         "cancel", "uncancel"})
ALG_NAMES = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384", 0x000D: "sha512",
             0x0012: "sm3_256"}
CAP_NAMES = {0: "ALGS", 1: "HANDLES", 2: "COMMANDS", 3: "PP_COMMANDS", 4: "AUDIT_COMMANDS",
             5: "PCRS", 6: "TPM_PROPERTIES", 7: "PCR_PROPERTIES", 8: "ECC_CURVES"}
PT_NAMES = {0x100: "FAMILY_INDICATOR", 0x101: "LEVEL", 0x102: "REVISION",
            0x105: "MANUFACTURER", 0x106: "VENDOR_STRING_1", 0x10B: "FIRMWARE_VERSION_1",
            0x10C: "FIRMWARE_VERSION_2", 0x11E: "MAX_COMMAND_SIZE", 0x11F: "MAX_RESPONSE_SIZE"}
TAG_NAMES = {0x8001: "TPM_ST_NO_SESSIONS", 0x8002: "TPM_ST_SESSIONS", 0x00C4: "TPM_TAG_RSP"}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _str(value: object) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


# -- grouping register accesses into protocol steps -------------------------------------

@dataclass
class _Access:
    number: int  # 1-based position in the trace, to find it in the jsonl file
    device: str
    direction: str
    offset: int
    width: int
    value: int
    register: str
    decoded: str
    rip: int | None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Step:
    device: str
    kind: str  # a key of ABSORBS, or start / cancel / generic
    name: str
    accesses: list[_Access]


@dataclass
class _Tpm:
    number: int
    device: str
    locality: int
    command: bytes | None
    response: bytes | None
    command_text: str
    response_text: str
    note: str


@dataclass
class _Note:
    number: int
    device: str
    cls: str  # warn, backend, other
    text: str


def _named_write(reg: str, offset: int, value: int) -> tuple[str, str] | None:
    """The protocol action a register write asks for (PTP 6.4 FIFO, 6.5 CRB), if any."""
    loc = offset >> 12
    if reg == "LOC_CTRL":
        for bit, name in ((1, f"request locality {loc}"), (2, f"relinquish locality {loc}"),
                          (4, f"seize locality {loc}"), (8, "reset establishment")):
            if value & bit:
                return "locality", name
    elif reg == "CTRL_REQ":
        if value & 1:
            return "ctrl_req", "cmdReady"
        if value & 2:
            return "ctrl_req", "goIdle"
    elif reg == "CTRL_CANCEL":
        return ("cancel", "CANCEL") if value & 1 else ("uncancel", "clear CANCEL")
    elif reg == "CTRL_START" and value & 1:
        return "start", "START"
    elif reg in DATA_REGS:
        return "wdata", "write command"
    elif reg == "ACCESS":
        for bit, name in ((0x02, f"requestUse (locality {loc})"),
                          (0x08, f"seize (locality {loc})"),
                          (0x20, f"release locality {loc}"), (0x10, "clear beenSeized")):
            if value & bit:
                return "access", name
    elif reg == "STS":
        bits = value << 8 * max(0, (offset & 0xFFF) - 0x18)  # byte writes to STS + 1..3
        for bit, kind, name in ((0x40, "sts_cmd", "commandReady"), (0x20, "start", "tpmGo"),
                                (0x02, "sts_cmd", "responseRetry"),
                                (1 << 24, "sts_cmd", "commandCancel"),
                                (1 << 25, "sts_cmd", "resetEstablishmentBit")):
            if bits & bit:
                return kind, name
    return None


class _Builder:
    """Feeds records in trace order; keeps the current step open while accesses fit it."""

    def __init__(self) -> None:
        self.items: list[_Step | _Tpm | _Note] = []
        self.cur: _Step | None = None
        self.last: dict[str, _Step] = {}  # per device: the last step, open or closed
        self.pending: list[_Note] = []  # notes shown after the step they happened in

    def close(self) -> None:
        self.cur = None
        self.items.extend(self.pending)
        self.pending.clear()

    def new(self, a: _Access, kind: str, name: str) -> None:
        self.close()
        self.cur = _Step(a.device, kind, name, [a])
        self.last[a.device] = self.cur
        self.items.append(self.cur)

    def access(self, a: _Access) -> None:
        cur, reg = self.cur, a.register
        same_dev = cur is not None and cur.device == a.device
        if a.direction == "W":
            named = _named_write(reg, a.offset, a.value)
            if named is None:
                if same_dev and cur.kind == "generic" and _same_run(cur.accesses[-1], a):
                    cur.accesses.append(a)
                else:
                    self.new(a, "generic", "")
            elif named[0] == "wdata" and same_dev and cur.kind == "wdata":
                cur.accesses.append(a)
            else:
                self.new(a, *named)
            return
        if same_dev and reg in ABSORBS.get(cur.kind, ()):
            cur.accesses.append(a)
        elif reg in DATA_REGS:
            self.new(a, "rdata", "read response")
        elif reg in ABSORBS["poll"] and self._after_start(a.device):
            self.new(a, "poll", "poll START" if reg.startswith("CTRL") else "wait dataAvail")
        elif same_dev and cur.kind == "generic" and _same_run(cur.accesses[-1], a):
            cur.accesses.append(a)
        elif reg in CONFIG_REGS:
            self.new(a, "config", "read configuration")
        else:
            self.new(a, "generic", "")

    def _after_start(self, device: str) -> bool:
        last = self.last.get(device)
        return last is not None and last.kind == "start"

    def note(self, n: _Note) -> None:
        if self.cur is not None and n.cls == "warn" and self.cur.device == n.device:
            self.cur.accesses[-1].warnings.append(n.text)  # it follows the access it is about
        self.pending.append(n)
        if self.cur is None:
            self.close()

    def tpm(self, t: _Tpm) -> None:
        self.close()
        self.items.append(t)


def _same_run(a: _Access, b: _Access) -> bool:
    """Repeats of one access: same register (or offset, if unnamed), direction and width."""
    return (a.register or a.offset, a.direction, a.width) == \
        (b.register or b.offset, b.direction, b.width)


def _hex_bytes(value: object) -> tuple[bytes | None, str]:
    text = _str(value)
    try:
        return bytes.fromhex(text), text
    except ValueError:
        return None, text


def _parse(records: Iterable[dict[str, Any]]) -> tuple[_Builder, list[str], dict[str, int]]:
    b = _Builder()
    devices: list[str] = []
    counts = dict.fromkeys(("records", "reads", "writes", "tpm", "failed", "warn",
                            "backend"), 0)
    for number, rec in enumerate(records, 1):
        counts["records"] += 1
        if not isinstance(rec, dict):
            b.note(_Note(number, "", "other", f"record that is not an object: {rec!r:.200}"))
            continue
        kind, device = _str(rec.get("type")), _str(rec.get("device"))
        if kind in ("mmio", "tpm") and device and device not in devices:
            devices.append(device)
        if kind == "mmio":
            rip = rec.get("rip")
            a = _Access(number, device, "W" if rec.get("direction") == "W" else "R",
                        _int(rec.get("offset")), _int(rec.get("width"), 4),
                        _int(rec.get("value")), _str(rec.get("register")),
                        _str(rec.get("decoded")), rip if isinstance(rip, int) else None)
            counts["writes" if a.direction == "W" else "reads"] += 1
            b.access(a)
        elif kind == "tpm":
            cmd, cmd_text = _hex_bytes(rec.get("command"))
            rsp, rsp_text = _hex_bytes(rec.get("response"))
            counts["tpm"] += 1
            if rsp is None or len(rsp) < HEADER_SIZE or int.from_bytes(rsp[6:10], "big"):
                counts["failed"] += 1
            b.tpm(_Tpm(number, device, _int(rec.get("locality")), cmd, rsp, cmd_text,
                       rsp_text, _str(rec.get("note"))))
        elif kind == "warning":
            counts["warn"] += 1
            b.note(_Note(number, device, "warn", _warning_text(rec)))
        elif kind == "backend":
            counts["backend"] += 1
            b.note(_Note(number, device, "backend",
                         f"{_str(rec.get('kind'))}: {_str(rec.get('detail'))}"))
        else:
            b.note(_Note(number, device, "other", f"{kind or 'untyped'} record: "
                         + ", ".join(f"{k}={v}" for k, v in rec.items() if k != "type")))
    b.close()
    return b, devices, counts


def _warning_text(rec: dict[str, Any]) -> str:
    width = _int(rec.get("width"))
    return (f"{_str(rec.get('kind'))}: {_str(rec.get('direction'))}{width} "
            f"{_int(rec.get('offset')):#06x} {_str(rec.get('register'))} value "
            f"{_int(rec.get('value')):#x} ({_str(rec.get('rule'))})")


# -- TPM command and response decoding ----------------------------------------------------

def _params(code: int, body: bytes) -> str:
    """The few parameters a student looks for; anything unexpected gives up quietly."""
    try:
        if code in (0x144, 0x145):  # Startup, Shutdown
            su = struct.unpack_from(">H", body)[0]
            return {0: "TPM_SU_CLEAR", 1: "TPM_SU_STATE"}.get(su, f"su={su:#x}")
        if code == 0x17B:  # GetRandom
            return f"bytesRequested={struct.unpack_from('>H', body)[0]}"
        if code == 0x17A:  # GetCapability
            cap, prop, count = struct.unpack_from(">III", body)
            pname = PT_NAMES.get(prop) if cap == 6 else None
            return (f"{CAP_NAMES.get(cap, hex(cap))}, property="
                    f"{'TPM_PT_' + pname if pname else hex(prop)}, count={count}")
        if code in (0x182, 0x13D):  # PCR_Extend, PCR_Reset: pcrHandle first
            handle = struct.unpack_from(">I", body)[0]
            return f"PCR {handle}" if handle < 32 else f"handle {handle:#x}"
        if code == 0x17E:  # PCR_Read: TPML_PCR_SELECTION
            (count,), off, parts = struct.unpack_from(">I", body), 4, []
            for _ in range(min(count, 8)):
                alg, size = struct.unpack_from(">HB", body, off)
                sel = body[off + 3:off + 3 + size]
                pcrs = [i for i in range(8 * len(sel)) if sel[i // 8] >> (i % 8) & 1]
                parts.append(f"{ALG_NAMES.get(alg, hex(alg))} PCR {pcrs}")
                off += 3 + size
            return "; ".join(parts)
    except (struct.error, IndexError):
        return ""
    return ""


def _cmd_label(t: _Tpm) -> tuple[str, str]:
    if t.command is None or len(t.command) < HEADER_SIZE:
        n = len(t.command) if t.command is not None else len(t.command_text) // 2
        return f"short command ({n} bytes)", ""
    code = int.from_bytes(t.command[6:10], "big")
    name = COMMAND_CODES.get(code, f"command code {code:#x}")
    return name, _params(code, t.command[HEADER_SIZE:])


def _rc_meaning(rc: int) -> str:
    if rc in RESPONSE_CODES:
        return RESPONSE_CODES[rc][1]
    if rc & 0x80:
        return RESPONSE_CODES.get((rc & 0x3F) | 0x80, ("", "format-one error"))[1]
    return ""


def _rsp_label(t: _Tpm) -> tuple[str, str, bool]:
    if t.response is None or len(t.response) < HEADER_SIZE:
        n = len(t.response) if t.response is not None else len(t.response_text) // 2
        return f"short response ({n} bytes)", "", False
    rc = int.from_bytes(t.response[6:10], "big")
    return rc_name(rc), _rc_meaning(rc), rc == 0


# -- HTML ---------------------------------------------------------------------------------

CSS = """
:root{--w:#1f6feb;--r:#1a7f37;--cmd:#8250df;--err:#cf222e;--warn:#9a6700;--bg:#fff;
--fg:#1f2328;--mute:#656d76;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",
"Liberation Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:12px 20px 4px}h1{font-size:20px;margin:0 0 4px}
.legend{display:flex;flex-wrap:wrap;gap:8px 28px;padding:4px 20px 10px;
border-bottom:1px solid var(--line)}
.legend h2{font-size:13px;margin:4px 0;text-transform:uppercase;color:var(--mute)}
.legend ul{margin:0;padding:0;list-style:none}.legend li{margin:2px 0}
.sw{display:inline-block;width:28px;height:0;border-top:3px solid;vertical-align:middle;
margin-right:6px}.sw.d{border-top-style:dashed}
.box{display:inline-block;width:16px;height:12px;border:1px solid;vertical-align:middle;
margin-right:6px}
.counts b{font-variant-numeric:tabular-nums}
#toolbar{padding:8px 20px}#toolbar button{font:inherit;margin-right:6px;padding:2px 10px;
border:1px solid var(--line);border-radius:6px;background:#f6f8fa;cursor:pointer}
.diagram{position:relative;padding-bottom:30px}
.life{position:absolute;top:0;bottom:0;border-left:2px dashed #afb8c1;z-index:0}
.heads{position:sticky;top:0;height:46px;background:var(--bg);z-index:5;
border-bottom:1px solid var(--line)}
.head{position:absolute;top:8px;transform:translateX(-50%);padding:4px 14px;
border:2px solid var(--fg);border-radius:6px;background:#f6f8fa;font-weight:600;
white-space:nowrap}
.row{position:relative;z-index:1}
summary{display:block;position:relative;cursor:pointer;list-style:none;height:38px}
summary::-webkit-details-marker{display:none}
summary:hover,summary:focus-visible{background:rgba(175,184,193,.18);outline:none}
.tpm>summary{height:70px}
.idx{position:absolute;left:6px;top:10px;font-size:11px;color:var(--mute);
font-variant-numeric:tabular-nums}
.arr{position:absolute;height:0;border-top:2px solid var(--c)}
.arr::after{content:"";position:absolute;top:-7px;border:6px solid transparent}
.arr.rt::after{right:-2px;border-left:10px solid var(--c);border-right:0}
.arr.lt::after{left:-2px;border-right:10px solid var(--c);border-left:0}
.arr.dash{border-top-style:dashed}
.lbl{position:absolute;left:-40px;right:-40px;bottom:3px;text-align:center;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:var(--c)}
.lbl b{font-weight:600}.lbl small{color:var(--mute);margin-left:6px}
.tw::before{content:"\\25b8";display:inline-block;width:12px;color:var(--mute)}
details[open]>summary .tw::before{content:"\\25be"}
.w{--c:var(--w)}.r{--c:var(--r)}.c{--c:var(--cmd)}.e{--c:var(--err)}
.badge{display:inline-block;padding:0 5px;border-radius:8px;font-size:11px;
background:#fff8c5;color:var(--warn);border:1px solid #d4a72c;margin-left:6px}
.body{position:relative;z-index:2;margin:2px 12px 10px 40px;padding:6px 8px;
background:var(--bg);border:1px solid var(--line);border-radius:6px;overflow-x:auto}
table{border-collapse:collapse;font-size:12px}
th,td{padding:2px 8px;text-align:left;border-bottom:1px solid #eaeef2;white-space:nowrap}
th{color:var(--mute);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,td.m{font-family:"DejaVu Sans Mono","Liberation Mono",Menlo,Consolas,monospace}
tr.warned td{background:#fff8c5}
.hex{display:block;white-space:normal;word-break:break-all;font-size:12px;max-width:100%}
.hex .h{background:#eaeef2;border-radius:3px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
dt{color:var(--mute)}dd{margin:0}
.note{position:relative;z-index:1;padding:4px 0}
.nb{border:1px solid;border-radius:6px;padding:4px 8px;font-size:12px;
overflow-wrap:anywhere;background:var(--bg)}
.note.warn .nb{border-color:#d4a72c;background:#fff8c5;color:#4d2d00}
.note.backend .nb{border-color:var(--err);background:#ffebe9;color:#82071e}
.note.other .nb{border-color:var(--line);background:#f6f8fa}
.more td{color:var(--mute);font-style:italic}
"""

SCRIPT = """
(function () {
  "use strict";
  var rows = document.querySelectorAll("details.row");
  var bar = document.getElementById("toolbar");
  function show(which) {
    rows.forEach(function (d) {
      d.open = which === "all" || (which === "tpm" && d.classList.contains("tpm"));
    });
  }
  bar.hidden = false;
  bar.addEventListener("click", function (ev) {
    var b = ev.target.closest("button");
    if (b) { show(b.getAttribute("data-show")); }
  });
  if (location.hash === "#all" || location.hash === "#tpm") {
    show(location.hash.slice(1));
  } else if (location.hash.length > 1) {
    var t = document.getElementById(location.hash.slice(1));
    if (t && t.tagName === "DETAILS") { t.open = true; }
  }
})();
"""


def _center(lanes: list[str], lane: str) -> float:
    i = lanes.index(lane) if lane in lanes else 0
    return (i + 0.5) * 100 / len(lanes)


def _arrow(lanes: list[str], src: str, dst: str, cls: str, label: str, top: int) -> str:
    a, b = _center(lanes, src), _center(lanes, dst)
    side = "rt" if b >= a else "lt"
    return (f'<span class="arr {side} {cls}" style="left:{min(a, b):.3f}%;'
            f'width:{abs(b - a):.3f}%;top:{top}px"><span class="lbl">{label}</span></span>')


def _value(v: int, width: int) -> str:
    return f"{v:#0{2 * max(width, 1) + 2}x}"


def _group_summary(accesses: list[_Access]) -> str:
    """'LOC_CTRL <- 0x1 . LOC_STATE x3 -> 0x83': what a step did, register by register."""
    groups: dict[tuple[str, str], list[_Access]] = {}
    for a in accesses:
        groups.setdefault((a.register or f"{a.offset:#x}", a.direction), []).append(a)
    parts = []
    for (reg, d), accs in list(groups.items())[:4]:
        n = f" {TIMES}{len(accs)}" if len(accs) > 1 else ""
        if reg in DATA_REGS:
            parts.append(f"{reg}{n} {'writes' if d == 'W' else 'reads'}")
        else:
            parts.append(f"{reg}{n} {LARROW if d == 'W' else RARROW} {accs[-1].value:#x}")
    return " \u00b7 ".join(parts) + (" \u2026" if len(groups) > 4 else "")


def _step_label(s: _Step) -> tuple[str, str]:
    accs, first, last = s.accesses, s.accesses[0], s.accesses[-1]
    if s.kind in ("wdata", "rdata"):
        n = sum(a.width for a in accs if a.register in DATA_REGS)
        return f"{s.name} ({n} bytes)", _group_summary(accs)
    if s.kind == "poll":
        main = [a for a in accs if a.register == first.register]
        mixed = _group_summary(accs) if len(main) != len(accs) else ""
        return (f"{s.name} {TIMES}{len(main)} {RARROW} {main[-1].value:#x}",
                " \u00b7 ".join(x for x in (main[-1].decoded, mixed) if x))
    if s.kind == "config" and len({a.register for a in accs}) > 1:
        regs = list(dict.fromkeys(a.register for a in accs))
        return s.name, ", ".join(regs)
    if s.kind in ("generic", "config"):
        n = f" {TIMES}{len(accs)}" if len(accs) > 1 else ""
        arrow = LARROW if first.direction == "W" else RARROW
        reg = first.register or f"@{first.offset:#06x}"
        return f"{first.direction}{first.width} {reg}{n} {arrow} {last.value:#x}", last.decoded
    return s.name, _group_summary(accs)


def _access_table(accs: list[_Access]) -> str:
    out = ['<table><tr><th class="n">rec</th><th>RIP</th><th>dir</th><th>offset</th>'
           '<th>loc</th><th class="n">width</th><th>register</th><th>value</th>'
           '<th>decoded</th></tr>']
    shown: list[_Access | None] = list(accs)
    if len(accs) > ROWS_HEAD + ROWS_TAIL:
        shown = [*accs[:ROWS_HEAD], None, *accs[-ROWS_TAIL:]]
    for a in shown:
        if a is None:
            hidden = len(accs) - ROWS_HEAD - ROWS_TAIL
            out.append(f'<tr class="more"><td colspan="9">\u2026 {hidden} more accesses '
                       'not listed (see the trace file) \u2026</td></tr>')
            continue
        rip = f"{a.rip:#010x}" if a.rip is not None else "\u2014"
        warn = "".join(f"<br>\u26a0 {_e(w)}" for w in a.warnings)
        out.append(f'<tr{" class=warned" if a.warnings else ""}><td class="n">{a.number}</td>'
                   f'<td class="m">{rip}</td><td>{a.direction}{a.width}</td>'
                   f'<td class="m">{a.offset:#06x}</td><td class="n">{a.offset >> 12}</td>'
                   f'<td class="n">{a.width}</td><td>{_e(a.register)}</td>'
                   f'<td class="m">{_value(a.value, a.width)}</td>'
                   f'<td>{_e(a.decoded)}{warn}</td></tr>')
    out.append("</table>")
    return "".join(out)


def _hex_block(data: bytes | None, text: str) -> str:
    if data is None:
        return f'<code class="hex">{_e(text)} (not hex)</code>'
    h = data.hex()
    head = ""
    if len(data) >= HEADER_SIZE:
        head = (f'<span class="h" title="tag">{h[0:4]}</span> '
                f'<span class="h" title="size">{h[4:12]}</span> '
                f'<span class="h" title="code">{h[12:20]}</span> ')
        h = h[20:]
    body = " ".join(h[i:i + 8] for i in range(0, len(h), 8))
    return f'<code class="hex">{head}{body}</code>'


def _header_fields(data: bytes | None, code_name: str) -> str:
    if data is None or len(data) < HEADER_SIZE:
        return ""
    tag, size, code = struct.unpack_from(">HII", data)
    return (f"<dt>tag</dt><dd>{tag:#06x} {TAG_NAMES.get(tag, '')}</dd>"
            f"<dt>size</dt><dd>{size} (header says), {len(data)} bytes carried</dd>"
            f"<dt>{code_name}</dt><dd>{code:#x}</dd>")


def _render_step(s: _Step, lanes: list[str], idx: int) -> str:
    label, sub = _step_label(s)
    write = s.kind in WRITE_KINDS or (s.kind == "generic" and s.accesses[0].direction == "W")
    src, dst, cls = (GUEST, s.device, "w") if write else (s.device, GUEST, "r")
    nwarn = sum(len(a.warnings) for a in s.accesses)
    badge = f'<span class="badge">\u26a0 {nwarn}</span>' if nwarn else ""
    text = (f'<span class="tw"></span><b>{_e(label)}</b>'
            f'{f"<small>{_e(sub)}</small>" if sub else ""}{badge}')
    title = f"{src} {RARROW} {dst}: {label}" + (f" ({sub})" if sub else "")
    return (f'<details class="row step {cls}" id="r{idx}"><summary title="{_e(title)}">'
            f'<span class="idx">{idx}</span>{_arrow(lanes, src, dst, cls, text, 30)}'
            f'</summary><div class="body">{len(s.accesses)} register access'
            f'{"es" if len(s.accesses) != 1 else ""} by the guest:'
            f'{_access_table(s.accesses)}</div></details>')


def _render_tpm(t: _Tpm, lanes: list[str], idx: int) -> str:
    name, params = _cmd_label(t)
    rname, meaning, ok = _rsp_label(t)
    csize = len(t.command) if t.command is not None else 0
    rsize = len(t.response) if t.response is not None else 0
    csub = " \u00b7 ".join(x for x in (params, f"{csize} bytes", f"locality {t.locality}") if x)
    rsub = " \u00b7 ".join(x for x in (meaning, f"{rsize} bytes", t.note) if x)
    ctext = f'<span class="tw"></span><b>{_e(name)}</b><small>{_e(csub)}</small>'
    rtext = f'<b>{_e(rname)}</b><small>{_e(rsub)}</small>'
    rcls = "c" if ok else "e"
    title = f"{t.device} {RARROW} {TPM}: {name} {params}; {TPM} {RARROW} {t.device}: {rname}"
    return (f'<details class="row tpm" id="r{idx}" data-command="{_e(name)}">'
            f'<summary title="{_e(title)}"><span class="idx">{idx}</span>'
            f'{_arrow(lanes, t.device, TPM, "c", ctext, 30)}'
            f'{_arrow(lanes, TPM, t.device, f"{rcls} dash", rtext, 62)}</summary>'
            f'<div class="body"><dl><dt>command</dt><dd><b>{_e(name)}</b> {_e(params)}</dd>'
            f'{_header_fields(t.command, "commandCode")}'
            f'<dt>bytes</dt><dd>{_hex_block(t.command, t.command_text)}</dd>'
            f'<dt>locality</dt><dd>{t.locality}</dd>'
            f'<dt>response</dt><dd><b>{_e(rname)}</b> {_e(meaning)}</dd>'
            f'{_header_fields(t.response, "responseCode")}'
            f'<dt>bytes</dt><dd>{_hex_block(t.response, t.response_text)}</dd>'
            f'{f"<dt>note</dt><dd>{_e(t.note)}</dd>" if t.note else ""}'
            f'<dt>trace record</dt><dd>{t.number}</dd></dl></div></details>')


def _render_note(n: _Note, lanes: list[str]) -> str:
    lane = TPM if n.cls == "backend" else (n.device if n.device in lanes else GUEST)
    width = min(30.0, 100 / len(lanes))
    left = _center(lanes, lane) - width / 2
    icon = {"warn": "\u26a0 warning", "backend": "\u26a1 backend"}.get(n.cls, "\u2139 note")
    who = f" ({n.device})" if n.device and n.device != lane else ""
    return (f'<div class="row note {n.cls}" data-lane="{_e(lane)}"><div class="nb" '
            f'style="margin-left:{left:.3f}%;width:{width:.3f}%"><b>{icon}{_e(who)}</b> '
            f'{_e(n.text)} <small>(record {n.number})</small></div></div>')


def _lane_meaning(lane: str) -> str:
    if lane == GUEST:
        return "the x86 guest driver: its loads and stores to the TPM's MMIO registers"
    if lane == TPM:
        return "the TPM 2.0 itself (swtpm), reached over its socket"
    if "crb" in lane:
        return "vmsim's CRB interface (Command Response Buffer, PTP 6.5): registers + buffer"
    if "tis" in lane or "fifo" in lane:
        return "vmsim's FIFO interface (TIS, PTP 6.4): registers + byte FIFO"
    return "the TPM interface device model in vmsim"


def _n(count: int, word: str) -> str:
    plural = "es" if word.endswith("s") else "s"
    return f"<b>{count}</b> {word}{plural if count != 1 else ''}"


def _legend(lanes: list[str], counts: dict[str, int], steps: int) -> str:
    accesses = counts["reads"] + counts["writes"]
    lane_items = "".join(f"<li><b>{_e(lane)}</b> \u2014 {_e(_lane_meaning(lane))}</li>"
                         for lane in lanes)
    colours = (
        '<li><span class="sw" style="color:var(--w)"></span>guest writes registers '
        "(a step: click it for the accesses)</li>"
        '<li><span class="sw" style="color:var(--r)"></span>guest reads registers '
        "(polls are counted: \u00d7n)</li>"
        '<li><span class="sw" style="color:var(--cmd)"></span>TPM command to swtpm; '
        '<span class="sw d" style="color:var(--cmd)"></span>its response</li>'
        '<li><span class="sw d" style="color:var(--err)"></span>response with an error '
        "code</li>"
        '<li><span class="box" style="background:#fff8c5;border-color:#d4a72c"></span>'
        "protocol warning (the device saw something the spec does not allow)</li>"
        '<li><span class="box" style="background:#ffebe9;border-color:#cf222e"></span>'
        "backend event (swtpm lost, reconnected, command cancelled)</li>")
    nums = (f"<li>{_n(accesses, 'register access')} ({_n(counts['reads'], 'read')}, "
            f"{_n(counts['writes'], 'write')}) in {_n(steps, 'step')}</li>"
            f"<li>{_n(counts['tpm'], 'TPM command')}, {counts['failed']} with an error "
            f"response</li><li>{_n(counts['warn'], 'warning')}, "
            f"{_n(counts['backend'], 'backend event')}</li>"
            f"<li>{_n(counts['records'], 'trace record')}</li>")
    return (f'<section class="legend"><div><h2>Lanes</h2><ul>{lane_items}</ul></div>'
            f'<div><h2>Colours</h2><ul>{colours}</ul></div>'
            f'<div class="counts"><h2>This run</h2><ul>{nums}</ul></div></section>')


def render_html(records: Iterable[dict], *, title: str) -> str:
    """One offline HTML page showing the run as a sequence diagram (see the module doc)."""
    builder, devices, counts = _parse(records)
    lanes = [GUEST, *(devices or ["interface"]), TPM]
    rows: list[str] = []
    steps = numbered = 0
    for item in builder.items:
        if isinstance(item, _Note):
            rows.append(_render_note(item, lanes))
            continue
        numbered += 1
        if isinstance(item, _Step):
            steps += 1
            rows.append(_render_step(item, lanes, numbered))
        else:
            rows.append(_render_tpm(item, lanes, numbered))
    lifelines = "".join(f'<div class="life" style="left:{_center(lanes, x):.3f}%"></div>'
                        for x in lanes)
    heads = "".join(f'<div class="head" data-lane="{_e(x)}" style="left:'
                    f'{_center(lanes, x):.3f}%">{_e(x)}</div>' for x in lanes)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><div>Sequence diagram of a vmsim run: time flows "
        "down; each arrow is one protocol step or one TPM command. Click a row to see "
        "what it is made of.</div></header>"
        f"{_legend(lanes, counts, steps)}"
        '<div id="toolbar" hidden><button type="button" data-show="all">expand all</button>'
        '<button type="button" data-show="tpm">expand TPM commands</button>'
        '<button type="button" data-show="none">collapse all</button></div>'
        f'<div class="diagram">{lifelines}<div class="heads">{heads}</div>'
        f'{"".join(rows)}</div><script>{SCRIPT}</script></body></html>\n')
