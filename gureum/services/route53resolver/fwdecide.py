"""DNS Firewall decisions, sans-IO: `Firewall.decide(qname)` walks the associated rule groups
(by association priority), each group's rules (by rule priority), and the first rule whose
domain list matches decides: ALLOW (resolve, stop), BLOCK (NODATA, NXDOMAIN or OVERRIDE with
a CNAME), ALERT (noted, evaluation goes on). Domain list entries: "example.com." matches
that name only, "*.example.com." every name below it (not the name itself), "*." every name.
A rule group associated with several VPCs counts once (gureum's resolver serves the host,
in every VPC)."""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.name


@dataclass(frozen=True)
class Rule:
    name: str
    action: str  # ALLOW | BLOCK | ALERT
    block_response: str | None = None  # NODATA | NXDOMAIN | OVERRIDE
    override_domain: str | None = None
    override_ttl: int = 0
    exact: frozenset[dns.name.Name] = frozenset()
    below: frozenset[dns.name.Name] = frozenset()  # from "*.x": names strictly below x
    everything: bool = False
    group_id: str = ""
    list_id: str = ""

    def matches(self, qname: dns.name.Name) -> bool:
        if self.everything or qname in self.exact:
            return True
        n = qname
        while n != dns.name.root:
            n = n.parent()
            if n in self.below:
                return True
        return False


@dataclass
class Decision:
    action: str  # BLOCK or ALLOW
    rule: Rule | None = None
    alerts: list[Rule] = field(default_factory=list)


def compile_rule(doc: dict[str, object], domains: list[str], group_id: str) -> Rule:
    exact, below, everything = set(), set(), False
    for d in domains:
        text = d.strip().lower()
        if text in ("*", "*."):
            everything = True
        elif text.startswith("*."):
            below.add(dns.name.from_text(text[2:]))
        elif text:
            exact.add(dns.name.from_text(text))
    response, override = doc.get("BlockResponse"), doc.get("BlockOverrideDomain")
    return Rule(name=str(doc.get("Name") or ""), action=str(doc["Action"]), block_response=str(response) if response else None,
                override_domain=str(override) if override else None,
                override_ttl=int(str(doc.get("BlockOverrideTtl") or 0)), exact=frozenset(exact), below=frozenset(below),
                everything=everything, group_id=group_id, list_id=str(doc.get("FirewallDomainListId") or ""))


class Firewall:
    def __init__(self) -> None:
        self.groups: list[list[Rule]] = []

    def load(self, groups: list[list[Rule]]) -> None:
        self.groups = groups

    def decide(self, qname: dns.name.Name) -> Decision | None:
        """The decision for `qname`, or None when no rule matches (resolve normally)."""
        alerts: list[Rule] = []
        for rules in self.groups:
            for rule in rules:
                if not rule.matches(qname):
                    continue
                if rule.action == "ALERT":
                    alerts.append(rule)
                    continue
                return Decision(rule.action, rule, alerts)
        return Decision("ALLOW", None, alerts) if alerts else None
