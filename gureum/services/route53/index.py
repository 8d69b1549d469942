"""The in-memory zone index the DNS server answers from, and the authoritative lookup.

`ZoneIndex` holds every hosted zone's record sets (the stored documents, as the API keeps
them) and, per zone, the derived DNS view: RRsets per name (routing policies chosen, aliases
resolved to their targets' data), the set of existing names (with empty non-terminals) and
the delegation points. It is changed incrementally (`put_zone`, `apply`, `drop_zone`), never
reads the store, and does no I/O. `lookup()` is RFC 1034 section 4.3.2 with RFC 4592
wildcards, RFC 2308 negative answers and referrals at zone cuts.

Memory at 1M records: a plain record set (index.PlainDoc) that `Zone.load` put is held once,
in its name's Node, and not in the zone's `groups` (`Zone.group` reads both); a Node holds its
first type in slots, not a dict. About 210 bytes per record beyond the documents, from ~710.
"""

from __future__ import annotations

import collections
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from gureum.services.route53 import names, records, routing

if TYPE_CHECKING:
    from gureum.services.route53.signer import ZoneSigner

Labels = tuple[bytes, ...]
SetKey = tuple[Labels, str, str]  # (name, type, set identifier or "")
Doc = Mapping[str, Any]  # a stored record set: its document, or a PlainDoc

SOA = dns.rdatatype.SOA
EVERY_VPC = "*"  # a private-view member of every VPC (e.g. the ECS task subnet)
NS = dns.rdatatype.NS
CNAME = dns.rdatatype.CNAME
DS = dns.rdatatype.DS
DNSKEY = dns.rdatatype.DNSKEY
A = dns.rdatatype.A
AAAA = dns.rdatatype.AAAA
ANY = dns.rdatatype.ANY
IN = dns.rdataclass.IN
MAX_CHAIN = 12
MULTIVALUE_MAX = 8
HISTORY_KEEP = 64  # serial steps kept per zone for IXFR


@dataclass(frozen=True)
class Delta:
    """What one change did to a zone's DNS data (IXFR, RFC 1995): SOA serials and the RRs
    removed and added (SOA excluded)."""

    old_serial: int
    new_serial: int
    removed: list[dns.rrset.RRset]
    added: list[dns.rrset.RRset]


def external_health_id(dns_name: str) -> str:
    """The health id (ZoneIndex.set_health) of an external alias target (a load balancer's DNS
    name, any case, without a trailing dot or `dualstack.`)."""
    return "external:" + dns_name.lower().rstrip(".").removeprefix("dualstack.")


def set_key(doc: Mapping[str, Any]) -> SetKey:
    if type(doc) is PlainDoc:
        return (doc.owner, doc.type, "")
    return (names.parse(doc["Name"]), doc["Type"], doc.get("SetIdentifier") or "")


class PlainDoc(Mapping[str, Any]):
    """A plain record set's stored document held compactly: the same mapping as the dict
    {"Name", "Type", "TTL", "ResourceRecords": [{"Value"}...]} it was made from (`compact`),
    in about a fifth of the memory (the name is the owner's shared labels, the values one tuple).
    Plain sets are nearly every record of a big zone: at 1M records the parsed documents
    were half the node's RSS. `rrset` is its RRset once built (Node), not part of the mapping."""

    __slots__ = ("owner", "type", "ttl", "texts", "rrset")
    KEYS = ("Name", "Type", "TTL", "ResourceRecords")

    def __init__(self, owner: Labels, rtype: str, ttl: Any, texts: tuple[str, ...]) -> None:
        self.owner, self.type, self.ttl, self.texts = owner, rtype, ttl, texts
        self.rrset: dns.rrset.RRset | None = None

    def __getitem__(self, key: str) -> Any:
        if key == "Type":
            return self.type
        if key == "TTL":
            return self.ttl
        if key == "Name":
            return names.to_text(self.owner)
        if key == "ResourceRecords":
            return [{"Value": v} for v in self.texts]
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in PlainDoc.KEYS else default

    def __contains__(self, key: object) -> bool:
        return key in PlainDoc.KEYS

    def __iter__(self) -> Iterator[str]:
        return iter(PlainDoc.KEYS)

    def __len__(self) -> int:
        return 4

    def __repr__(self) -> str:
        return f"PlainDoc({dict(self)!r})"


_TYPE_NAMES = {t: t for t in records.TYPES}  # one str per type name, whatever parsed the document
_TTLS: dict[Any, Any] = {}  # one int per TTL value (not a small int: each document had its own)


def _shared_ttl(ttl: Any) -> Any:
    if type(ttl) is not int:
        return ttl
    got = _TTLS.get(ttl)
    if got is None:
        if len(_TTLS) >= 4096:  # (bounded: distinct TTLs are few)
            return ttl
        got = _TTLS[ttl] = ttl
    return got


def compact(doc: Mapping[str, Any], owner: Labels) -> Mapping[str, Any]:
    """A stored record set as the index keeps it: a PlainDoc when it is exactly a plain set
    (name, type other than SOA/NS, TTL and values, nothing else), else the document itself."""
    if type(doc) is not dict or len(doc) != 4:
        return doc
    rtype, rrs = doc.get("Type"), doc.get("ResourceRecords")
    if rtype is None or rtype == "SOA" or rtype == "NS" or type(rrs) is not list or not rrs \
            or "TTL" not in doc or "Name" not in doc:
        return doc
    if len(rrs) == 1:  # (most sets)
        rr = rrs[0]
        if type(rr) is not dict or len(rr) != 1 or type(v := rr.get("Value")) is not str:
            return doc
        texts: tuple[str, ...] = (v,)
    else:
        values = []
        for rr in rrs:
            if type(rr) is not dict or len(rr) != 1 or type(v := rr.get("Value")) is not str:
                return doc
            values.append(v)
        texts = tuple(values)
    return PlainDoc(owner, _TYPE_NAMES.get(rtype) or rtype, _shared_ttl(doc["TTL"]), texts)


