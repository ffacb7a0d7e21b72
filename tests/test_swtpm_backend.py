"""The swtpm data channel client: one write per command, responses reassembled by size.

A real swtpm answers in one piece, so a tiny scripted server (a fake, for the one case
the real part cannot produce on demand) splits responses at every byte.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest

from vmsim.tpm.backend import BackendLost
from vmsim.tpm.swtpm import SpawnedSwtpm, SwtpmBackend

RESPONSE = bytes.fromhex("80010000001400000000") + bytes.fromhex("0008") + b"ABCDEFGH"


def serve_once(path: str, reply: bytes, chunk: int, received: list[bytes]) -> threading.Thread:
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)

    def run() -> None:
        conn, _ = srv.accept()
        with conn, srv:
            received.append(conn.recv(4096))
            for i in range(0, len(reply), chunk):
                conn.sendall(reply[i:i + chunk])

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_response_split_at_every_byte_is_reassembled(tmp_path):
    path = str(tmp_path / "s")
    received: list[bytes] = []
    t = serve_once(path, RESPONSE, 1, received)
    b = SwtpmBackend(path)
    b.set_deadline(None)
    command = bytes.fromhex("80010000000c0000017b0008")
    assert b.send(command, 0) == RESPONSE
    t.join(5)
    assert received == [command]
    b.close()


def test_connection_closed_mid_response_is_backend_lost(tmp_path):
    path = str(tmp_path / "s")
    t = serve_once(path, RESPONSE[:7], 7, [])
    b = SwtpmBackend(path)
    with pytest.raises(BackendLost):
        b.send(bytes.fromhex("80010000000c0000017b0008"), 0)
    t.join(5)
    b.close()


def test_spawned_swtpm_answers_and_removes_its_directory():
    tpm = SpawnedSwtpm()
    tpm.backend.power_on(0xF80)  # what a machine start does: STOP, SET_BUFFERSIZE, INIT
    runtime = tpm.runtime_dir
    assert tpm.backend is not None
    rsp = tpm.backend.send(bytes.fromhex("80010000000c000001440000"), 0)
    assert rsp == bytes.fromhex("80010000000a00000000")
    proc = tpm.process
    tpm.close()
    assert proc is not None and proc.poll() is not None
    assert not os.path.exists(runtime)
