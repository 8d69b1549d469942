"""What the data plane serves, read from the store in one snapshot: every listener by its
bound (address, port), its rules in evaluation order, and every target group with the
targets a request may go to. Built by a plain function of a `Txn` (`build`); the data plane
rebuilds it on every ELBv2 change event and periodically (other nodes' changes), and never
reads the store per request.

Routable targets (AWS's rules): the healthy ones; when none is healthy, every registered
target that is not draining (fail-open); every non-draining target when health checks are
off. Draining targets get no new requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gureum.services.acm import port as acm
from gureum.services.elbv2 import actions, balancers, groups, listeners, slow_start, targets
from gureum.store import Txn

Doc = dict[str, Any]


@dataclass
class ListenerView:
    lb_key: str
    lb_arn: str
    lb_type: str
    address: str
    port: int
    protocol: str
    rules: list[Doc]  # by priority, the default rule last
    lb_attributes: dict[str, str]
    certs: list[tuple[str, str, str]] = field(default_factory=list)  # HTTPS, TLS: (ARN, chain PEM, key PEM), default first
    ssl_policy: str = ""  # TLS (nlb_tls.py)
    alpn: str = ""  # TLS: the AlpnPolicy's one name


@dataclass
class GroupView:
    arn: str
    key: str
    doc: Doc
    targets: list[tuple[str, str, int, str]]  # (row key, address, port, state)
    routable: list[tuple[str, int]] = field(default_factory=list)
    slow: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)  # target -> slow start window


@dataclass
class Snapshot:
    listeners: dict[tuple[str, int], ListenerView] = field(default_factory=dict)
    groups: dict[str, GroupView] = field(default_factory=dict)
    lbs: dict[str, tuple[str, str]] = field(default_factory=dict)  # lb key -> (address, state)
    used_groups: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # DNS name (both forms) -> address
    lb_arns: dict[str, tuple[str, str]] = field(default_factory=dict)  # lb key -> (ARN, type)
    # DNS name (both forms) -> whether a target group the load balancer forwards to has a
    # healthy target (a Route 53 alias's EvaluateTargetHealth)
    name_health: dict[str, bool] = field(default_factory=dict)


def _rule_order(doc: Doc) -> tuple[int, str]:
    return (50001 if doc["Priority"] == "default" else int(doc["Priority"]), doc["id"])


def build(txn: Txn) -> Snapshot:
    snap = Snapshot()
    lb_docs = dict(txn.scan(balancers.LBS))
    for k, lb in lb_docs.items():
        snap.lbs[k] = (lb["Address"], lb["State"]["Code"])
        snap.names[lb["DNSName"].lower()] = lb["Address"]
        snap.lb_arns[k] = (lb["LoadBalancerArn"], lb["Type"])
        snap.names[lb["LocalName"].lower()] = lb["Address"]
    rules_by_listener: dict[str, list[Doc]] = {}
    groups_of_lb: dict[str, set[str]] = {}
    for rk, rule in txn.scan(listeners.RULES):
        scope = rk.rsplit("/", 1)[0]  # account/region/listener id
        rules_by_listener.setdefault(scope, []).append(rule)
        used = actions.forwarded_groups(rule["Actions"])
        snap.used_groups.update(used)
        account, region = scope.split("/")[:2]
        groups_of_lb.setdefault(f"{account}/{region}/{rule['lb_id']}", set()).update(used)
    for lk, doc in txn.scan(listeners.LISTENERS):
        lb_key = lk.rsplit("/", 1)[0]
        lb_doc = lb_docs.get(lb_key)
        if lb_doc is None:
            continue
        lb = lb_doc
        account, region = lb_key.split("/")[:2]
        rules = sorted(rules_by_listener.get(f"{account}/{region}/{doc['id']}", []), key=_rule_order)
        if not rules:
            continue
        certs = []
        if doc["Protocol"] in ("HTTPS", "TLS"):
            for arn in [c["CertificateArn"] for c in doc.get("Certificates") or []] + list(doc.get("extra_certs") or []):
                pair = acm.key_pair(txn, arn)
                if pair is not None:
                    certs.append((arn, pair[0], pair[1]))
            if not certs:
                continue  # its certificate is gone: nothing to serve with
        snap.listeners[(lb["Address"], doc["Port"])] = ListenerView(
            lb_key, lb["LoadBalancerArn"], lb["Type"], lb["Address"], doc["Port"], doc["Protocol"], rules,
            dict(lb["attributes"]), certs, doc.get("SslPolicy", ""), (doc.get("AlpnPolicy") or [""])[0])
    by_tg: dict[str, list[tuple[str, Doc]]] = {}
    for tk, t in txn.scan(targets.TARGETS):
        by_tg.setdefault(tk.rsplit("/", 1)[0], []).append((tk, t))
    for gk, g in txn.scan(groups.TGS):
        rows = by_tg.get(gk, [])
        view = GroupView(g["TargetGroupArn"], gk, g, [(tk, t["Id"], t["Port"] or 0, t["state"]) for tk, t in rows])
        live = [(a, p) for _, a, p, s in view.targets if s != "draining"]
        healthy = [(a, p) for _, a, p, s in view.targets if s == "healthy"]
        view.routable = live if not g.get("HealthCheckEnabled", True) else (healthy or live)
        if slow_start.duration(g) > 0:  # turning slow start off ends every target's
            view.slow = {(t["Id"], t["Port"] or 0): (t["slow_from"], t["slow_until"]) for _, t in rows if "slow_until" in t}
        snap.groups[g["TargetGroupArn"]] = view
    for k, lb in lb_docs.items():
        ok = False
        for arn in groups_of_lb.get(k, ()):
            gv = snap.groups.get(arn)
            if gv is not None and any(s == "healthy" or (s != "draining" and not gv.doc.get("HealthCheckEnabled", True))
                                        for _, _, _, s in gv.targets):
                ok = True
        snap.name_health[lb["DNSName"].lower()] = snap.name_health[lb["LocalName"].lower()] = ok
    return snap