def stored_form(doc: dict) -> Doc:
    """A record set as read from the store, in the form the index keeps (`compact`)."""
    try:
        return compact(doc, names.parse(doc["Name"]))
    except (names.BadName, KeyError, TypeError, AttributeError):
        return doc


@dataclass
class Result:
    """What to answer: rcode, authoritative bit and the three sections (RRsets)."""

    rcode: int
    aa: bool = True
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)
    additional: list[dns.rrset.RRset] = field(default_factory=list)
    dynamic: bool = False  # a routing policy chose (engine.py caches per decision)
    zone_id: str | None = None  # the zone that answered (query logging)


REFUSED = Result(dns.rcode.REFUSED, aa=False)


def plain_rrset(name: Labels, doc: Mapping[str, Any]) -> dns.rrset.RRset:
    """The RRset of a stored record set with values (no alias, no routing)."""
    if type(doc) is PlainDoc:
        return records.stored_rrset(names.to_dns(name), doc.type, int(doc.ttl or 0), doc.texts)
    return records.stored_rrset(names.to_dns(name), doc["Type"], int(doc.get("TTL") or 0), _values(doc))


def _values(doc: Doc) -> tuple[str, ...]:
    return tuple(rr["Value"] for rr in doc.get("ResourceRecords") or ())


class Node:
    """One name's RRsets by type (a Zone's `nodes[name]`), read as a dict (`get`, `[]`, `in`,
    iteration in insertion order, `items`, `values`). A plain record set (one set, no
    SetIdentifier, no alias, values) is held as its stored document: loading a zone builds
    no dnspython object per record, only the answers asked for and AXFR build them. When first
    read its RRset is built: a PlainDoc stays in the node and keeps it (`PlainDoc.rrset`; it is
    the whole record set, Zone.group), any other document is replaced by it. `held` reads what
    is held, unbuilt.

    Most names have one type: the first is held in two slots, the others in a dict made when
    a second comes (a dict per name was a quarter of the index's memory at 1M records)."""

    __slots__ = ("owner", "_type", "_held", "_more")

    def __init__(self, owner: Labels) -> None:
        self.owner = owner
        self._type = -1  # none: then _more is None too
        self._held: Any = None
        self._more: dict[int, Any] | None = None

    def held(self, rdtype: int) -> Any:
        """What is held for `rdtype` (an RRset or a document; None: nothing)."""
        if self._type == rdtype:
            return self._held
        more = self._more
        return more.get(rdtype) if more is not None else None

    def __setitem__(self, rdtype: int, value: Any) -> None:
        if self._type == rdtype or self._type == -1:
            self._type, self._held = rdtype, value
        elif self._more is None:
            self._more = {rdtype: value}
        else:
            self._more[rdtype] = value

    def __delitem__(self, rdtype: int) -> None:
        more = self._more
        if self._type == rdtype:
            if more:  # the next in insertion order comes first
                first = next(iter(more))
                self._type, self._held = first, more.pop(first)
                if not more:
                    self._more = None
            else:
                self._type, self._held = -1, None
        elif more is not None and rdtype in more:
            del more[rdtype]
            if not more:
                self._more = None
        else:
            raise KeyError(rdtype)

    def __contains__(self, rdtype: object) -> bool:
        return self._type == rdtype or (self._more is not None and rdtype in self._more)

    def __iter__(self) -> Iterator[int]:
        if self._type != -1:
            yield self._type
            if self._more is not None:
                yield from list(self._more)

    def __len__(self) -> int:
        return (self._type != -1) + (len(self._more) if self._more is not None else 0)

    def __bool__(self) -> bool:
        return self._type != -1

    def __repr__(self) -> str:
        return f"Node({names.to_text(self.owner)!r}, {[records.type_name(t) for t in self]})"

    def _built(self, rdtype: int, doc: Mapping[str, Any]) -> dns.rrset.RRset:
        if type(doc) is PlainDoc:
            if doc.rrset is None:  # (two threads building it at once: equal RRsets)
                doc.rrset = plain_rrset(self.owner, doc)
            return doc.rrset
        rrset = plain_rrset(self.owner, doc)
        self[rdtype] = rrset
        return rrset

    def get(self, rdtype: int, default: dns.rrset.RRset | None = None) -> dns.rrset.RRset | None:
        v = self.held(rdtype)
        if v is None:
            return default
        return v if isinstance(v, dns.rrset.RRset) else self._built(rdtype, v)

    def __getitem__(self, rdtype: int) -> dns.rrset.RRset:
        v = self.held(rdtype)
        if v is None:
            raise KeyError(rdtype)
        return v if isinstance(v, dns.rrset.RRset) else self._built(rdtype, v)

    def items(self) -> list[tuple[int, dns.rrset.RRset]]:
        return [(t, self[t]) for t in self]

    def values(self) -> list[dns.rrset.RRset]:
        return [self[t] for t in self]


