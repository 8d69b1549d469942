"""Engine._plain: the first answer of a plain A/AAAA/TXT question built straight from bytes is
byte for byte what dnspython's path (`_fill`) answers, billed the same, and every question it
does not own (routing, wildcards, delegations, aliases chains, signing, other types) falls
through to that path."""

from __future__ import annotations

import itertools

import dns.flags
import dns.message
import dns.rdatatype

from gureum.services.route53.engine import Engine
from gureum.services.route53.index import stored_form
from gureum.services.route53.server import zone_from_doc

from .zones import defaults, example_index, rrset

ACCOUNT = "111122223333"


def _engines() -> tuple[Engine, Engine, list[int]]:
    """Two engines over equal indexes: one with the plain path, one without; and a list
    counting the answers the plain path built."""
    engines = []
    for _ in range(2):
        index = example_index()
        index.zones["ZEXAMPLE"].account = ACCOUNT
        docs = [*defaults("load.example"),
                *[rrset(f"h{i}.load.example", "A", f"192.0.2.{i}", f"198.51.100.{i}") for i in range(3)],
                rrset("v6.load.example", "AAAA", "2001:db8::1", "::ffff:192.0.2.1", ttl=0),
                rrset("t.load.example", "TXT", '"a b" "c"', '"d"'),
                rrset("w.load.example", "A", "192.0.2.90", SetIdentifier="one", Weight=1),
                rrset("w.load.example", "A", "192.0.2.91", SetIdentifier="two", Weight=0)]
        index.put_zone(zone_from_doc({"Id": "/hostedzone/ZLOAD", "Name": "load.example.", "Account": ACCOUNT},
                                     [stored_form(d) for d in docs]))
        index.zones["ZLOAD"].account = ACCOUNT
        engines.append(Engine(index))
    plain, slow = engines
    slow._plain = lambda *args, **kw: None  # type: ignore[method-assign]
    built: list[int] = []
    real = plain._plain

    def counted(*args: object, **kw: object) -> object:
        entry = real(*args, **kw)  # type: ignore[arg-type]
        if entry is not None:
            built.append(1)
        return entry

    plain._plain = counted  # type: ignore[method-assign]
    return plain, slow, built


def _variants(name: str, rtype: str) -> list[bytes]:
    out = []
    for rd, cd, edns in itertools.product((True, False), (False, True), (None, 512, 1232, 4096, "do")):
        kw: dict = {}
        if edns == "do":
            kw = {"use_edns": 0, "want_dnssec": True}
        elif edns is not None:
            kw = {"use_edns": 0, "payload": edns}
        q = dns.message.make_query(name, rtype, **kw)
        q.id = 0x4321
        if not rd:
            q.flags &= ~dns.flags.RD
        if cd:
            q.flags |= dns.flags.CD
        out.append(q.to_wire())
    return out


def _canonical(wire: bytes) -> tuple:
    """A response as bytes, but each RRset's records in sorted order: both paths draw the
    order of an RRset's records (dnspython shuffles as it renders), so only that may differ."""
    header, rest = wire[:12], wire[12:]
    msg = dns.message.from_wire(wire)
    sections = [sorted(sorted(rr.to_text().splitlines()) for rr in section)
                for section in (msg.answer, msg.authority, msg.additional)]
    return len(wire), header, rest[:len(msg.question[0].name.to_wire()) + 4], sections, msg.edns, msg.payload, msg.ednsflags


QUESTIONS = [
    ("www.example.com", "A"), ("WwW.ExAmPlE.CoM", "AAAA"), ("mail.example.com", "A"),
    ("big.example.com", "TXT"),  # 2.4 kB: truncated over UDP, whole over TCP
    ("host.wild.example.com", "TXT"), ("example.com", "A"),  # a name's own TXT; an apex alias
    ("h1.load.example", "A"), ("H2.Load.Example", "A"), ("v6.load.example", "AAAA"), ("t.load.example", "TXT"),
    ("deeper.example.com", "A"),  # the child zone's apex
    # not the plain path's: each falls through
    ("x.wild.example.com", "A"), ("ns1.sub.example.com", "A"), ("w.load.example", "A"), ("example.com", "MX"),
    ("alias.example.com", "A"), ("nosuch.load.example", "A"), ("h1.load.example", "TXT"),
    ("www.example.org", "A"),
]


def test_plain_first_answers_are_the_same_bytes_and_bills_as_dnspythons() -> None:
    plain, slow, built = _engines()
    for name, rtype in QUESTIONS:
        for wire in _variants(name, rtype):
            for tcp in (False, True):
                got, want = plain.answer(wire, "192.0.2.200", tcp), slow.answer(wire, "192.0.2.200", tcp)
                assert isinstance(got, bytes) and isinstance(want, bytes)
                assert _canonical(got) == _canonical(want), (name, rtype, dns.message.from_wire(wire).flags, tcp)
    assert plain.take_metered() == slow.take_metered() != {}
    # 11 plain questions, each built once per cache key: RD × CD × (no EDNS, EDNS, DO); the
    # payload sizes share a key, and UDP and TCP one entry
    assert len(built) == 11 * 12


def test_a_plain_answer_leaves_the_record_set_unbuilt() -> None:
    """The address answer is rendered from the stored values: the node keeps its compact
    document (1M names, each asked once, build no RRset)."""
    plain, _slow, _built = _engines()
    zone = plain.index.zones["ZLOAD"]
    node = zone.nodes[(b"h0", b"load", b"example")]
    plain.answer(_variants("h0.load.example", "A")[0])
    assert not isinstance(node.held(dns.rdatatype.A), dns.rrset.RRset)
