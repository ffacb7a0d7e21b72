"""CRB register behaviour, driven through read/write with no CPU, against a real swtpm."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vmsim.devices.tpm_crb import CRB_REGISTERS, DATA_BUFFER, TpmCrb
from vmsim.profiles import SPEC, with_policy
from vmsim.stop import MachineStop, StopReason
from vmsim.tpm.swtpm import SpawnedSwtpm
from vmsim.trace import Recorder

REG = {r.name: r.offset for r in CRB_REGISTERS.registers}
STARTUP = bytes.fromhex("80010000000c000001440000")
GET_RANDOM_8 = bytes.fromhex("80010000000c0000017b0008")


@pytest.fixture(scope="module")
def swtpm():
    tpm = SpawnedSwtpm()
    tpm.backend.power_on(0xF80)  # what a machine start does: STOP, SET_BUFFERSIZE, INIT
    yield tpm
    tpm.close()


@pytest.fixture
def crb(swtpm):
    return TpmCrb(swtpm.backend, SPEC, Recorder())


def put_command(dev: TpmCrb, cmd: bytes, loc: int = 0) -> None:
    for i, b in enumerate(cmd):
        dev.write((loc << 12) + DATA_BUFFER + i, 1, b)


def response(dev: TpmCrb) -> bytes:
    size = int.from_bytes(bytes(dev.buffer[2:6]), "big")
    return bytes(dev.buffer[:size])


def rc(dev: TpmCrb) -> int:
    return int.from_bytes(bytes(dev.buffer[6:10]), "big")


def ready(dev: TpmCrb, loc: int = 0) -> None:
    dev.write((loc << 12) + REG["LOC_CTRL"], 4, 1)
    dev.write((loc << 12) + REG["CTRL_REQ"], 4, 1)


def test_reset_values_follow_the_register_table(crb):
    assert crb.read(REG["LOC_STATE"], 4) == 0x81
    assert crb.read(REG["LOC_STS"], 4) == 0
    assert crb.read(REG["CTRL_STS"], 4) == 0x2  # tpmIdle
    assert crb.read(REG["CMD_SIZE"], 4) == 0xF80
    assert crb.read(REG["RSP_SIZE"], 4) == 0xF80
    assert crb.read(REG["CMD_LADDR"], 4) == 0xFED40080
    assert crb.read(REG["CMD_HADDR"], 4) == 0
    assert crb.read(REG["RSP_ADDR"], 4) == 0xFED40080
    assert crb.read(REG["RSP_ADDR"] + 4, 4) == 0


def test_intf_id_says_crb_version_1_with_vid_and_narrow_reads(crb):
    low = crb.read(REG["INTF_ID"], 4)
    reg = CRB_REGISTERS["INTF_ID"]
    assert reg.field("InterfaceType").get(low) == 1
    assert reg.field("InterfaceVersion").get(low) == 1
    assert reg.field("CapCRB").get(low) == 1
    assert reg.field("CapFIFO").get(low) == 0
    assert reg.field("InterfaceSelector").get(low) == 1
    assert crb.read(0x34, 2) == 0x1014  # VID, a 16-bit read inside a 64-bit register
    assert crb.read(0x30, 1) == low & 0xFF


def test_loc_ctrl_is_write_only_and_reads_zero(crb):
    crb.write(REG["LOC_CTRL"], 4, 1)
    assert crb.read(REG["LOC_CTRL"], 4) == 0


def test_request_grants_a_free_locality(crb):
    crb.write(0x2000 + REG["LOC_CTRL"], 4, 1)
    assert crb.read(REG["LOC_STATE"], 4) == 0x81 | 0x2 | (2 << 2)
    assert crb.read(0x2000 + REG["LOC_STS"], 4) == 1
    assert crb.read(REG["LOC_STS"], 4) == 0  # locality 0 is not granted


def test_byte_write_of_request_access_is_a_request(crb):
    crb.write(REG["LOC_CTRL"], 1, 1)
    assert crb.read(REG["LOC_STS"], 4) & 1


def test_relinquish_frees_the_locality_and_grants_a_pending_one(crb):
    crb.write(REG["LOC_CTRL"], 4, 1)
    crb.write(0x1000 + REG["LOC_CTRL"], 4, 1)  # locality 1 waits
    assert crb.active == 0
    crb.write(REG["LOC_CTRL"], 4, 2)
    assert crb.active == 1
    crb.write(0x1000 + REG["LOC_CTRL"], 4, 2)
    assert crb.read(REG["LOC_STATE"], 4) == 0x81


def test_seize_by_a_higher_locality_marks_the_loser(crb):
    crb.write(REG["LOC_CTRL"], 4, 1)
    crb.write(0x3000 + REG["LOC_CTRL"], 4, 4)
    assert crb.active == 3
    assert crb.read(REG["LOC_STS"], 4) == 0x2  # beenSeized, not granted
    crb.write(0x1000 + REG["LOC_CTRL"], 4, 4)  # lower locality cannot seize
    assert crb.active == 3


def test_cmd_ready_and_go_idle_move_tpm_idle(crb):
    crb.write(REG["LOC_CTRL"], 4, 1)
    crb.write(REG["CTRL_REQ"], 4, 1)
    assert crb.read(REG["CTRL_STS"], 4) == 0
    assert crb.read(REG["CTRL_REQ"], 4) == 0  # the device cleared the request
    crb.write(REG["CTRL_REQ"], 4, 2)
    assert crb.read(REG["CTRL_STS"], 4) == 0x2


def test_start_sends_exactly_the_header_command_size(crb):
    ready(crb)
    put_command(crb, STARTUP)
    crb.write(REG["CTRL_START"], 4, 1)
    assert rc(crb) in (0, 0x100)
    # GetRandom(8) followed by junk: only commandSize (12) octets may reach the TPM.
    put_command(crb, GET_RANDOM_8 + b"\xAA" * 64)
    crb.write(REG["CTRL_START"], 4, 1)
    rsp = response(crb)
    assert rc(crb) == 0, rsp.hex()
    assert int.from_bytes(rsp[10:12], "big") == 8 and len(rsp) == 20
    assert crb.read(REG["CTRL_START"], 4) == 0
    assert crb.recorder.tpm_commands == 2


@pytest.mark.parametrize("size", [0, 9, 0xF81, 0xFFFFFFFF])
def test_command_size_outside_10_to_cmd_size_is_answered_by_the_interface(crb, size):
    ready(crb)
    put_command(crb, b"\x80\x01" + size.to_bytes(4, "big") + b"\0\0\x01\x7b")
    crb.write(REG["CTRL_START"], 4, 1)
    assert rc(crb) == 0x142  # TPM_RC_COMMAND_SIZE
    assert crb.read(REG["CTRL_START"], 4) == 0  # never left hanging
    kinds = {w["kind"] for w in crb.recorder.warning_list()}
    assert "bad command length" in kinds


def test_start_without_locality_is_ignored(crb):
    put_command(crb, GET_RANDOM_8)
    crb.write(REG["CTRL_START"], 4, 1)
    assert crb.recorder.tpm_commands == 0
    assert bytes(crb.buffer[:12]) == GET_RANDOM_8  # untouched: nothing executed
    assert any(w["register"] == "CTRL_START" for w in crb.recorder.warning_list())


def test_start_from_a_locality_that_is_not_active_is_ignored(crb):
    crb.write(REG["LOC_CTRL"], 4, 1)
    put_command(crb, GET_RANDOM_8)
    crb.write(0x1000 + REG["CTRL_START"], 4, 1)
    assert crb.recorder.tpm_commands == 0


def test_read_only_write_is_ignored_and_warned(crb):
    crb.write(REG["CMD_SIZE"], 4, 0x10)
    assert crb.read(REG["CMD_SIZE"], 4) == 0xF80
    (w,) = crb.recorder.warning_list()
    assert (w["register"], w["kind"]) == ("CMD_SIZE", "write to a read-only register")


def test_reserved_read_is_zero_and_warned(crb):
    assert crb.read(0x14, 4) == 0
    assert crb.read(0x70, 4) == 0
    assert {w["register"] for w in crb.recorder.warning_list()} == {"reserved"}


def test_int_enable_is_read_write_and_int_sts_write_one_to_clear(crb):
    crb.write(REG["INT_ENABLE"], 4, 0x80000000)
    assert crb.read(REG["INT_ENABLE"], 4) == 0x80000000
    crb._stored["INT_STS"] = 0x3
    crb.write(REG["INT_STS"], 4, 0x1)
    assert crb.read(REG["INT_STS"], 4) == 0x2


def test_strict_policy_turns_a_bad_write_into_a_device_fault(swtpm):
    dev = TpmCrb(swtpm.backend, with_policy(SPEC, "strict"), Recorder())
    with pytest.raises(MachineStop) as e:
        dev.write(REG["CMD_SIZE"], 4, 0x10)
    stop = e.value.stop
    assert stop.reason is StopReason.DEVICE_FAULT
    assert stop.details["register"] == "CMD_SIZE"
    assert stop.details["offset"] == 0x58 and stop.details["width"] == 4
    assert "read-only" in stop.details["rule"]


def test_command_length_from_cmd_size_register_reaches_swtpm_padded(swtpm):
    dev = TpmCrb(swtpm.backend, replace(SPEC, command_length="cmd_size_register"),
                 Recorder())
    ready(dev)
    put_command(dev, GET_RANDOM_8)
    dev.write(REG["CTRL_START"], 4, 1)
    assert rc(dev) == 0x142  # swtpm itself rejects 0xF80 octets for a 12-byte command


def test_command_length_from_bytes_written(swtpm):
    dev = TpmCrb(swtpm.backend, replace(SPEC, command_length="bytes_written"), Recorder())
    ready(dev)
    put_command(dev, GET_RANDOM_8)
    dev.write(REG["CTRL_START"], 4, 1)
    assert rc(dev) == 0 and len(response(dev)) == 20