class Zone:
    """One hosted zone: its stored record sets and the DNS data derived from them.

    Changes (`put`, `remove`) mark (name, type) pairs dirty; `rebuild()` re-derives only those
    and the aliases that point at them, so a change costs what it touches, not the zone size.
    """

    def __init__(self, zone_id: str, origin: Labels, *, private: bool = False, vpcs: Iterable[str] = (),
                 order: int = 0, version: int = 0) -> None:
        self.zone_id = zone_id
        self.origin = origin
        self.private = private
        self.vpcs = frozenset(vpcs)
        self.order = order  # older zones win when two public zones share a name
        self.version = version  # changes applied (replayed events are recognised by it)
        self.public_fallback = False  # a private zone's NXDOMAIN answered from public zones (features.py)
        self.account = ""  # the owner (billing: metering.py)
        # (name, type) -> set identifier -> (stored doc, its rdata or None: not parsed yet).
        # A plain set `load` put is only in its node (a PlainDoc there is a whole record set):
        # `group` reads both; a change copies it here first (`_writable`). An emptied group
        # stays here until `rebuild`, so its node's old document is not read as the set.
        self.groups: dict[tuple[Labels, str], dict[str, tuple[Doc, list | None]]] = {}
        self.nodes: dict[Labels, Node] = {}
        self.names: dict[Labels, int] = {origin: 1}  # existing names (incl. empty non-terminals)
        self.cuts: set[Labels] = set()
        self.soa: dns.rrset.RRset | None = None
        self.neg_soa: dns.rrset.RRset | None = None
        self.neg_soa_wire = b""
        self.history: collections.deque[Delta] = collections.deque(maxlen=HISTORY_KEEP)
        self.policy: dict[tuple[Labels, int], routing.Group] = {}  # routed (name, type) pairs
        self._evaluating: set[tuple] = set()
        self._dirty: set[tuple[Labels, str]] = set()
        self._aliased_by: dict[tuple[Labels, str], set[tuple[Labels, str]]] = {}
        # (name, type) pairs with an alias record set into another zone (only those can name
        # an external zone: ZoneIndex.refresh_external re-derives just these)
        self.aliasing: set[tuple[Labels, str]] = set()
        # hosted zone id of AWS resources another service serves (ELB) -> name -> addresses;
        # the index's own dict, shared by its zones (ZoneIndex.set_external)
        self.external: dict[str, Callable[[str], list[str] | None]] = {}

    @property
    def serial(self) -> int:
        return self.soa[0].serial if self.soa is not None else 0

    def rrsets(self) -> list[dns.rrset.RRset]:
        """Every RRset of the zone (SOA first), for AXFR."""
        out = [self.soa] if self.soa is not None else []
        for name in sorted(self.nodes, key=names.sort_key):
            out.extend(rr for t, rr in sorted(self.nodes[name].items()) if t != SOA)
        return out

    def group(self, key: tuple[Labels, str]) -> dict[str, tuple[Doc, list | None]] | None:
        """The record sets of (name, type) by set identifier (None: none)."""
        group = self.groups.get(key)
        if group is not None:
            return group
        node = self.nodes.get(key[0])
        rdtype = records.RDTYPES.get(key[1])  # (None: a type Route 53 does not store, DNSKEY...)
        held = node.held(rdtype) if node is not None and rdtype is not None else None
        return {"": (held, None)} if type(held) is PlainDoc else None

    # --- changes --------------------------------------------------------------------
    def _writable(self, key: tuple[Labels, str]) -> dict[str, tuple[Doc, list | None]]:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = self.group(key) or {}
        return group

    def put(self, doc: Doc) -> None:
        name, rtype, sid = set_key(doc)
        name = self._shared(name)
        if type(doc) is PlainDoc:
            doc.owner = name
        key = (name, rtype)
        group = self._writable(key)
        group[sid] = (compact(doc, name), None)  # (validated when stored: parsed where an RRset is built)
        self._dirty.add(key)
        if key in self.aliasing or "AliasTarget" in doc:  # (else it aliased nothing and still does not)
            self._note_aliases(key, group)

    def load(self, docs: Iterable[Doc]) -> None:
        """`put` every record set of a zone not built yet. A plain set goes straight to its
        node, as `rebuild` would put it, and only there (`group` finds it): nothing in the zone
        depends on it before the aliases (put, then rebuilt) are rendered."""
        assert not self.nodes and not self._dirty, "load() fills a new zone"
        groups, nodes, rdtypes = self.groups, self.nodes, records.RDTYPES
        for doc in docs:
            if type(doc) is not PlainDoc:
                doc = compact(doc, set_key(doc)[0])
                if type(doc) is not PlainDoc:
                    self.put(doc)
                    continue
            name = doc.owner = self._shared(doc.owner)
            rtype = doc.type
            rdtype = rdtypes[rtype]
            node = nodes.get(name)
            if node is None:
                if (name, rtype) in groups:
                    self.put(doc)  # (a set put before: as put would)
                    continue
                node = nodes[name] = Node(name)
                self._name(name)
            elif rdtype in node or (name, rtype) in groups:
                self.put(doc)  # (a second document of one set: as put would)
                continue
            node[rdtype] = doc

    def remove(self, doc: dict) -> None:
        name, rtype, sid = set_key(doc)
        group = self.group((name, rtype))
        if group is not None and sid in group:
            group = self._writable((name, rtype))
            del group[sid]  # (kept, even empty, until rebuild)
            self._dirty.add((name, rtype))
            self._note_aliases((name, rtype), group)

    def _note_aliases(self, key: tuple[Labels, str], group: dict[str, tuple[Doc, list | None]]) -> None:
        if any((d.get("AliasTarget") or {}).get("HostedZoneId", self.zone_id).split("/")[-1] != self.zone_id
               for d, _ in group.values()):
            self.aliasing.add(key)
        else:
            self.aliasing.discard(key)

    def rebuild(self, deltas: bool = True) -> tuple[list[dns.rrset.RRset], list[dns.rrset.RRset]]:
        """Re-derive the dirty (name, type) pairs; returns the RRsets removed and added
        (SOA excluded), for IXFR (`deltas`; without, plain record sets stay unbuilt: Node)."""
        todo = set(self._dirty)
        stack = list(todo)
        while stack:  # aliases that (transitively) point at a changed pair
            for dep in self._aliased_by.get(stack.pop(), ()):
                if dep not in todo:
                    todo.add(dep)
                    stack.append(dep)
        self._dirty.clear()
        removed, added = [], []
        for name, rtype in todo:
            rdtype = records.rdtype(rtype)
            node = self.nodes.get(name)
            old = node.get(rdtype) if node else None
            rendered = self._render(name, rtype)
            if self.groups.get((name, rtype)) == {}:
                del self.groups[(name, rtype)]
            new: dns.rrset.RRset | None = None
            if rendered is None:
                if old is None or node is None:
                    continue
                del node[rdtype]
                if not node:
                    del self.nodes[name]
                    self._unname(name)
            else:
                if node is None:
                    node = self.nodes[name] = Node(name)
                    self._name(name)
                node[rdtype] = rendered  # (a plain set's doc: Node builds the RRset when read)
                if deltas:
                    new = node.get(rdtype)
            if rdtype == NS and name != self.origin:
                (self.cuts.add if rendered is not None else self.cuts.discard)(name)
            if not deltas:
                continue
            if rdtype != SOA and not (old is not None and new is not None and old == new and old.ttl == new.ttl):
                if old is not None:
                    removed.append(old)
                if new is not None:
                    added.append(new)
        origin_node = self.nodes.get(self.origin)
        soa = origin_node.get(SOA) if origin_node is not None else None
        self.soa = soa
        self.neg_soa = None
        self.neg_soa_wire = b""
        if soa is not None:
            neg = soa.copy()
            neg.ttl = min(soa.ttl, soa[0].minimum)  # RFC 2308 section 5
            self.neg_soa = neg
            # The negative SOA after its owner name, rdata uncompressed: the engine's fast
            # NXDOMAIN path points the owner at the apex inside the question.
            rdata = records.digestable(soa[0])
            self.neg_soa_wire = struct.pack("!HHIH", SOA, IN, neg.ttl, len(rdata)) + rdata
        return removed, added

    def is_nxdomain(self, name: Labels) -> bool:
        """Whether `name` (in this zone) does not exist: no node, no empty non-terminal, no
        wildcard at its closest encloser, and no delegation above it."""
        if name in self.names:
            return False
        ce = name[1:]
        while ce not in self.names:
            ce = ce[1:]
        if (b"*",) + ce in self.nodes:
            return False
        return self.find_cut(name, A) is None

    def _shared(self, name: Labels) -> Labels:
        """`name` (in this zone) with the origin's own labels (RSS at 1M records: not a copy of
        them per name)."""
        n = len(self.origin)
        if n and len(name) > n and name[-n:] == self.origin:
            return name[:-n] + self.origin
        return name

    def _name(self, name: Labels) -> None:
        existing = self.names
        if len(name) == len(self.origin) + 1:  # (most names: one label below the apex)
            existing[name] = existing.get(name, 0) + 1
            existing[self.origin] += 1
            return
        for i in range(len(name) - len(self.origin) + 1):
            existing[name[i:]] = existing.get(name[i:], 0) + 1

    def _unname(self, name: Labels) -> None:
        for i in range(len(name) - len(self.origin) + 1):
            anc = name[i:]
            n = self.names[anc] - 1
            if n <= 0 and anc != self.origin:  # the origin keeps its sentinel count
                del self.names[anc]
            else:
                self.names[anc] = n

    def _render(self, name: Labels, rtype: str) -> dns.rrset.RRset | Mapping[str, Any] | None:
        """The node's RRset of (name, type); a plain record set's stored doc (Node builds
        its RRset when it is first read)."""
        group = self.group((name, rtype))
        rdtype = records.rdtype(rtype)
        self.policy.pop((name, rdtype), None)
        if not group:
            return None
        if len(group) == 1 and rtype != "SOA":  # (NS too: a delegation's RRset is built when first read)
            doc = next(iter(group.values()))[0]
            if type(doc) is PlainDoc:
                return doc
            if doc.get("ResourceRecords") and not (doc.get("SetIdentifier") or doc.get("AliasTarget") or doc.get("_Traffic")):
                return doc
        entries = sorted(group.values(), key=lambda e: e[0].get("SetIdentifier") or "")
        if entries[0][0].get("_Traffic"):  # a traffic policy instance: its compiled rule tree
            g, rep = traffic_tree(self, name, rtype, entries[0][0])
            if g is not None:
                self.policy[(name, rdtype)] = g
            return rep
        routed = any(doc.get("SetIdentifier") for doc, _ in entries)
        members = [self._member(name, rtype, doc, data) for doc, data in entries]
        if routed or any(m.dynamic_alias for m in members):
            kind = routing.policy_of(entries[0][0]) if routed else routing.SIMPLE
            self.policy[(name, rdtype)] = routing.Group(kind, members, zone=self)
        # The node's RRset (AXFR, and whatever needs one answer): the static choice.
        doc, data = _choose(entries)
        return self._rrset(name, rtype, doc, data)

    def _member(self, name: Labels, rtype: str, doc: Doc, data: list | None) -> routing.Member:
        alias = doc.get("AliasTarget")
        key = None
        dynamic = False
        if alias and alias.get("HostedZoneId", self.zone_id).split("/")[-1] == self.zone_id:
            try:
                key = (names.parse(alias["DNSName"]), rtype)
            except names.BadName:
                key = None
            target = self.group(key) if key else None
            dynamic = target is not None and any(d.get("SetIdentifier") for d, _ in target.values())
            if key:
                self._aliased_by.setdefault(key, set()).add((name, rtype))
        external = None
        if alias and alias.get("HostedZoneId", "").split("/")[-1] in self.external:
            external = external_health_id(str(alias.get("DNSName", "")))
        return routing.Member(
            sid=doc.get("SetIdentifier") or "", doc=doc, rrset=self._rrset(name, rtype, doc, data),
            health_check=doc.get("HealthCheckId"), alias_key=key,
            evaluate_target=bool(alias and alias.get("EvaluateTargetHealth")), dynamic_alias=dynamic,
            external_health=external)

    def target_healthy(self, key: tuple, q: routing.Query) -> bool:
        """An alias target's health (EvaluateTargetHealth): a routed group is healthy iff one
        of its members is; a plain record set is healthy."""
        g = self.policy.get((key[0], records.rdtype(key[1])))
        if g is None or key in self._evaluating:
            return True
        self._evaluating.add(key)
        try:
            return g.any_healthy(q)
        finally:
            self._evaluating.discard(key)

    def _rrset(self, name: Labels, rtype: str, doc: Doc, data: list | None) -> dns.rrset.RRset | None:
        ttl = doc.get("TTL")
        if doc.get("AliasTarget"):
            ttl, data = self._resolve_alias(name, rtype, doc)
        elif data is None:
            values = _values(doc)  # (the SOA too: the stored serial is the served one, model.py)
            return records.stored_rrset(names.to_dns(name), rtype, int(ttl or 0), values) if values else None
        if not data:
            return None
        rrset = dns.rrset.RRset(names.to_dns(name), IN, records.rdtype(rtype))
        for rd in data:  # the SOA too: the stored serial is the served one (model.py)
            rrset.add(rd)
        rrset.ttl = int(ttl or 0)
        return rrset

    def pick(self, name: Labels, rdtype: int, rrset: dns.rrset.RRset, result: Result | None,
             q: routing.Query | None = None) -> dns.rrset.RRset | None:
        """The RRset to answer with: the routing policy's choice where the set is routed
        (None: the policy answers nothing for this client, NODATA)."""
        if not self.policy:
            return rrset
        g = self.policy.get((name, rdtype))
        if g is None:
            return rrset
        if result is not None:
            result.dynamic = True
        if q is None:
            q = routing.Query(routing.Environment())
        return self._decided(g, name, q)

    def _decided(self, g: routing.Group, name: Labels, q: routing.Query) -> dns.rrset.RRset | None:
        d = q.decide(g)
        out = g.rendered.get(d)
        if out is not None:
            return out
        parts = []
        dynamic = False
        for i in d:
            m = g.members[i]
            if m.sub is not None:  # a nested traffic policy rule decides
                dynamic = True
                parts.append(self._decided(m.sub, name, q))
            elif m.dynamic_alias:
                dynamic = True
                parts.append(self._alias_now(name, m, q))
            else:
                parts.append(m.rrset)
        out = routing.merge(parts)
        if not dynamic and out is not None:
            g.rendered[d] = out
        return out

    def _alias_now(self, name: Labels, m: routing.Member, q: routing.Query) -> dns.rrset.RRset | None:
        """An alias to a routed group: the target's choice for this query, under our name."""
        if m.alias_key is None:
            return None
        tname, rtype = m.alias_key
        rdtype = records.rdtype(rtype)
        if (tname, rdtype) in self._evaluating:
            return None  # a loop
        node = self.nodes.get(tname)
        self._evaluating.add((tname, rdtype))
        try:
            target = node.get(rdtype) if node is not None else None
            rr = self.pick(tname, rdtype, target, None, q) if target is not None else None
        finally:
            self._evaluating.discard((tname, rdtype))
        return _owned(rr, names.to_dns(name)) if rr is not None else None

    def _resolve_alias(self, name: Labels, rtype: str, doc: Doc) -> tuple[int | None, list | None]:
        """An alias to a record set in this zone: the target's data and TTL."""
        seen = {(name, rtype)}
        while True:
            target = doc["AliasTarget"]
            target_zone = target.get("HostedZoneId", self.zone_id).split("/")[-1]
            if target_zone != self.zone_id:
                resolve = self.external.get(target_zone)
                found = resolve(str(target["DNSName"])) if resolve is not None and rtype == "A" else None
                if not found:
                    return None, None  # AWS resources outside gureum: nothing to answer with
                return 60, [dns.rdata.from_text(IN, A, a) for a in found]
            try:
                key = (names.parse(target["DNSName"]), rtype)
            except names.BadName:
                return None, None
            self._aliased_by.setdefault(key, set()).add((name, rtype))
            group = self.group(key)
            if key in seen or not group:
                return None, None
            seen.add(key)
            doc, rdatas = _choose(list(group.values()))
            if not doc.get("AliasTarget"):
                return doc.get("TTL"), rdatas if rdatas is not None else records.rdatas_of(doc)

    # --- lookup helpers ------------------------------------------------------------------
    def find_cut(self, name: Labels, qtype: int) -> Labels | None:
        """The highest delegation point at or above `name` (DS at the cut itself is ours)."""
        if not self.cuts:
            return None
        n0 = len(self.origin)
        for i in range(len(name) - n0 - 1, -1, -1):
            anc = name[i:]
            if anc in self.cuts and not (i == 0 and qtype == DS):
                return anc
        return None

    def negative(self) -> list[dns.rrset.RRset]:
        """The authority section of a negative answer: the SOA with the negative TTL."""
        return [self.neg_soa] if self.neg_soa is not None else []

    def glue(self, ns: dns.rrset.RRset) -> list[dns.rrset.RRset]:
        out: list[dns.rrset.RRset] = []
        for rd in ns:
            target = names.from_dns(rd.target)
            node = self.nodes.get(target)
            if node:
                out.extend(node[t] for t in (A, AAAA) if t in node)
        return out


