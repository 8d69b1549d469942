"""Route 53's routing policies, decided per query: one sans-IO engine for the DNS answers
and TestDNSAnswer.

A `Group` is every record set of one (name, type) that carries a SetIdentifier (or an alias
whose answer depends on another group). `Group.decide(query)` returns a *decision*: the
tuple of chosen members' positions (empty: NODATA), following the Developer Guide:

- weighted: share weight/sum among healthy non-zero records; weight-0 records only when
  every non-zero one is unhealthy; all zero → equal shares; none healthy → all count.
- failover: PRIMARY if healthy, else a healthy (or unchecked) SECONDARY, else PRIMARY.
- geolocation: smallest matching region (US subdivision < country < continent < `*`);
  unhealthy → the next larger match; all unhealthy → the smallest match; no match → NODATA.
- geoproximity: least biased distance (bias > 0: d × (1 − b/100); bias < 0: d ÷ (1 + b/100)).
- latency: least estimated latency (geo.latency_ms) among healthy, else the least.
- multivalue: up to 8 healthy records chosen at random; none healthy → up to 8 of all.
- IP-based (CIDR): the location whose block holds the client, longest prefix; unhealthy
  or no match → the `*` location; neither → NODATA.

Decisions are small and repeat, so the answer engine caches responses per decision
(engine.py): randomness and location cost a few dictionary lookups per query, not a rebuild.
Memos inside a group are dropped when the health epoch changes.
"""

from __future__ import annotations

import bisect
import ipaddress
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dns.rrset

from gureum.services.route53 import geo

MULTIVALUE_MAX = 8
MEMO_MAX = 4096

SIMPLE, WEIGHTED, FAILOVER, GEOLOCATION, GEOPROXIMITY, LATENCY, MULTIVALUE, CIDR = (
    "simple", "weighted", "failover", "geolocation", "geoproximity", "latency", "multivalue", "cidr")
LOCATED = frozenset({GEOLOCATION, GEOPROXIMITY, LATENCY, CIDR})


def policy_of(doc: Mapping[str, Any]) -> str:
    """Which routing policy a stored record set uses."""
    if doc.get("Weight") is not None:
        return WEIGHTED
    if doc.get("Failover"):
        return FAILOVER
    if doc.get("GeoLocation"):
        return GEOLOCATION
    if doc.get("GeoProximityLocation"):
        return GEOPROXIMITY
    if doc.get("Region"):
        return LATENCY
    if doc.get("MultiValueAnswer") is not None:
        return MULTIVALUE
    if doc.get("CidrRoutingConfig"):
        return CIDR
    return SIMPLE


@dataclass(eq=False)
class Member:
    """One record set of a group."""

    sid: str
    doc: Mapping[str, Any]
    rrset: dns.rrset.RRset | None  # static data (aliases to static targets resolved)
    health_check: str | None = None
    alias_key: tuple | None = None  # same-zone alias target (name labels, type)
    evaluate_target: bool = False
    dynamic_alias: bool = False  # the target is itself a group: resolved per query
    sub: Group | None = None  # a traffic policy rule reference: the nested rule's group
    external_health: str | None = None  # an alias to another service's resource (ELB): its health id


class CidrTable:
    """One CIDR collection: blocks → location name, longest match."""

    def __init__(self, locations: dict[str, list[str]]) -> None:
        self.by_len: dict[int, dict[tuple[int, int], str]] = {}
        for loc, blocks in locations.items():
            for block in blocks:
                net = ipaddress.ip_network(block, strict=False)
                self.by_len.setdefault(net.prefixlen, {})[(net.version, int(net.network_address))] = loc
        self.lengths = sorted(self.by_len, reverse=True)

    def match(self, ip: str | None) -> str | None:
        if not ip:
            return None
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        bits = 32 if addr.version == 4 else 128
        value = int(addr)
        for n in self.lengths:
            if n > bits:
                continue
            loc = self.by_len[n].get((addr.version, value >> (bits - n) << (bits - n)))
            if loc is not None:
                return loc
        return None


class Environment:
    """What decisions depend on besides the group: health, CIDR collections, the geo DB.
    The zone index is one (index.ZoneIndex subclasses this)."""

    def __init__(self) -> None:
        self.health: dict[str, bool] = {}
        self.health_epoch = 0
        self.cidr: dict[str, CidrTable] = {}
        self.geodb: geo.GeoDB = geo.GeoDB()
        self._located: dict[str, geo.Location] = {}

    def locate(self, ip: str | None) -> geo.Location:
        if not ip:
            return geo.UNKNOWN
        loc = self._located.get(ip)
        if loc is None:
            if len(self._located) > 65536:
                self._located.clear()
            loc = self._located[ip] = self.geodb.locate(ip)
        return loc

    def check_healthy(self, hc_id: str) -> bool:
        """A record's health check: healthy until the checker says otherwise (new checks are
        healthy; unknown ids too)."""
        return self.health.get(hc_id, True)


