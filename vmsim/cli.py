"""The vmsim command line. bhyve users' habits carry over (-l tpm,swtpm,PATH; -o k=v).

Every bad input ends in one line, ``vmsim: error: ...``, and exit status 125.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vmsim import __version__
from vmsim.errors import VmsimError
from vmsim.stop import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_STATUS_TABLE

OPTION_KEYS = {
    "tpm.type": "backend type: swtpm",
    "tpm.path": "socket of a running swtpm (--server type=unixio,path=...)",
    "tpm.ctrl": "control socket of that swtpm (--ctrl type=unixio,path=...), optional",
    "tpm.version": "TPM version: 2.0",
    "tpm.intf": "interface: crb",
    "tpm.profile": "device profile (see 'vmsim profiles')",
    "tpm.state": "state directory for the swtpm vmsim starts (kept across runs)",
    "tpm.on-loss": "when swtpm goes away: stop (default), fail, reconnect",
    "tpm.latency": "hold each command's completion for N more guest status polls",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise VmsimError(f"{message} (see '{self.prog} --help')")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vmsim", description="Guest-visible virtual TPM hardware without a "
                "hypervisor: run an x86 guest driver against a TPM device model backed "
                "by swtpm.")
    p.add_argument("--version", action="version", version=f"vmsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    status_help = "\n".join(f"  {code:<7} {what}" for code, what in EXIT_STATUS_TABLE)
    r = sub.add_parser("run", help="run a guest",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit status:\n" + status_help)
    r.add_argument("guest", help="guest ELF path, or the name of a built guest (vmsim guests)")
    r.add_argument("-l", dest="lpc", action="append", default=[], metavar="tpm,swtpm,PATH",
                   help="bhyve-style TPM: attach to the swtpm listening on PATH")
    r.add_argument("-o", dest="options", action="append", default=[], metavar="KEY=VALUE",
                   help="bhyve_config-style option: " + "; ".join(
                       f"{k} ({v})" for k, v in OPTION_KEYS.items()))
    r.add_argument("--profile", help="device profile (default spec)")
    r.add_argument("--unknown-access", choices=("strict", "ignore"),
                   help="override the profile: stop on, or tolerate, unexpected accesses")
    r.add_argument("--firmware", default="acpi", help="firmware profile (vmsim firmware)")
    r.add_argument("--append", default="", metavar="CMDLINE", help="guest command line")
    r.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop the machine after this long (default 60; 0 = no limit)")
    r.add_argument("--mem", type=int, default=64, metavar="MIB", help="guest RAM (default 64)")
    r.add_argument("--report-json", metavar="FILE", help="write the run report as JSON")
    r.add_argument("--inject", action="append", default=[], metavar="RULE",
                   help="fault injection, repeatable; '@FILE' for one rule per line; e.g. "
                   "'nth=2,rc=TPM_RC_RETRY', 'cc=GetRandom,hang', 'nth=3,drop' "
                   "(README: fault injection)")
    r.add_argument("--cpu", default="auto", metavar="N|auto|none",
                   help="run vmsim and the swtpm it starts on one CPU (default auto)")
    r.add_argument("--trace", metavar="FILE",
                   help="write every device access and TPM command, decoded ('-' = stderr)")
    r.add_argument("--html", metavar="FILE", help="write the run as a self-contained HTML "
                   "sequence diagram (guest, interface, swtpm)")
    r.add_argument("--pcap", metavar="FILE", help="write every TPM command and response as "
                   "a pcap (TCP port 2321) that Wireshark's TPM 2.0 dissector decodes")
    r.add_argument("--trace-format", choices=("text", "jsonl", "qemu"), default="text",
                   help="text (annotated, for people), jsonl (one object per event), or "
                   "qemu (the lines QEMU 7.2's tpm_crb/tpm_tis trace events log)")

    mx = sub.add_parser("matrix", help="run OS guests against every profile, interface and "
                        "firmware, in parallel, and print the table")
    mx.add_argument("--guests", nargs="+", metavar="NAME")
    mx.add_argument("--profiles", nargs="+", metavar="NAME")
    mx.add_argument("--firmware", nargs="+", metavar="NAME")
    mx.add_argument("--interfaces", nargs="+", metavar="NAME")
    mx.add_argument("--jobs", type=int, default=None, help="cells run at once (default: CPUs)")
    mx.add_argument("--timeout", type=float, default=30.0, help="per cell (default 30 s)")
    mx.add_argument("--json", metavar="FILE", help="write every cell, fault reports included")

    sc = sub.add_parser("script", help="drive a device model with no guest, qtest style "
                        "(docs/walkthroughs/*.vms); FILE '-' reads stdin, a prompt on a tty")
    sc.add_argument("file", metavar="FILE")
    sc.add_argument("--profile", default=None, help="device profile (default spec)")
    sc.add_argument("-o", dest="options", action="append", default=[], metavar="KEY=VALUE",
                    help="tpm.intf=crb|tis, tpm.profile=NAME, tpm.path=PATH, tpm.ctrl=PATH")
    sc.add_argument("-l", dest="lpc", action="append", default=[], metavar="tpm,swtpm,PATH")
    sc.add_argument("--unknown-access", choices=("strict", "ignore"))

    dg = sub.add_parser("diagram", help="turn a jsonl trace into an HTML sequence diagram")
    dg.add_argument("trace", metavar="TRACE.jsonl")
    dg.add_argument("-o", dest="output", metavar="OUT.html", help="default: TRACE.html")

    tc = sub.add_parser("tcti", help="serve tpm2-tools through a device model (tpm2-tss cmd "
                        "TCTI: -T \"cmd:vmsim tcti -l tpm,swtpm,SOCK\")")
    tc.add_argument("-l", dest="lpc", action="append", default=[], metavar="tpm,swtpm,PATH",
                    required=True)
    tc.add_argument("-o", dest="options", action="append", default=[], metavar="KEY=VALUE",
                    help="tpm.intf=crb|tis, tpm.profile=NAME")
    tc.add_argument("--profile", default=None)
    tc.add_argument("--trace", metavar="FILE", help="the annotated trace of every access")

    sub.add_parser("guests", help="list built guests")
    sub.add_parser("firmware", help="list firmware profiles")
    pr = sub.add_parser("profiles", help="list device profiles, or show one")
    pr.add_argument("name", nargs="?")
    return p


def _apply_tpm_options(cfg, lpc: list[str], options: list[str], profile: str | None) -> None:
    for spec in lpc:
        parts = spec.split(",")
        if len(parts) != 3 or parts[0] != "tpm" or not parts[2]:
            raise VmsimError(f"-l {spec}: expected tpm,swtpm,/path/to/tpm.socket")
        cfg.tpm_type, cfg.tpm_path = parts[1], parts[2]
    for opt in options:
        key, sep, value = opt.partition("=")
        if not sep or key not in OPTION_KEYS:
            raise VmsimError(f"-o {opt}: expected KEY=VALUE with KEY one of "
                             f"{', '.join(OPTION_KEYS)}")
        if key == "tpm.version" and value not in ("2.0", "2"):
            raise VmsimError(f"-o {opt}: vmsim models TPM 2.0 only (tpm.version=2.0)")
        if key == "tpm.latency":
            try:
                cfg.latency = int(value, 0)
            except ValueError:
                raise VmsimError(f"-o {opt}: give a number of polls") from None
            continue
        attr = {"tpm.type": "tpm_type", "tpm.path": "tpm_path", "tpm.ctrl": "tpm_ctrl",
                "tpm.intf": "interface", "tpm.profile": "profile",
                "tpm.state": "tpm_state", "tpm.on-loss": "on_loss"}.get(key)
        if attr:
            setattr(cfg, attr, value)
    if profile is not None:
        cfg.profile = profile


def _cmd_run(args: argparse.Namespace) -> int:
    from vmsim.run import RunConfig, print_stop, run_guest

    cfg = RunConfig(guest=args.guest, firmware=args.firmware, cmdline=args.append,
                    timeout=args.timeout, mem_mib=args.mem, report_json=args.report_json,
                    trace=args.trace, unknown_access=args.unknown_access, cpu=args.cpu,
                    trace_format=args.trace_format, inject=args.inject, pcap=args.pcap,
                    html=args.html)
    _apply_tpm_options(cfg, args.lpc, args.options, args.profile)
    result = run_guest(cfg)
    print_stop(result.stop)
    return result.stop.status


def _cmd_tcti(args: argparse.Namespace) -> int:
    from vmsim.profiles import get_profile
    from vmsim.run import RunConfig
    from vmsim.tcti import serve
    from vmsim.tpm.swtpm import SwtpmBackend

    cfg = RunConfig(guest="-")
    _apply_tpm_options(cfg, args.lpc, args.options, args.profile)
    assert cfg.tpm_path is not None
    backend = SwtpmBackend(cfg.tpm_path, cfg.tpm_ctrl)
    trace = None
    try:
        if args.trace:
            try:
                trace = open(args.trace, "a")  # noqa: SIM115 - closed below
            except OSError as e:
                raise VmsimError(f"--trace {args.trace}: {e.strerror}") from None
        return serve(backend, interface=cfg.interface, profile=get_profile(cfg.profile),
                     trace=trace)
    finally:
        backend.close()
        if trace is not None:
            trace.close()


def _cmd_diagram(args: argparse.Namespace) -> int:
    import json

    from vmsim.run import write_diagram

    records = []
    try:
        with open(args.trace) as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        raise VmsimError(f"{args.trace}:{n}: not a JSON line; write the "
                                         "trace with --trace-format jsonl") from None
    except OSError as e:
        raise VmsimError(f"trace {args.trace}: {e.strerror}") from None
    out = args.output or str(Path(args.trace).with_suffix(".html"))
    write_diagram(out, records, f"vmsim trace {args.trace}")
    print(out)
    return 0


def _cmd_script(args: argparse.Namespace) -> int:
    from vmsim.profiles import get_profile, with_policy
    from vmsim.run import RunConfig
    from vmsim.script import run_script
    from vmsim.tpm.swtpm import SwtpmBackend

    cfg = RunConfig(guest="-")
    _apply_tpm_options(cfg, args.lpc, args.options, args.profile)
    profile = with_policy(get_profile(cfg.profile), args.unknown_access)
    backend = SwtpmBackend(cfg.tpm_path, cfg.tpm_ctrl) if cfg.tpm_path else None
    try:
        if args.file == "-":
            interactive = sys.stdin.isatty()
            return run_script(sys.stdin, source="<stdin>", interface=cfg.interface,
                              profile=profile, backend=backend, interactive=interactive)
        try:
            with open(args.file) as f:
                lines = f.readlines()
        except OSError as e:
            raise VmsimError(f"script {args.file}: {e.strerror}") from None
        return run_script(lines, source=args.file, interface=cfg.interface, profile=profile,
                          backend=backend)
    finally:
        if backend is not None:
            backend.close()


def _cmd_matrix(args: argparse.Namespace) -> int:
    from vmsim import matrix

    cells = matrix.plan(args.guests, args.profiles, args.firmware, args.interfaces)
    jobs = args.jobs or matrix.default_jobs()
    if jobs < 1:
        raise VmsimError("--jobs must be at least 1")
    progress = sys.stderr if sys.stderr.isatty() else None
    results = matrix.run_matrix(cells, jobs, args.timeout, progress)
    print(matrix.render(results))
    if args.json:
        matrix.write_json(args.json, results)
    return 0


def _cmd_list(kind: str, name: str | None = None) -> int:
    if kind == "guests":
        from vmsim.guests import GUEST_DIR, built_guests

        built = built_guests()
        if not built:
            print(f"no guests built in {GUEST_DIR}; run 'make guests'")
        for g, path in built.items():
            print(f"{g:<20} {path}")
    elif kind == "firmware":
        from vmsim.firmware import firmware_profiles

        for fp in firmware_profiles().values():
            print(f"{fp.name:<12} {fp.description}")
    else:
        from vmsim.profiles import PROFILES, get_profile

        if name is None:
            for p in PROFILES.values():
                print(f"{p.name:<18} {p.summary}")
        else:
            p = get_profile(name)
            print(f"{p.name}: {p.summary}")
            if p.reproduces:
                print(f"reproduces: {p.reproduces}")
            for knob, value in p.rows():
                print(f"  {knob:<24} {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "matrix":
            return _cmd_matrix(args)
        if args.command == "script":
            return _cmd_script(args)
        if args.command == "diagram":
            return _cmd_diagram(args)
        if args.command == "tcti":
            return _cmd_tcti(args)
        return _cmd_list(args.command, getattr(args, "name", None))
    except VmsimError as e:
        print(f"vmsim: error: {e}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print("vmsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as e:  # an internal bug: one line unless asked for the traceback
        if os.environ.get("VMSIM_DEBUG"):
            raise
        print(f"vmsim: internal error: {type(e).__name__}: {e} "
              "(set VMSIM_DEBUG=1 for a traceback and please report it)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