_RULE_POLICY = {"failover": routing.FAILOVER, "geo": routing.GEOLOCATION, "latency": routing.LATENCY,
                "geoproximity": routing.GEOPROXIMITY, "multivalue": routing.MULTIVALUE, "weighted": routing.WEIGHTED}


def traffic_tree(zone: Zone, name: Labels, rtype: str, doc: Doc) -> tuple[routing.Group | None, dns.rrset.RRset | None]:
    """A traffic policy instance's rule tree as nested routing groups (each rule's items
    become members with the record-set fields the policy's decision reads), and the RRset of
    its first `value` endpoint (the node's RRset for AXFR)."""
    from gureum.services.route53.traffic import rule_items

    t = doc["_Traffic"]
    pdoc, ttl = t["Document"], int(t.get("TTL") or 0)
    endpoints, rules = pdoc.get("Endpoints") or {}, pdoc.get("Rules") or {}
    rdtype = records.rdtype(rtype)
    first: list[dns.rrset.RRset] = []

    def endpoint(eid: str) -> dns.rrset.RRset | None:
        ep = endpoints.get(eid) or {}
        if ep.get("Type") != "value":
            return None  # AWS resources outside gureum: nothing to answer with
        try:
            rd = records.parse_value(rtype, ep["Value"])
        except (records.BadValue, KeyError):
            return None
        rr = dns.rrset.RRset(names.to_dns(name), IN, rdtype)
        rr.add(rd)
        rr.ttl = ttl
        if not first:
            first.append(rr)
        return rr

    def build(rid: str, depth: int) -> routing.Group:
        rule = rules[rid]
        kind = rule.get("RuleType")
        members = []
        for idx, item in enumerate(rule_items(rule)):
            synth: dict = {"SetIdentifier": str(idx)}
            if kind == "failover":
                synth["Failover"] = "PRIMARY" if item is rule.get("Primary") else "SECONDARY"
            elif kind == "geo":
                if item.get("IsDefault"):
                    synth["GeoLocation"] = {"CountryCode": "*"}
                elif item.get("Subdivision"):
                    synth["GeoLocation"] = {"CountryCode": item.get("Country") or "US", "SubdivisionCode": item["Subdivision"]}
                elif item.get("Country"):
                    synth["GeoLocation"] = {"CountryCode": item["Country"]}
                else:
                    synth["GeoLocation"] = {"ContinentCode": item.get("Continent")}
            elif kind == "latency":
                synth["Region"] = item.get("Region")
            elif kind == "geoproximity":
                gp: dict = {"Bias": int(item.get("Bias") or 0)}
                if item.get("Region"):
                    gp["AWSRegion"] = str(item["Region"]).split(":")[-1]
                else:
                    gp["Coordinates"] = {"Latitude": item.get("Latitude"), "Longitude": item.get("Longitude")}
                synth["GeoProximityLocation"] = gp
            elif kind == "multivalue":
                synth["MultiValueAnswer"] = True
            else:
                synth["Weight"] = int(item.get("Weight") or 0)
            sub = build(item["RuleReference"], depth + 1) if "RuleReference" in item and depth < 16 else None
            members.append(routing.Member(
                sid=str(idx), doc=synth, rrset=None if sub else endpoint(item.get("EndpointReference", "")),
                health_check=item.get("HealthCheck"), evaluate_target=bool(item.get("EvaluateTargetHealth", True)), sub=sub))
        return routing.Group(_RULE_POLICY.get(kind, routing.SIMPLE), members, zone=zone)

    try:
        if pdoc.get("StartRule"):
            g = build(pdoc["StartRule"], 0)
        else:
            g = routing.Group(routing.SIMPLE, [routing.Member("", {}, endpoint(pdoc.get("StartEndpoint", "")))], zone=zone)
    except (KeyError, TypeError, ValueError):
        return None, None
    return g, (first[0] if first else None)