class Query:
    """One query's routing context: the client, and the decisions taken (or imposed)."""

    __slots__ = ("_loc", "decisions", "env", "ip", "located", "used")

    def __init__(self, env: Environment, ip: str | None = None) -> None:
        self.env = env
        self.ip = ip
        self._loc: geo.Location | None = None
        self.decisions: dict[Group, tuple[int, ...]] = {}
        self.used: list[Group] = []
        self.located = False  # the answer depended on where the client is (ECS scope)

    @property
    def location(self) -> geo.Location:
        if self._loc is None:
            self._loc = self.env.locate(self.ip)
        return self._loc

    def decide(self, group: Group) -> tuple[int, ...]:
        d = self.decisions.get(group)
        if d is None:
            d = self.decisions[group] = group.decide(self)
        if group not in self.used:
            self.used.append(group)
        if group.kind in LOCATED:
            self.located = True
        return d


def decision_key(decision: tuple[int, ...]) -> bytes:
    return bytes((len(decision),)) + bytes(decision)


@dataclass(eq=False)
class Group:
    kind: str
    members: list[Member]
    zone: Any = None  # the index.Zone (alias target health)
    rendered: dict[tuple[int, ...], dns.rrset.RRset] = field(default_factory=dict)
    _epoch: int = -1
    _memo: dict[Any, tuple[int, ...]] = field(default_factory=dict)
    _weights: tuple[list[int], list[float], float] | None = None

    # --- health -------------------------------------------------------------------------
    def healthy(self, m: Member, q: Query) -> bool:
        if m.health_check and not q.env.check_healthy(m.health_check):
            return False
        if m.external_health is not None and m.evaluate_target and not q.env.check_healthy(m.external_health):
            return False
        if m.sub is not None and m.evaluate_target:
            return m.sub.any_healthy(q)
        if m.evaluate_target and m.alias_key is not None and self.zone is not None:
            return self.zone.target_healthy(m.alias_key, q)
        return True

    def any_healthy(self, q: Query) -> bool:
        """An alias to this group with EvaluateTargetHealth: healthy iff a member is."""
        return any(self.healthy(m, q) for m in self.members)

    def _fresh(self, q: Query) -> None:
        if self._epoch != q.env.health_epoch:
            self._epoch = q.env.health_epoch
            self._memo = {}
            self._weights = None

    def _memoize(self, key: Any, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(self._memo) >= MEMO_MAX:
            self._memo.clear()
        self._memo[key] = value
        return value

    # --- decisions ------------------------------------------------------------------------
    def quick(self, env: Environment, ip: str | None) -> tuple[int, ...] | None:
        """The engine's hot path: the decision from memos alone (no Query, no health
        evaluation), or None when it needs the full `decide`."""
        if self._epoch != env.health_epoch:
            return None
        kind = self.kind
        if kind == WEIGHTED:
            w = self._weights
            if w is None:
                return None
            pool, cum, total = w
            if len(pool) == 1:
                return (pool[0],)
            return (pool[bisect.bisect_right(cum, random.random() * total)],)
        if kind in (GEOLOCATION, LATENCY, GEOPROXIMITY):
            loc = env._located.get(ip) if ip else geo.UNKNOWN
            return None if loc is None else self._memo.get(loc)
        if kind == CIDR:
            return self._memo.get(ip or "")
        if kind == MULTIVALUE:
            w = self._weights
            return tuple(w[0]) if w is not None and len(w[0]) <= MULTIVALUE_MAX else None
        return self._memo.get(None)

    def decide(self, q: Query) -> tuple[int, ...]:
        self._fresh(q)
        kind = self.kind
        if kind == WEIGHTED:
            return self._weighted(q)
        if kind == MULTIVALUE:
            return self._multivalue(q)
        if kind == CIDR:
            ip = q.ip or ""
            hit = self._memo.get(ip)
            return hit if hit is not None else self._memoize(ip, self._cidr(q))
        if kind in (GEOLOCATION, LATENCY, GEOPROXIMITY):
            loc = q.location
            hit = self._memo.get(loc)
            if hit is None:
                fn = {GEOLOCATION: self._geolocation, LATENCY: self._latency, GEOPROXIMITY: self._geoproximity}[kind]
                hit = self._memoize(loc, fn(q, loc))
            return hit
        hit = self._memo.get(None)
        if hit is None:
            hit = self._memoize(None, self._failover(q) if kind == FAILOVER else tuple(range(len(self.members))))
        return hit

    def _weighted(self, q: Query) -> tuple[int, ...]:
        w = self._weights
        if w is None:
            ms = self.members
            weight = [int(m.doc.get("Weight") or 0) for m in ms]
            up = [i for i, m in enumerate(ms) if self.healthy(m, q)]
            pool = [i for i in up if weight[i] > 0]  # non-zero healthy first
            if not pool:
                pool = [i for i in up if weight[i] == 0]  # then weight-0 healthy ones
            if not pool:  # none healthy: all are treated as healthy
                pool = [i for i in range(len(ms)) if weight[i] > 0] or list(range(len(ms)))
            ws = [weight[i] for i in pool]
            if not any(ws):
                ws = [1] * len(pool)
            cum, total = [], 0.0
            for x in ws:
                total += x
                cum.append(total)
            w = self._weights = (pool, cum, total)
        pool, cum, total = w
        if len(pool) == 1:
            return (pool[0],)
        return (pool[bisect.bisect_right(cum, random.random() * total)],)

    def _multivalue(self, q: Query) -> tuple[int, ...]:
        w = self._weights
        if w is None:
            up = [i for i, m in enumerate(self.members) if self.healthy(m, q)] or list(range(len(self.members)))
            w = self._weights = (up, [], 0.0)
        up = w[0]
        if len(up) <= MULTIVALUE_MAX:
            return tuple(up)
        return tuple(sorted(random.sample(up, MULTIVALUE_MAX)))

    def _failover(self, q: Query) -> tuple[int, ...]:
        primary = secondary = None
        for i, m in enumerate(self.members):
            if m.doc.get("Failover") == "PRIMARY":
                primary = i
            elif m.doc.get("Failover") == "SECONDARY":
                secondary = i
        if primary is not None and self.healthy(self.members[primary], q):
            return (primary,)
        if secondary is not None and self.healthy(self.members[secondary], q):
            return (secondary,)
        if primary is not None:
            return (primary,)
        return (secondary,) if secondary is not None else ()

    def _geolocation(self, q: Query, loc: geo.Location) -> tuple[int, ...]:
        by_scope: dict[tuple, int] = {}
        for i, m in enumerate(self.members):
            g = m.doc.get("GeoLocation") or {}
            if g.get("CountryCode") == "*":
                by_scope[("*",)] = i
            elif g.get("SubdivisionCode"):
                by_scope[("sub", g.get("CountryCode") or "US", g["SubdivisionCode"])] = i
            elif g.get("CountryCode"):
                by_scope[("country", g["CountryCode"])] = i
            elif g.get("ContinentCode"):
                by_scope[("continent", g["ContinentCode"])] = i
        order: list[tuple[str, ...]] = []
        if loc.country and loc.subdivision:
            order.append(("sub", loc.country, loc.subdivision))
        if loc.country:
            order.append(("country", loc.country))
        if loc.continent:
            order.append(("continent", loc.continent))
        order.append(("*",))
        matches = [by_scope[k] for k in order if k in by_scope]
        for i in matches:
            if self.healthy(self.members[i], q):
                return (i,)
        return (matches[0],) if matches else ()

    def _ranked(self, q: Query, cost: list[float]) -> tuple[int, ...]:
        order = sorted(range(len(self.members)), key=lambda i: (cost[i], self.members[i].sid))
        for i in order:
            if self.healthy(self.members[i], q):
                return (i,)
        return (order[0],) if order else ()

    def _latency(self, q: Query, loc: geo.Location) -> tuple[int, ...]:
        return self._ranked(q, [geo.latency_ms(loc, m.doc.get("Region", "")) for m in self.members])

    def _geoproximity(self, q: Query, loc: geo.Location) -> tuple[int, ...]:
        here = loc.coords
        cost = []
        for m in self.members:
            gp = m.doc.get("GeoProximityLocation") or {}
            where = proximity_coords(gp)
            d = geo.distance_km(here, where) if where else 1e12
            bias = int(gp.get("Bias") or 0)
            if bias > 0:
                d = d * (1 - bias / 100)
            elif bias < 0:
                d = d / (1 + bias / 100)
            cost.append(d)
        return self._ranked(q, cost)

    def _cidr(self, q: Query) -> tuple[int, ...]:
        default = None
        by_loc: dict[str, int] = {}
        collection = None
        for i, m in enumerate(self.members):
            c = m.doc.get("CidrRoutingConfig") or {}
            collection = collection or c.get("CollectionId")
            if c.get("LocationName") == "*":
                default = i
            else:
                by_loc[c.get("LocationName", "")] = i
        table = q.env.cidr.get(collection or "")
        loc = table.match(q.ip) if table is not None else None
        chosen = by_loc.get(loc) if loc is not None else None
        if chosen is not None and self.healthy(self.members[chosen], q):
            return (chosen,)
        if default is not None and (chosen is None or self.healthy(self.members[default], q)):
            return (default,)
        return (chosen,) if chosen is not None else ()


def proximity_coords(gp: dict) -> tuple[float, float] | None:
    if gp.get("AWSRegion"):
        return geo.REGION_COORDS.get(gp["AWSRegion"])
    if gp.get("LocalZoneGroup"):  # e.g. us-east-1-bos-1 → its parent region
        parts = gp["LocalZoneGroup"].split("-")
        return geo.REGION_COORDS.get("-".join(parts[:3]))
    c = gp.get("Coordinates")
    if c:
        try:
            return (float(c["Latitude"]), float(c["Longitude"]))
        except (KeyError, ValueError):
            return None
    return None


def merge(rrsets: list[dns.rrset.RRset | None]) -> dns.rrset.RRset | None:
    """Several members' data as one RRset (multivalue answers): lowest TTL."""
    present = [r for r in rrsets if r is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    out = dns.rrset.RRset(present[0].name, present[0].rdclass, present[0].rdtype)
    for r in present:
        out.update(r)
    out.ttl = min(r.ttl for r in present)
    return out
