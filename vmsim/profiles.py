"""Device profiles: how a peer's TPM interface behaves, as one frozen table of knobs each.

Code reads a knob, never a peer's name. A new peer is a new ``Profile`` instance (usually
``replace(SPEC, ...)``), not a subclass. reference/tpm-interfaces.md lists every knob.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Literal

from vmsim.errors import VmsimError

Policy = Literal["warn", "ignore", "stop"]
"""What an unexpected access does: record a protocol warning and go on, go on silently,
or stop the machine with a report."""


@dataclass(frozen=True)
class Profile:
    """The guest-visible behaviour of a TPM interface model."""

    name: str
    summary: str
    reproduces: str = ""
    # How START decides how many buffer bytes the TPM receives.
    command_length: Literal["header", "cmd_size_register", "bytes_written"] = "header"
    # Unexpected accesses: reserved/unknown offsets, read-only registers, bad alignment.
    reserved_read: Policy = "warn"
    reserved_write: Policy = "warn"
    readonly_write: Policy = "warn"
    unaligned: Policy = "ignore"
    # Registers whose writes the model handles; None = every register the map makes
    # writable. A write elsewhere is an "unhandled write" and follows unhandled_write.
    handled_writes: frozenset[str] | None = None
    unhandled_write: Policy = "warn"
    # An access that touches the last bytes of a locality page (bhyve's off-by-one
    # rejects offset + width >= window size instead of >).
    window_end_off_by_one: bool = False
    # LOC_CTRL / CTRL_REQ: act on each set bit, or only on exact single-bit values.
    request_decode: Literal["bits", "exact"] = "bits"
    # Control-area registers whose writes count only from the active locality.
    locality_gated: frozenset[str] = frozenset({"CTRL_REQ", "CTRL_CANCEL", "CTRL_START"})
    # Registers made writable beyond the spec's map (bhyve lets the guest move buffers).
    writable: frozenset[str] = frozenset()
    # LOC_CTRL seize (b2): QEMU does not implement it.
    seize: bool = True
    cancel: Literal["ignore", "backend"] = "backend"
    # INTF_ID as the model reports it (64 bits: low dword, then VID/DID).
    intf_id: int = 0x0000_1014_0002_5911
    # LOC_STATE.tpmEstablished / ACCESS.tpmEstablishment from swtpm's flag (control
    # channel GET_TPMESTABLISHED; 0 without one): 'inverted' reads 1 while no dynamic
    # OS was launched (PTP, QEMU), 'raw' shows the flag (Cloud Hypervisor), 'hard1' is 1.
    established_bit: Literal["inverted", "raw", "hard1"] = "inverted"
    localities: int = 5
    # Interfaces this peer offers (-o tpm.intf=...).
    interfaces: frozenset[str] = frozenset({"crb", "tis"})
    # FIFO/TIS identification, as the peer reports it.
    fifo_intf_capability: int = 0x30000697  # interface version 3 (PTP FIFO, TPM 2.0)
    fifo_interface_id: int = 0x00002100  # type 0 FIFO, capLocality, capFIFO
    fifo_did_vid: int = 0x00011014
    fifo_rid: int = 0x01
    # Largest burstCount the FIFO announces (0 = whatever fits in the buffer, as QEMU).
    fifo_burst_max: int = 0
    # A 1-byte STS read outside dataAvail sees burstCount capped at 0xFF (QEMU: so a
    # driver reading only 0x19 never sees 0 for 0x100 free bytes).
    fifo_narrow_burst_cap: bool = False
    # Releasing the locality returns the FIFO to idle (QEMU keeps the state per locality).
    fifo_idle_on_release: bool = True

    @property
    def can_stop(self) -> bool:
        """True if some access makes this profile stop the machine."""
        return "stop" in (self.reserved_read, self.reserved_write, self.readonly_write,
                          self.unaligned, self.unhandled_write)

    def rows(self) -> list[tuple[str, str]]:
        """(knob, value) pairs for `vmsim profiles NAME`."""
        out = []
        for f in fields(self):
            if f.name in ("name", "summary", "reproduces"):
                continue
            v = getattr(self, f.name)
            if isinstance(v, frozenset):
                v = ", ".join(sorted(v)) or "(none)"
            elif v is None:
                v = "(every register the map makes writable)"
            elif isinstance(v, int) and not isinstance(v, bool) and v > 0xFF:
                v = f"{v:#x}"
            out.append((f.name, str(v)))
        return out


SPEC = Profile(
    name="spec",
    summary="TCG PTP behaviour: unknown reads are 0, bad writes ignored, each one a warning",
    reproduces="a conforming TPM; the reference every other profile is compared with",
)

_BHYVE_HANDLED = frozenset({
    "LOC_CTRL", "CTRL_REQ", "CTRL_CANCEL", "CTRL_START",
    "CMD_SIZE", "CMD_LADDR", "CMD_HADDR", "RSP_SIZE", "RSP_ADDR",
})

BHYVE_2024 = replace(
    SPEC,
    name="bhyve-2024",
    summary="bhyve's CRB at the swtpm review: CMD_SIZE sent as the length, aborts on "
            "unhandled writes",
    reproduces="the origin review: swtpm answers TPM_RC_COMMAND_SIZE to every command; "
               "the VM dies (EINVAL) on INT_ENABLE, a TIS-style probe write, an unaligned "
               "access or a 4-byte access at 0xFFC",
    command_length="cmd_size_register",
    handled_writes=_BHYVE_HANDLED,
    unhandled_write="stop",
    readonly_write="stop",
    reserved_write="stop",
    unaligned="stop",
    window_end_off_by_one=True,
    locality_gated=frozenset(),
    writable=frozenset({"CMD_SIZE", "CMD_LADDR", "CMD_HADDR", "RSP_SIZE", "RSP_ADDR"}),
    cancel="ignore",
    intf_id=0x0000_1014_0002_5811,
    established_bit="hard1",
    interfaces=frozenset({"crb"}),
)

BHYVE = replace(
    BHYVE_2024,
    name="bhyve",
    summary="bhyve's CRB as fixed since: header commandSize, INT_ENABLE accepted, other "
            "unhandled writes still abort",
    reproduces="current bhyve: a strict device model that still kills the VM on writes it "
               "does not emulate (e.g. SeaBIOS's INTF_ID writes, NetBSD's TIS probe)",
    command_length="header",
    handled_writes=_BHYVE_HANDLED | {"INT_ENABLE"},
    window_end_off_by_one=False,
)

QEMU = replace(
    SPEC,
    name="qemu",
    summary="QEMU 7.2 tpm-crb as a guest sees it: exact-value requests, START gated by "
            "locality, unknown writes ignored",
    reproduces="QEMU's register values and its silent tolerance of unknown accesses; "
               "LOC_CTRL/CTRL_REQ act only on the exact values 1, 2 (and 8)",
    request_decode="exact",
    seize=False,
    locality_gated=frozenset({"CTRL_START"}),
    intf_id=0x0000_1014_0002_5811,
    fifo_narrow_burst_cap=True,
    fifo_idle_on_release=False,
)

CLOUD_HYPERVISOR = replace(
    SPEC,
    name="cloud-hypervisor",
    summary="Cloud Hypervisor's CRB: the command length is the number of bytes written; "
            "unknown writes logged and ignored",
    reproduces="a device that counts buffer writes instead of reading commandSize, and "
               "reports swtpm's raw tpmEstablished flag",
    command_length="bytes_written",
    request_decode="exact",
    seize=False,
    locality_gated=frozenset({"CTRL_START"}),
    intf_id=0x0000_1014_0002_5811,
    established_bit="raw",
    interfaces=frozenset({"crb"}),
)

PROFILES: dict[str, Profile] = {
    p.name: p for p in (SPEC, BHYVE_2024, BHYVE, QEMU, CLOUD_HYPERVISOR)
}


def get_profile(name: str) -> Profile:
    """Look a profile up by name; an unknown name is a one-line error listing the valid ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise VmsimError(
            f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}"
        ) from None


def with_policy(profile: Profile, policy: Literal["strict", "ignore"] | None) -> Profile:
    """Apply --unknown-access: strict stops on every unexpected access, ignore never stops."""
    if policy is None:
        return profile
    value: Policy = "stop" if policy == "strict" else "warn"
    return replace(
        profile,
        reserved_read=value,
        reserved_write=value,
        readonly_write=value,
        unhandled_write=value,
        unaligned=value if policy == "strict" else "ignore",
    )