def _choose(entries: list[tuple[Doc, list | None]]) -> tuple[Doc, list | None]:
    """Pick what a name+type answers with under its routing policy (all records healthy)."""
    if len(entries) == 1:
        return entries[0]
    entries = sorted(entries, key=lambda e: e[0].get("SetIdentifier") or "")
    docs = [e[0] for e in entries]
    if any(d.get("Failover") for d in docs):
        for e in entries:
            if e[0].get("Failover") == "PRIMARY":
                return e
    if any(d.get("MultiValueAnswer") for d in docs):
        merged: list = []
        for doc, rds in entries:
            for rd in rds if rds is not None else records.rdatas_of(doc):
                if rd not in merged and len(merged) < MULTIVALUE_MAX:
                    merged.append(rd)
        return entries[0][0], merged
    if any("Weight" in d for d in docs):
        nonzero = [e for e in entries if int(e[0].get("Weight", 0)) > 0] or entries
        return max(nonzero, key=lambda e: int(e[0].get("Weight", 0)))
    for e in entries:  # geolocation / CIDR default location
        geo = e[0].get("GeoLocation") or {}
        if geo.get("CountryCode") == "*" or (e[0].get("CidrRoutingConfig") or {}).get("LocationName") == "*":
            return e
    return entries[0]


