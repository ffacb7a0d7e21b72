"""Bad input: one line on stderr naming the input and what to do, exit status 125."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from conftest import guest, run_vmsim

from vmsim.stop import EXIT_USAGE


def assert_one_line_error(p, *needles: str) -> None:
    assert p.returncode == EXIT_USAGE, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("vmsim: error: ")
    assert "Traceback" not in p.stderr
    for n in needles:
        assert n in lines[0]


def test_missing_socket_path(tmp_path):
    missing = tmp_path / "nope.sock"
    p = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{missing}")
    assert_one_line_error(p, str(missing), "does not exist", "swtpm")


def test_socket_path_that_is_not_a_socket(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    p = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{f}")
    assert_one_line_error(p, str(f), "not a UNIX socket")


def test_socket_nobody_listens_on(tmp_path):
    import socket

    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)  # bound but never listening: connect is refused
    try:
        p = run_vmsim("run", "crb-linux", "-l", f"tpm,swtpm,{path}")
    finally:
        s.close()
    assert_one_line_error(p, path, "refused")


def test_swtpm_not_installed(tmp_path):
    # A PATH holding everything vmsim might run except swtpm.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("make", "sh"):
        real = shutil.which(tool)
        if real:
            os.symlink(real, bindir / tool)
    env = dict(os.environ, PATH=str(bindir))
    p = run_vmsim("run", guest("crb-linux"), env=env)
    assert_one_line_error(p, "swtpm is not installed", "apt-get install swtpm")


def test_non_elf_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    assert_one_line_error(run_vmsim("run", str(f)), str(f), "not an ELF file")


def test_wrong_architecture_elf(tmp_path):
    data = bytearray(Path(guest("crb-linux")).read_bytes())
    data[18:20] = (40).to_bytes(2, "little")  # e_machine = EM_ARM
    f = tmp_path / "arm.elf"
    f.write_bytes(bytes(data))
    assert_one_line_error(run_vmsim("run", str(f)), str(f), "EM_ARM", "x86")


def test_elf_without_multiboot_header(tmp_path):
    data = bytearray(Path(guest("crb-linux")).read_bytes())
    i = data.find((0x1BADB002).to_bytes(4, "little"))
    data[i:i + 4] = b"\0\0\0\0"
    f = tmp_path / "nomb.elf"
    f.write_bytes(bytes(data))
    assert_one_line_error(run_vmsim("run", str(f)), "no multiboot v1 header")


def test_host_program_is_refused():
    assert_one_line_error(run_vmsim("run", sys.executable), "not an executable")


def test_unknown_guest_name():
    assert_one_line_error(run_vmsim("run", "no-such-guest"), "no-such-guest", "crb-linux")


@pytest.mark.parametrize("args,needles", [
    (["-o", "tpm.intf=usb"], ["'usb'", "crb"]),
    (["-o", "tpm.version=1.2"], ["2.0"]),
    (["-o", "tpm.colour=red"], ["tpm.colour", "tpm.path"]),
    (["-o", "tpm.type=passthru"], ["passthru", "swtpm"]),
    (["-l", "tpm,swtpm"], ["tpm,swtpm,/path"]),
    (["--profile", "vmware"], ["'vmware'", "spec"]),
    (["--firmware", "uefi"], ["'uefi'", "acpi", "no-tpm2"]),
    (["--unknown-access", "maybe"], ["maybe", "strict"]),
    (["--mem", "1"], ["--mem"]),
    (["--timeout", "soon"], ["--timeout"]),
])
def test_unknown_option_values(args, needles):
    assert_one_line_error(run_vmsim("run", "crb-linux", *args), *needles)


def test_unknown_subcommand():
    assert_one_line_error(run_vmsim("fly"), "fly")
