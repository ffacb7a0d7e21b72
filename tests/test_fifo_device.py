"""FIFO/TIS behaviour through read/write with no CPU, against a real swtpm.

The transmit test replays the transitions QEMU's tpm-tis qtest checks (burstCount per
FIFO byte, Expect until commandSize bytes, dataAvail until the last response byte),
written from the PTP facts in reference/tpm-interfaces.md.
"""

from __future__ import annotations

import pytest

from vmsim.devices.tpm_fifo import FIFO_REGISTERS, FifoState, TpmFifo
from vmsim.profiles import QEMU, SPEC
from vmsim.tpm.swtpm import SpawnedSwtpm
from vmsim.trace import Recorder

REG = {r.name: r.offset for r in FIFO_REGISTERS.registers}
ACCESS, STS, FIFO = REG["ACCESS"], REG["STS"], REG["DATA_FIFO"]
VALID, READY, GO, DATA_AVAIL, EXPECT = 0x80, 0x40, 0x20, 0x10, 0x08
GET_RANDOM_8 = bytes.fromhex("80010000000c0000017b0008")


@pytest.fixture(scope="module")
def swtpm():
    tpm = SpawnedSwtpm()
    tpm.backend.power_on(0xF80)  # what a machine start does: STOP, SET_BUFFERSIZE, INIT
    tpm.backend.send(bytes.fromhex("80010000000c000001440000"), 0)  # Startup(CLEAR)
    yield tpm
    tpm.close()


@pytest.fixture
def tis(swtpm):
    return TpmFifo(swtpm.backend, SPEC, Recorder())


def sts(dev: TpmFifo, loc: int = 0) -> int:
    return dev.read((loc << 12) + STS, 4)


def burst(dev: TpmFifo, loc: int = 0) -> int:
    return (sts(dev, loc) >> 8) & 0xFFFF


def grant(dev: TpmFifo, loc: int = 0) -> None:
    dev.write((loc << 12) + ACCESS, 1, 0x02)


def test_identification_registers():
    dev = TpmFifo(None, SPEC, Recorder())  # type: ignore[arg-type]
    cap = dev.read(REG["INTF_CAPABILITY"], 4)
    assert FIFO_REGISTERS["INTF_CAPABILITY"].field("InterfaceVersion").get(cap) == 3
    iid = dev.read(REG["INTERFACE_ID"], 4)
    assert iid & 0xF == 0 and iid & (1 << 13)  # FIFO type, capFIFO
    assert dev.read(REG["DID_VID"], 4) == 0x00011014
    assert dev.read(REG["DID_VID"], 2) == 0x1014
    assert dev.read(REG["RID"], 1) == 0x01


def test_access_resets_to_valid_and_not_established_with_no_locality(tis):
    for loc in range(5):
        assert tis.read((loc << 12) + ACCESS, 1) == 0x81


def test_request_use_grants_and_a_second_request_is_pending(tis):
    grant(tis, 0)
    assert tis.read(ACCESS, 1) == 0xA1  # activeLocality
    grant(tis, 2)
    assert tis.read(0x2000 + ACCESS, 1) & 0x22 == 0x02  # requestUse, not active
    assert tis.read(ACCESS, 1) & 0x04  # pendingRequest seen by the active locality
    tis.write(ACCESS, 1, 0x20)  # locality 0 relinquishes
    assert tis.read(0x2000 + ACCESS, 1) & 0x20
    assert not tis.read(ACCESS, 1) & 0x20


def test_seize_marks_the_loser_and_been_seized_is_write_one_to_clear(tis):
    grant(tis, 1)
    tis.write(0x3000 + ACCESS, 1, 0x08)
    assert tis.active == 3
    assert tis.read(0x1000 + ACCESS, 1) & 0x10
    tis.write(0x1000 + ACCESS, 1, 0x10)
    assert not tis.read(0x1000 + ACCESS, 1) & 0x10


def test_sts_and_fifo_of_a_locality_that_is_not_active_read_all_ones(tis):
    grant(tis, 0)
    assert tis.read(0x1000 + STS, 4) == 0xFFFFFFFF
    assert tis.read(0x1000 + FIFO, 1) == 0xFF