class ZoneIndex(routing.Environment):
    """All zones, and the views (public, and public + private zones per VPC set); the
    routing environment (health, CIDR collections, geo database) too.

    The public view is kept incrementally: adding, replacing or dropping a zone re-chooses
    the winner of that zone's name only (from `_named`, the public zones per name), so loading
    n zones costs O(n), not n sorts of every zone; a record change leaves the views as they
    are (they hold the same Zone objects, changed in place)."""

    def __init__(self) -> None:
        super().__init__()
        self.zones: dict[str, Zone] = {}
        self.public: dict[Labels, Zone] = {}
        # public zones per name, in self.zones' order (a replaced zone keeps its place)
        self._named: dict[Labels, dict[str, Zone]] = {}
        self._private: set[str] = set()  # ids of the private zones
        self._views: dict[frozenset[str], dict[Labels, Zone]] = {}
        self.on_generation: list[Callable[[], None]] = []  # told of every change (native_dns.py)
        self.on_health: list[Callable[[], None]] = []  # told when the health epoch moves (native_dns.py)
        self._generation = 0
        self.has_private = False
        self.signers: dict[str, ZoneSigner] = {}  # DNSSEC: zone id -> its signer (signer.py)
        self.external: dict[str, Callable[[str], list[str] | None]] = {}  # see set_external

    @property
    def generation(self) -> int:
        """Bumped on every change: answer caches key on it."""
        return self._generation

    @generation.setter
    def generation(self, value: int) -> None:
        self._generation = value
        for fn in self.on_generation:
            fn()

    def set_signer(self, zone_id: str, signer: ZoneSigner | None) -> None:
        """A zone starts (or stops, None) being signed: DNSKEY served, DO answers signed."""
        if signer is None:
            self.signers.pop(zone_id, None)
        else:
            self.signers[zone_id] = signer
        self.generation += 1

    def refresh_signatures(self) -> None:
        """Re-sign what is due (signer.REFRESH): cached answers holding old signatures go."""
        if any([s.refresh() for s in self.signers.values()]):
            self.generation += 1

    def set_external(self, zone_ids: Iterable[str], resolve: Callable[[str], list[str] | None]) -> None:
        """Aliases to hosted zone ids `zone_ids` (AWS resources another gureum service serves:
        load balancers) answer the addresses `resolve(alias DNSName)` gives; call
        `refresh_external` when those change."""
        for z in zone_ids:
            self.external[z] = resolve
        self.refresh_external()

    def refresh_external(self) -> None:
        """Re-derive every alias record set that targets an external zone (only zones with
        aliases into other zones are looked at, and in them only those record sets)."""
        for zone in self.zones.values():
            if not zone.aliasing:
                continue
            for key in zone.aliasing:
                group = zone.group(key) or {}
                if any((doc.get("AliasTarget") or {}).get("HostedZoneId", "").split("/")[-1] in self.external
                       for doc, _ in group.values()):
                    zone._dirty.add(key)
            if zone._dirty:
                zone.rebuild(deltas=False)
        self._changed()

    def put_zone(self, zone: Zone) -> None:
        known = self.zones.get(zone.zone_id)
        if known is not None and known.version >= zone.version:
            return  # a replayed creation event: the index already has this state or newer
        zone.external = self.external
        zone.rebuild(deltas=False)
        self.zones[zone.zone_id] = zone
        if known is not None:
            self._unplace(known)
        self._place(zone)
        self._changed(known.origin if known is not None else None, zone.origin)

    def drop_zone(self, zone_id: str) -> None:
        self.signers.pop(zone_id, None)
        known = self.zones.pop(zone_id, None)
        if known is not None:
            self._unplace(known)
            self._changed(known.origin)

    def apply(self, zone_id: str, deletes: Iterable[dict], creates: Iterable[dict], version: int | None = None) -> None:
        zone = self.zones.get(zone_id)
        if zone is None or (version is not None and version <= zone.version):
            return  # unknown zone, or a replayed event the loaded state already includes
        old_serial = zone.serial
        for doc in deletes:
            zone.remove(doc)
        for doc in creates:
            zone.put(doc)
        if version is not None:
            zone.version = version
        removed, added = zone.rebuild()
        if zone.serial != old_serial:
            zone.history.append(Delta(old_serial, zone.serial, removed, added))
        self.generation += 1  # which zone serves which name is as it was: the views stand

    def set_public_fallback(self, zone_id: str, on: bool) -> None:
        zone = self.zones.get(zone_id)
        if zone is not None and zone.public_fallback != on:
            zone.public_fallback = on
            self.generation += 1

    def set_vpcs(self, zone_id: str, vpcs: Iterable[str]) -> None:
        zone = self.zones.get(zone_id)
        if zone is not None:
            zone.vpcs = frozenset(vpcs)
            self._changed()  # membership of the VPC views

    def set_health(self, statuses: dict[str, bool]) -> bool:
        """Health check results (id → healthy) from the checker; changes invalidate cached
        decisions (the health epoch moves), not answers: an answer cached for given decisions
        does not depend on health, and static answers never do, so the generation stays (and
        with it the engine's answers and the native table's). Returns whether anything changed."""
        changed = {k: v for k, v in statuses.items() if self.health.get(k) != v}
        if not changed:
            return False
        self.health.update(changed)
        self._health_moved()
        return True

    def forget_health(self, hc_id: str) -> None:
        if self.health.pop(hc_id, None) is not None:
            self._health_moved()

    def _health_moved(self) -> None:
        self.health_epoch += 1
        for fn in self.on_health:
            fn()

    def set_cidr_collection(self, collection_id: str, locations: dict[str, list[str]] | None) -> None:
        if locations is None:
            self.cidr.pop(collection_id, None)
        else:
            self.cidr[collection_id] = routing.CidrTable(locations)
        self.health_epoch += 1  # CIDR decisions are memoized per epoch too
        self.generation += 1

    def _place(self, zone: Zone) -> None:
        if zone.private:
            self._private.add(zone.zone_id)
        else:
            self._named.setdefault(zone.origin, {})[zone.zone_id] = zone

    def _unplace(self, zone: Zone) -> None:
        self._private.discard(zone.zone_id)
        named = self._named.get(zone.origin)
        if named is None or named.get(zone.zone_id) is not zone:
            return
        now = self.zones.get(zone.zone_id)
        if now is not None and not now.private and now.origin == zone.origin:
            return  # replaced by a zone of the same name: _place puts it in this one's place
        del named[zone.zone_id]
        if not named:
            del self._named[zone.origin]

    def _changed(self, *origins: Labels | None) -> None:
        """The zones serving `origins` changed: re-choose those names' public zone (the
        oldest public zone of a name wins; of equal age the one placed last), drop the
        VPC views, bump the generation (answer caches key on it)."""
        self.generation += 1
        for origin in origins:
            if origin is None:
                continue
            named = self._named.get(origin)
            if named:
                self.public[origin] = min(reversed(named.values()), key=lambda z: z.order)
            else:
                self.public.pop(origin, None)
        self.has_private = bool(self._private)  # without private zones every client sees the same
        self._views = {}

    def view(self, vpcs: frozenset[str] | None) -> dict[Labels, Zone]:
        """The zones a client sees: public ones, overlaid by private zones of its VPCs (of
        every VPC for a member of EVERY_VPC)."""
        if not vpcs:
            return self.public
        v = self._views.get(vpcs)
        if v is None:
            v = dict(self.public)
            for z in sorted(self.zones.values(), key=lambda z: z.order, reverse=True):
                if z.private and (EVERY_VPC in vpcs or z.vpcs & vpcs):
                    v[z.origin] = z
            self._views[vpcs] = v
        return v

    def zone_for(self, view: dict[Labels, Zone], name: Labels) -> Zone | None:
        for i in range(len(name) + 1):
            z = view.get(name[i:])
            if z is not None:
                return z
        return None

    def lookup(self, qname: dns.name.Name, qtype: int, vpcs: frozenset[str] | None = None,
               q: routing.Query | None = None) -> Result:
        """The authoritative answer for (qname, qtype) in class IN; `q` carries the client
        (routing decisions), a default one is made when not given."""
        if q is None:
            q = routing.Query(self)
        view = self.view(vpcs)
        name = names.from_dns(qname)
        zone = self.zone_for(view, name)
        if zone is None or zone.soa is None:
            return REFUSED
        if qtype == DS and name == zone.origin and name:  # RFC 4035 §3.1.4.1: DS is the parent's
            parent = self.zone_for(view, name[1:])
            if parent is not None and parent.soa is not None and name in parent.cuts:
                return self._lookup(view, parent, name, qname, qtype, q)
        if zone.private and zone.public_fallback and vpcs:
            result = self._lookup(view, zone, name, qname, qtype, q)
            if result.rcode == dns.rcode.NXDOMAIN:  # public DNS fallback: ask the public zones
                public = self.zone_for(self.public, name)
                if public is not None and public.soa is not None:
                    return self._lookup(self.public, public, name, qname, qtype, q)
            return result
        return self._lookup(view, zone, name, qname, qtype, q)

    def _lookup(self, view: dict[Labels, Zone], zone: Zone, name: Labels, qname: dns.name.Name, qtype: int,
                q: routing.Query) -> Result:
        result = Result(dns.rcode.NOERROR, aa=True, zone_id=zone.zone_id)
        owner = qname
        for hop in range(MAX_CHAIN):
            cut = zone.find_cut(name, qtype)
            if cut is not None:
                if hop == 0:
                    ns = zone.nodes[cut][NS]
                    return Result(dns.rcode.NOERROR, aa=False, authority=[ns], additional=zone.glue(ns))
                return result  # a CNAME into a delegated name: the resolver follows it
            node = zone.nodes.get(name)
            wildcard = False
            if node is None:
                if name in zone.names:  # an empty non-terminal: NODATA
                    result.authority.extend(zone.negative())
                    return result
                ce = name[1:]
                while ce not in zone.names:
                    ce = ce[1:]
                node = zone.nodes.get((b"*",) + ce)
                if node is None:
                    result.rcode = dns.rcode.NXDOMAIN
                    result.authority.extend(zone.negative())
                    return result
                wildcard = True
            if qtype == DNSKEY and name == zone.origin and zone.zone_id in self.signers:
                result.answer.append(self.signers[zone.zone_id].dnskey)
                return result
            if qtype == ANY:  # RFC 8482: one RRset is enough
                rrset = node.get(CNAME) or node[min(node)]
                result.answer.append(_owned(rrset, owner) if wildcard else rrset)
                return result
            stored = node.get(qtype)
            if stored is not None:
                chosen = zone.pick(name if not wildcard else (b"*",) + ce, qtype, stored, result, q)
                if chosen is None:  # the routing policy has nothing for this client: NODATA
                    if not result.answer:
                        result.authority.extend(zone.negative())
                    return result
                result.answer.append(_owned(chosen, owner) if wildcard else chosen)
                return result
            cname = node.get(CNAME)
            if cname is not None:
                cname = zone.pick(name if not wildcard else (b"*",) + ce, CNAME, cname, result, q)
            if cname is None:
                result.authority.extend(zone.negative())
                return result
            result.answer.append(_owned(cname, owner) if wildcard else cname)
            owner = cname[0].target
            name = names.from_dns(owner)
            if any(rr.name == owner and rr.rdtype == CNAME for rr in result.answer):
                return result  # a loop
            next_zone = self.zone_for(view, name)
            if next_zone is None or next_zone.soa is None:
                return result  # out of our zones: the resolver follows it
            zone = next_zone
        return result


def _owned(rrset: dns.rrset.RRset, owner: dns.name.Name) -> dns.rrset.RRset:
    """A wildcard's RRset under the query name (RFC 4592 synthesis)."""
    out = dns.rrset.RRset(owner, rrset.rdclass, rrset.rdtype)
    out.update(rrset)
    out.ttl = rrset.ttl
    return out
