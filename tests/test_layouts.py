"""Each wire/memory layout packs and unpacks from one declaration (round trips)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vmsim import acpi
from vmsim.devices.registers import Access, Register, RegisterMap
from vmsim.firmware import build, get_firmware
from vmsim.multiboot import MmapEntry, MultibootHeader, MultibootInfo, find_header
from vmsim.tpm.commands import Header, error_response, rc_name

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)


@given(u16, u32, u32)
def test_tpm_header_round_trip(tag, size, code):
    h = Header(tag, size, code)
    assert Header.unpack(h.pack()) == h
    assert len(h.pack()) == 10


def test_error_response_is_the_ten_byte_tpm_form():
    assert error_response(0x142).hex() == "80010000000a00000142"
    assert rc_name(0x142) == "TPM_RC_COMMAND_SIZE"
    assert rc_name(0x1C4) == "TPM_RC_VALUE (parameter 1)"


@given(u32, u32, u32, u32, u32, u32)
def test_multiboot_info_round_trip(flags, lower, upper, cmdline, mlen, maddr):
    info = MultibootInfo(flags, lower, upper, cmdline, mlen, maddr, 0)
    assert MultibootInfo.unpack(info.pack()) == info


@given(u64, u64, u32)
def test_mmap_entry_round_trip(base, length, type_):
    e = MmapEntry(base, length, type_)
    raw = e.pack()
    assert int.from_bytes(raw[:4], "little") == 20
    assert MmapEntry.unpack(raw) == e


def test_multiboot_header_found_only_in_first_8k():
    h = MultibootHeader(0x1BADB002, 3, (-(0x1BADB002 + 3)) & 0xFFFFFFFF).pack()
    assert find_header(b"\0" * 64 + h) == (64, MultibootHeader.unpack(h))
    assert find_header(b"\0" * 8192 + h) is None


@given(u64, st.sampled_from([6, 7]), u32, u64)
def test_tpm2_table_round_trip_and_checksum(ca, method, laml, lasa):
    t = acpi.Tpm2Table(ca, method, laml, lasa)
    raw = t.pack()
    assert len(raw) == 76 and raw[:4] == b"TPM2" and raw[8] == 4
    assert sum(raw) % 256 == 0
    assert acpi.Tpm2Table.unpack(raw) == t


def test_firmware_tables_checksum_and_point_at_each_other():
    img = build(get_firmware("acpi"), "crb", 64 << 20)
    blobs = dict(img.blobs)
    rsdp = blobs[img.tables["RSDP"]]
    assert rsdp[:8] == b"RSD PTR " and sum(rsdp[:20]) % 256 == 0 and sum(rsdp) % 256 == 0
    for name in ("DSDT", "FACP", "TPM2", "RSDT", "XSDT"):
        raw = blobs[img.tables[name]]
        assert raw[:4] == name.encode() and sum(raw) % 256 == 0
    tpm2 = acpi.Tpm2Table.unpack(blobs[img.tables["TPM2"]])
    assert (tpm2.control_area, tpm2.start_method) == (0xFED40040, 7)
    dsdt = blobs[img.tables["DSDT"]]
    assert b"MSFT0101" in dsdt and acpi.memory32_fixed(0xFED40000, 0x1000) in dsdt


def test_no_tpm2_firmware_has_neither_table_nor_device():
    img = build(get_firmware("no-tpm2"), "crb", 64 << 20)
    assert "TPM2" not in img.tables
    assert b"MSFT0101" not in dict(img.blobs)[img.tables["DSDT"]]


def test_a_bad_register_table_fails_at_import_by_name():
    with pytest.raises(ValueError, match="B overlaps A"):
        RegisterMap("X", 16, (Register("A", 0, 4, Access.RW), Register("B", 2, 4, Access.RW)))
    with pytest.raises(ValueError, match="C: reset"):
        Register("C", 0, 1, Access.RO, reset=0x100)
