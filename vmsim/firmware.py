"""Firmware profiles (tables in firmware/*.toml) and what they leave in guest RAM.

A profile says which tables the platform firmware hands the guest; this module lays
them out where a PC keeps them (RSDP in 0xE0000-0xFFFFF) and reports the ranges the
memory map must mark reserved.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from vmsim import acpi
from vmsim.devices.pm_timer import PM_TIMER_PORT
from vmsim.devices.tpm_common import LOCALITY_WINDOW, TPM_BASE
from vmsim.errors import VmsimError

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"
BIOS_AREA = (0xE0000, 0x100000)
TABLES_AT = 0xE0000
RSDP_AT = 0xF0000
CRB_CONTROL_AREA = TPM_BASE + 0x40


@dataclass(frozen=True)
class FirmwareProfile:
    name: str
    description: str
    tpm2_table: bool
    dsdt_tpm_device: bool
    stage: Path | None = None  # firmware-stage program run before the guest


def firmware_profiles() -> dict[str, FirmwareProfile]:
    """Every firmware/*.toml, by file name."""
    out = {}
    for path in sorted(FIRMWARE_DIR.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        try:
            stage = data.get("stage")
            out[path.stem] = FirmwareProfile(
                path.stem, str(data["description"]), bool(data["tpm2_table"]),
                bool(data["dsdt_tpm_device"]), FIRMWARE_DIR / stage if stage else None)
        except KeyError as e:
            raise VmsimError(f"firmware profile {path}: missing key {e}") from None
    return out


def get_firmware(name: str) -> FirmwareProfile:
    profiles = firmware_profiles()
    if name not in profiles:
        raise VmsimError(f"unknown firmware {name!r}; choose one of: {', '.join(profiles)}")
    prof = profiles[name]
    if prof.stage is not None and not prof.stage.is_file():
        raise VmsimError(f"firmware {name}: stage program {prof.stage} is not built; "
                         "run 'make guests'")
    return prof


@dataclass(frozen=True)
class FirmwareImage:
    """Bytes to place in RAM and the ranges the memory map reports as reserved."""

    blobs: tuple[tuple[int, bytes], ...]
    reserved: tuple[tuple[int, int], ...]
    tables: dict[str, int]


def build(profile: FirmwareProfile, interface: str, ram_size: int) -> FirmwareImage:
    """Lay out the ACPI tables for ``interface`` ('crb' or 'tis')."""
    blobs: list[tuple[int, bytes]] = []
    tables: dict[str, int] = {}
    reserved = [(0x9FC00, BIOS_AREA[1])]
    cursor = TABLES_AT

    def place(name: str, data: bytes) -> int:
        nonlocal cursor
        addr = cursor
        blobs.append((addr, data))
        tables[name] = addr
        cursor = (cursor + len(data) + 15) & ~15
        return addr

    # _CRS as peers declare it: the CRB's one locality page, the FIFO's five.
    window = LOCALITY_WINDOW if interface == "crb" else 5 * LOCALITY_WINDOW
    aml = acpi.tpm_device_aml(TPM_BASE, window) if profile.dsdt_tpm_device else b""
    dsdt_addr = place("DSDT", acpi.dsdt(aml))
    entries = [place("FACP", acpi.fadt(dsdt_addr, PM_TIMER_PORT))]
    if profile.tpm2_table:
        log_start = ram_size - acpi.TPM2_LOG_AREA_MIN
        reserved.append((log_start, ram_size))
        crb = interface == "crb"
        tpm2 = acpi.Tpm2Table(
            control_area=CRB_CONTROL_AREA if crb else 0,
            start_method=acpi.TPM2_START_METHOD_CRB if crb else acpi.TPM2_START_METHOD_FIFO,
            log_area_length=acpi.TPM2_LOG_AREA_MIN, log_area_start=log_start)
        entries.append(place("TPM2", tpm2.pack()))
    rsdt_addr = place("RSDT", acpi.rsdt(entries))
    xsdt_addr = place("XSDT", acpi.xsdt(entries))
    assert cursor <= RSDP_AT, "ACPI tables overflow into the RSDP area"
    blobs.append((RSDP_AT, acpi.rsdp(rsdt_addr, xsdt_addr)))
    tables["RSDP"] = RSDP_AT
    return FirmwareImage(tuple(blobs), tuple(reserved), tables)
