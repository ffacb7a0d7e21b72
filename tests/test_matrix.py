"""`vmsim matrix`: which guest breaks on which device model, asserted from its JSON."""

from __future__ import annotations

import json

import pytest
from conftest import run_vmsim


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    out = tmp_path_factory.mktemp("matrix") / "m.json"
    p = run_vmsim("matrix", "--json", str(out), timeout=600)
    assert p.returncode == 0, p.stderr
    cells = json.loads(out.read_text())
    return {(c["guest"], c["profile"], c["interface"], c["firmware"]): c for c in cells}, \
        p.stdout


def verdict(matrix, guest, profile, interface="crb", firmware="acpi"):
    cells, _ = matrix
    key = (guest, profile, interface, firmware)
    assert key in cells, f"no cell {key}: is guest {guest} built?"
    return cells[key]["verdict"]


def test_netbsd_isa_probe_kills_bhyve_2024_with_a_crb_and_no_tpm2_table(matrix):
    assert verdict(matrix, "tis-netbsd", "bhyve-2024", "crb", "no-tpm2") == \
        "fault LOC_STATE W1"


def test_freebsd_int_enable_write_kills_bhyve_2024(matrix):
    assert verdict(matrix, "crb-freebsd", "bhyve-2024").startswith("fault INT_ENABLE W4")


def test_seabios_intf_id_write_kills_bhyve(matrix):
    assert verdict(matrix, "probe-seabios", "bhyve").startswith("fault INTF_ID W4")
    assert verdict(matrix, "crb-linux", "bhyve", firmware="seabios") == "fault INTF_ID W4"


def test_every_guest_on_spec_is_ok_or_a_graceful_no_tpm(matrix):
    cells, _ = matrix
    for (guest, profile, _i, _f), cell in cells.items():
        if profile == "spec":
            assert cell["verdict"] in ("ok", "no-tpm"), (guest, cell)


def test_every_crb_guest_on_bhyve_2024_fails_on_command_size_or_earlier(matrix):
    cells, _ = matrix
    for (guest, profile, interface, _f), cell in cells.items():
        if profile == "bhyve-2024" and interface == "crb":
            v = cell["verdict"]
            assert v in ("fail 0x142", "no-tpm") or v.startswith("fault "), (guest, v)
    assert verdict(matrix, "crb-linux", "bhyve-2024") == "fail 0x142"


def test_fault_cells_carry_the_full_report(matrix):
    cells, _ = matrix
    cell = cells[("tis-netbsd", "bhyve-2024", "crb", "no-tpm2")]
    fault = cell["report"]["fault"]
    assert fault["register"] == "LOC_STATE" and fault["value"] == 2
    assert fault["instruction"].startswith("mov byte ptr")


def test_table_has_a_block_per_firmware(matrix):
    _, stdout = matrix
    for fw in ("acpi", "no-tpm2", "seabios"):
        assert f"firmware {fw}:" in stdout


@pytest.mark.parametrize("args,needle", [
    (["--guests", "windows"], "unknown guest 'windows'"),
    (["--profiles", "xen"], "unknown profile 'xen'"),
    (["--firmware", "coreboot"], "unknown firmware 'coreboot'"),
    (["--interfaces", "spi"], "unknown interface 'spi'"),
])
def test_unknown_names_are_one_line_errors(args, needle):
    p = run_vmsim("matrix", *args)
    assert p.returncode == 125
    assert p.stderr.count("\n") == 1 and needle in p.stderr
