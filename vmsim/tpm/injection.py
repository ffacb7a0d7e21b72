"""Fault injection: a small rule language for making the TPM misbehave on purpose.

A rule is comma-separated key=value words: one selector and one action.
  selector  nth=N           the Nth command of the run (1-based)
            cc=NAME|0xNNN   every command with that command code (e.g. cc=GetRandom)
            times=K         with cc: only the first K matches
  action    rc=CODE|NAME    answer with that response code; the TPM never sees it
            hang            never complete: START / tpmGo stays pending until cancelled
            tpm-sts         set the interface's fatal-error bit, answer TPM_RC_FAILURE
            drop            drop the backend connection just before sending
            latency=N       complete only after N more guest status polls
Examples: 'nth=2,rc=TPM_RC_RETRY'  'cc=GetRandom,hang'  'nth=3,drop'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vmsim.errors import VmsimError
from vmsim.tpm.commands import COMMAND_CODES, RESPONSE_CODES, Header

ACTIONS = ("rc", "hang", "tpm-sts", "drop", "latency")
_CC_BY_NAME = {name.lower(): code for code, name in COMMAND_CODES.items()}
_RC_BY_NAME = {name.lower(): code for code, (name, _) in RESPONSE_CODES.items()}


def _number(text: str, names: dict[str, int], what: str, rule: str) -> int:
    key = text.lower()
    if key in names:
        return names[key]
    if key.startswith("tpm_cc_") and key[7:] in names:
        return names[key[7:]]
    try:
        return int(text, 0)
    except ValueError:
        raise VmsimError(f"--inject {rule!r}: unknown {what} {text!r}") from None


@dataclass
class Rule:
    text: str
    action: str
    nth: int | None = None
    cc: int | None = None
    times: int | None = None
    rc: int = 0
    latency: int = 0
    fired: int = 0

    def matches(self, index: int, code: int) -> bool:
        if self.nth is not None:
            return index == self.nth
        if self.times is not None and self.fired >= self.times:
            return False
        return code == self.cc


def parse_rule(text: str) -> Rule:
    """Parse one rule; a bad rule is a one-line error naming the rule and the problem."""
    fields: dict[str, str] = {}
    for word in filter(None, (w.strip() for w in text.split(","))):
        key, sep, value = word.partition("=")
        fields[key.strip()] = value.strip() if sep else ""
    actions = [a for a in ACTIONS if a in fields]
    if len(actions) != 1:
        raise VmsimError(f"--inject {text!r}: give exactly one action of "
                         f"{', '.join(ACTIONS)}")
    unknown = set(fields) - set(ACTIONS) - {"nth", "cc", "times"}
    if unknown:
        raise VmsimError(f"--inject {text!r}: unknown key {sorted(unknown)[0]!r}")
    rule = Rule(text, actions[0])
    try:
        if "nth" in fields:
            rule.nth = int(fields["nth"], 0)
        if "times" in fields:
            rule.times = int(fields["times"], 0)
        if "latency" in fields:
            rule.latency = int(fields["latency"], 0)
    except ValueError:
        raise VmsimError(f"--inject {text!r}: nth, times and latency take numbers") from None
    if "cc" in fields:
        rule.cc = _number(fields["cc"], _CC_BY_NAME, "command code", text)
    if (rule.nth is None) == (rule.cc is None):
        raise VmsimError(f"--inject {text!r}: give one selector, nth=N or cc=CODE")
    if rule.action == "rc":
        rule.rc = _number(fields["rc"], _RC_BY_NAME, "response code", text)
    return rule


def load_rules(specs: list[str]) -> list[Rule]:
    """Rules from --inject arguments; '@FILE' reads one rule per line (# comments)."""
    rules = []
    for spec in specs:
        if spec.startswith("@"):
            try:
                with open(spec[1:]) as f:
                    lines = [ln.split("#", 1)[0].strip() for ln in f]
            except OSError as e:
                raise VmsimError(f"--inject {spec}: {e.strerror}") from None
            rules += [parse_rule(ln) for ln in lines if ln]
        else:
            rules.append(parse_rule(spec))
    return rules


@dataclass
class Injector:
    """Finds the rule (if any) for each command and keeps a log for the run report."""

    rules: list[Rule] = field(default_factory=list)
    count: int = 0
    log: list[dict] = field(default_factory=list)

    def next_command(self, command: bytes) -> Rule | None:
        self.count += 1
        try:
            code = Header.unpack(command).code
        except ValueError:
            code = -1
        for rule in self.rules:
            if rule.matches(self.count, code):
                rule.fired += 1
                self.log.append({"command_index": self.count, "command_code": code,
                                 "rule": rule.text, "action": rule.action})
                return rule
        return None
