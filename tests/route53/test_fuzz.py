"""Random and mutated packets never crash or hang the engine: an answer, FORMERR or a drop."""

from __future__ import annotations

import dns.message
import dns.rcode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gureum.services.route53.engine import Engine

from .zones import example_index

ENGINE = Engine(example_index())
SEEDS = [
    dns.message.make_query(name, rtype, **kw).to_wire()
    for name, rtype, kw in [
        ("www.example.com", "A", {}),
        ("x.wild.example.com", "TXT", {"use_edns": 0, "want_dnssec": True}),
        ("big.example.com", "TXT", {"use_edns": 0, "payload": 600}),
        ("chain.example.com", "AAAA", {}),
        ("a.sub.example.com", "NS", {"use_edns": 0}),
    ]
]
FAST = settings(max_examples=400, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes, tcp: bool = False) -> None:
    reply = ENGINE.answer(data, "127.0.0.1", tcp=tcp)
    if reply is None:
        return
    assert isinstance(reply, bytes)
    assert reply[:2] == data[:2] and reply[2] & 0x80  # same id, QR set
    if not tcp:
        assert len(reply) <= 1232
    try:
        dns.message.from_wire(reply)
    except dns.message.ShortHeader:
        raise
    except Exception:
        # A FORMERR reply to garbage may echo nothing parseable beyond the header.
        assert reply[3] & 0x0F == dns.rcode.FORMERR


@FAST
@given(st.binary(max_size=600), st.booleans())
def test_random_bytes_never_crash(data, tcp):
    check(data, tcp)


@FAST
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=6), st.booleans())
def test_mutated_queries_never_crash(seed, flips, tcp):
    data = bytearray(seed)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    check(bytes(data), tcp)


@FAST
@given(st.sampled_from(SEEDS), st.integers(0, 80), st.binary(max_size=40))
def test_truncated_or_extended_queries_never_crash(seed, cut, tail):
    check(seed[: max(0, len(seed) - cut)] + tail)
