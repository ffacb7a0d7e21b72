"""Random register access sequences against every profile (hypothesis state machines).

Invariants: vmsim itself never raises; a profile with no 'stop' policy never stops; a
stop is always a device-fault report naming register, offset, width, direction, value
and rule; writes never change read-only registers; LOC_STATE stays well-formed.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from vmsim.devices.registers import Access
from vmsim.devices.tpm_crb import CRB_REGISTERS, TpmCrb
from vmsim.devices.tpm_fifo import FIFO_REGISTERS, FifoState, TpmFifo
from vmsim.profiles import PROFILES, Profile, with_policy
from vmsim.stop import MachineStop, StopReason
from vmsim.tpm.swtpm import SpawnedSwtpm
from vmsim.trace import Recorder

REPORT_KEYS = {"device", "register", "offset", "width", "direction", "value", "rule"}
CANDIDATES = {**PROFILES, "spec-strict": with_policy(PROFILES["spec"], "strict")}


@pytest.fixture(scope="module")
def backend():
    tpm = SpawnedSwtpm()
    tpm.backend.power_on(0xF80)  # what a machine start does: STOP, SET_BUFFERSIZE, INIT
    yield tpm.backend
    tpm.close()


FIXED = {"crb": ("INTF_ID", "CMD_SIZE", "CMD_LADDR", "CMD_HADDR", "RSP_SIZE", "RSP_ADDR",
                 "CTRL_EXT"),
         "tis": ("INTF_CAPABILITY", "INTERFACE_ID", "DID_VID", "RID")}
PROTOCOL = {"crb": ("LOC_CTRL", "CTRL_REQ", "CTRL_START", "CTRL_CANCEL"),
            "tis": ("ACCESS", "STS", "DATA_FIFO")}


def machine_for(profile: Profile, interface: str, backend) -> type[RuleBasedStateMachine]:
    regmap = CRB_REGISTERS if interface == "crb" else FIFO_REGISTERS
    device = TpmCrb if interface == "crb" else TpmFifo
    fixed = [r for r in regmap.registers
             if r.access is Access.RO and r.name not in profile.writable
             and r.name in FIXED[interface]]

    class CrbAccesses(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.dev = device(backend, profile, Recorder())
            self.baseline = {r.name: self.dev.read(r.offset, r.width) for r in fixed}
            self.stopped = False

        def _do(self, fn, *args) -> None:
            try:
                fn(*args)
            except MachineStop as s:
                stop = s.stop
                assert profile.can_stop, f"{profile.name} stopped: {stop.summary}"
                assert stop.reason is StopReason.DEVICE_FAULT
                assert stop.details.keys() >= REPORT_KEYS, stop.details
                assert profile.name in stop.details["rule"]
                self.stopped = True
                self.report = stop.details

        @precondition(lambda self: not self.stopped)
        @rule(offset=st.integers(0, 0x4FFF), width=st.sampled_from([1, 2, 4, 8]))
        def read(self, offset: int, width: int) -> None:
            self._do(self.dev.read, offset, width)

        @precondition(lambda self: not self.stopped)
        @rule(offset=st.integers(0, 0x4FFF), width=st.sampled_from([1, 2, 4, 8]),
              value=st.integers(0, 2**64 - 1))
        def write(self, offset: int, width: int, value: int) -> None:
            self._do(self.dev.write, offset, width, value & ((1 << (8 * width)) - 1))

        @precondition(lambda self: not self.stopped)
        @rule(loc=st.integers(0, 4), reg=st.sampled_from(PROTOCOL[interface]),
              value=st.sampled_from([0, 1, 2, 3, 4, 8, 0x20, 0x40, 0x80]))
        def protocol_write(self, loc: int, reg: str, value: int) -> None:
            """Bias towards the registers with side effects so state really moves."""
            r = regmap[reg]
            self._do(self.dev.write, (loc << 12) + r.offset, min(r.width, 4) if reg != "ACCESS"
                     else 1, value)

        @precondition(lambda self: self.stopped)
        @rule()
        def machine_stays_stopped_with_its_report(self) -> None:
            """After a stop the bus delivers nothing more; the report is what remains."""
            assert self.report["direction"] in ("read", "write")

        @invariant()
        def read_only_registers_keep_their_values(self) -> None:
            for r in fixed:
                assert self.dev.read(r.offset, r.width) == self.baseline[r.name], r.name

        @invariant()
        def locality_state_is_well_formed(self) -> None:
            if interface == "crb":
                v = self.dev._read_loc_state(0)
                assert v & 0x80
                assert ((v >> 2) & 7) < profile.localities
                assert bool(v & 2) == (self.dev.active is not None)
                assert not self.dev.started  # commands always complete
            else:
                actives = [loc for loc in range(profile.localities)
                           if self.dev._read_access(loc) & 0x20]
                assert len(actives) <= 1
                assert all(self.dev._read_access(loc) & 0x80 for loc in range(5))
                assert self.dev.state is not FifoState.EXECUTION

    return CrbAccesses


CASES = [(name, intf) for name, p in sorted(CANDIDATES.items())
         for intf in sorted(p.interfaces)]


@pytest.mark.parametrize("name,interface", CASES)
def test_random_access_sequences(name, interface, backend):
    sm = machine_for(CANDIDATES[name], interface, backend)
    sm.TestCase.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])
    sm.TestCase().runTest()
