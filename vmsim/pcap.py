"""TPM commands and responses as a pcap that Wireshark's TPM 2.0 dissector decodes.

Framed as libtss2's pcap TCTI does: IPv4 + TCP with the TPM on port 2321, one segment
per command (client -> 2321) and per response (2321 -> client), after a TCP handshake so
the stream is well formed. Ethernet link type, so any pcap reader opens it.
"""

from __future__ import annotations

import struct
import time
from typing import BinaryIO

from vmsim.errors import VmsimError
from vmsim.trace import TpmCommand

TPM_PORT = 2321
CLIENT_PORT = 40000
CLIENT_IP = bytes([127, 0, 0, 1])
TPM_IP = bytes([127, 0, 0, 2])
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
SYN, ACK, PSH = 0x02, 0x10, 0x08


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class PcapWriter:
    """Writes the TCP conversation; seq/ack numbers follow the bytes sent."""

    def __init__(self, path: str) -> None:
        try:
            self._f: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        except OSError as e:
            raise VmsimError(f"--pcap {path}: {e.strerror}") from None
        self._f.write(_GLOBAL.pack(0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        self._seq = {True: 1000, False: 5000}  # client, TPM
        self._ip_id = 0
        self._segment(True, SYN, b"")
        self._segment(False, SYN | ACK, b"")
        self._segment(True, ACK, b"")

    def _segment(self, from_client: bool, flags: int, payload: bytes) -> None:
        src, dst = (CLIENT_IP, TPM_IP) if from_client else (TPM_IP, CLIENT_IP)
        sport, dport = (CLIENT_PORT, TPM_PORT) if from_client else (TPM_PORT, CLIENT_PORT)
        seq = self._seq[from_client]
        ack = self._seq[not from_client] if flags & ACK else 0
        tcp = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                                    65535, 0, 0))
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        struct.pack_into("!H", tcp, 16, _checksum(pseudo + bytes(tcp) + payload))
        self._ip_id += 1
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload),
                                   self._ip_id, 0x4000, 64, 6, 0, src, dst))
        struct.pack_into("!H", ip, 10, _checksum(bytes(ip)))
        frame = (b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + bytes(ip) +
                 bytes(tcp) + payload)
        now = time.time()
        self._f.write(_RECORD.pack(int(now), int(now % 1 * 1e6), len(frame), len(frame)))
        self._f.write(frame)
        self._seq[from_client] = (seq + len(payload) + (1 if flags & SYN else 0)) & 0xFFFFFFFF

    def exchange(self, command: bytes, response: bytes) -> None:
        self._segment(True, PSH | ACK, command)
        if response:
            self._segment(False, PSH | ACK, response)

    def __call__(self, rec: object) -> None:
        """A recorder sink: TPM commands become packets; everything else is ignored."""
        if isinstance(rec, TpmCommand):
            self.exchange(rec.command, rec.response)

    def close(self) -> None:
        self._f.close()