def test_transmit_byte_by_byte_follows_the_ptp(tis):
    grant(tis)
    assert sts(tis) & (VALID | READY) == 0  # idle: not ready yet
    tis.write(STS, 1, READY)
    assert sts(tis) & (VALID | READY) == READY  # stsValid only once data moves (as QEMU)
    start = burst(tis)
    assert start > 0
    for i, byte in enumerate(GET_RANDOM_8):
        tis.write(FIFO, 1, byte)
        assert burst(tis) == start - i - 1  # burstCount counts down per byte
        expect = bool(sts(tis) & EXPECT)
        assert expect == (i < len(GET_RANDOM_8) - 1), i  # Expect until the last byte
    assert tis.state is FifoState.RECEPTION
    tis.write(STS, 1, GO)
    s = sts(tis)
    assert s & (VALID | DATA_AVAIL) == VALID | DATA_AVAIL
    size = 10 + 2 + 8
    assert burst(tis) == size
    rsp = bytearray()
    for i in range(size):
        rsp.append(tis.read(FIFO, 1))
        assert bool(sts(tis) & DATA_AVAIL) == (i < size - 1)
    assert rsp[:2] == b"\x80\x01" and int.from_bytes(rsp[6:10], "big") == 0
    tis.write(STS, 1, 0x02)  # responseRetry: read it again from the start
    assert bytes(tis.read(FIFO, 1) for _ in range(size)) == bytes(rsp)
    tis.write(STS, 1, READY)
    assert tis.state is FifoState.READY and not sts(tis) & DATA_AVAIL


def test_four_byte_fifo_accesses_move_four_bytes(tis):
    grant(tis)
    tis.write(STS, 4, READY)
    for i in range(0, 12, 4):
        tis.write(FIFO, 4, int.from_bytes(GET_RANDOM_8[i:i + 4], "little"))
    tis.write(STS, 4, GO)
    head = tis.read(FIFO, 4).to_bytes(4, "little") + tis.read(FIFO, 4).to_bytes(4, "little")
    assert head[:6] == bytes.fromhex("800100000014")


def test_go_with_an_incomplete_command_is_ignored(tis):
    grant(tis)
    tis.write(STS, 1, READY)
    for byte in GET_RANDOM_8[:8]:
        tis.write(FIFO, 1, byte)
    tis.write(STS, 1, GO)
    assert tis.state is FifoState.RECEPTION and tis.recorder.tpm_commands == 0
    assert any(w["kind"] == "tpmGo without a complete command"
               for w in tis.recorder.warning_list())


def test_fifo_write_before_command_ready_is_dropped(tis):
    grant(tis)
    tis.write(FIFO, 1, 0x80)
    assert tis.state is FifoState.IDLE and not tis.command


def test_bytes_past_command_size_are_dropped(tis):
    grant(tis)
    tis.write(STS, 1, READY)
    for byte in GET_RANDOM_8 + b"\xAA\xBB":
        tis.write(FIFO, 1, byte)
    assert bytes(tis.command) == GET_RANDOM_8
    assert any(w["kind"] == "FIFO overrun" for w in tis.recorder.warning_list())


def test_command_shorter_than_a_header_is_answered_by_the_interface(tis, monkeypatch):
    sent = []
    real_send = tis.backend.send
    monkeypatch.setattr(tis.backend, "send", lambda c, loc: sent.append(c) or real_send(c, loc))
    grant(tis)
    tis.write(STS, 1, READY)
    for byte in bytes.fromhex("800100000006"):
        tis.write(FIFO, 1, byte)
    tis.write(STS, 1, GO)
    rsp = bytes(tis.read(FIFO, 1) for _ in range(10))
    assert rsp.hex() == "80010000000a00000142"
    assert sent == []  # swtpm never saw it: it would have waited for the missing bytes


def test_reserved_reads_are_all_ones_and_warned(tis):
    assert tis.read(0x40, 4) == 0xFFFFFFFF
    assert tis.recorder.warning_list()[0]["kind"] == "read of reserved space"


def test_relinquish_returns_the_tpm_to_idle(tis):
    grant(tis)
    tis.write(STS, 1, READY)
    tis.write(ACCESS, 1, 0x20)
    assert tis.state is FifoState.IDLE


def test_interface_selector_lock_is_set_once():
    dev = TpmFifo(None, SPEC, Recorder())  # type: ignore[arg-type]
    iid = dev.read(REG["INTERFACE_ID"], 4)
    dev.write(REG["INTERFACE_ID"], 4, 0)
    dev.write(REG["INTERFACE_ID"], 4, 1 << 19)  # SeaBIOS locks the FIFO selection
    assert dev.read(REG["INTERFACE_ID"], 4) == iid | (1 << 19)
    dev.write(REG["INTERFACE_ID"], 4, 0)
    assert dev.read(REG["INTERFACE_ID"], 4) == iid | (1 << 19)


def test_one_byte_registers_read_zero_above_their_byte(tis):
    dev = tis
    assert dev.read(REG["ACCESS"], 4) == 0x81
    assert dev.read(REG["RID"], 4) == 0x01
    assert dev.recorder.warning_list() == []


def test_qemu_profile_reports_qemu_identification():
    dev = TpmFifo(None, QEMU, Recorder())  # type: ignore[arg-type]
    assert dev.read(REG["INTF_CAPABILITY"], 4) == 0x30000697
    assert dev.read(REG["DID_VID"], 4) == 0x00011014
