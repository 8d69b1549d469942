"""What `make fuzz` found in the DNS engine, kept as regressions."""

from __future__ import annotations

import dns.message
import dns.rcode

from gureum.services.route53.engine import Engine

from .zones import example_index


def test_a_query_name_longer_than_255_octets_gets_formerr_not_an_unparseable_echo() -> None:
    # 200 one-letter labels then example.com: 414 octets on the wire, which no DNS name may be.
    query = dns.message.make_query("www.example.com", "A").to_wire()
    long_name = b"\x01a" * 200 + b"\x07example\x03com\x00"
    data = query[:12] + long_name + query[12 + len(b"\x03www\x07example\x03com\x00") :]
    reply = Engine(example_index()).answer(data, "127.0.0.1")
    assert isinstance(reply, bytes)
    msg = dns.message.from_wire(reply)  # raised NameTooLong before: the name was echoed back
    assert msg.rcode() == dns.rcode.FORMERR
