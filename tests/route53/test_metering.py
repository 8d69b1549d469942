"""DNS query metering on the sans-IO engine: every answered query counted once under the unit
Route 53 bills it as (standard, latency, geo, IP-based; alias to an AWS resource free), on the
cached and the uncached paths alike; and health checks' monthly units by type."""

from __future__ import annotations

import dns.message
import dns.rcode
import dns.rrset
import pytest

from gureum.services.route53 import metering
from gureum.services.route53.engine import Engine
from gureum.services.route53.index import ZoneIndex

from .zones import make_zone, rrset

ACCOUNT = "123456789012"


@pytest.fixture
def engine() -> Engine:
    index = ZoneIndex()
    zone = make_zone("ZMETER", "meter.test", [
        rrset("www.meter.test", "A", "192.0.2.1"),
        rrset("lat.meter.test", "A", "192.0.2.2", SetIdentifier="east", Region="us-east-1"),
        rrset("lat.meter.test", "A", "192.0.2.3", SetIdentifier="west", Region="us-west-2"),
        rrset("w.meter.test", "A", "192.0.2.5", SetIdentifier="a", Weight=1),
        rrset("lb.meter.test", "A", AliasTarget={"HostedZoneId": "Z35SXDOTRQ7X7K", "DNSName": "x.elb.amazonaws.com.",
                                                 "EvaluateTargetHealth": False}),
        rrset("inzone.meter.test", "A", AliasTarget={"HostedZoneId": "ZMETER", "DNSName": "www.meter.test.",
                                                     "EvaluateTargetHealth": False}),
    ])
    zone.account = ACCOUNT
    index.put_zone(zone)
    unowned = make_zone("ZROOT", "tld", [rrset("a.tld", "A", "192.0.2.9")])  # the registry's own zones: no owner
    index.put_zone(unowned)
    return Engine(index)


def ask(engine: Engine, name: str, rtype: str = "A", **kw) -> None:
    assert engine.answer(dns.message.make_query(name, rtype, **kw).to_wire()) is not None


def test_each_query_is_counted_once_under_its_unit_on_every_path(engine):
    for _ in range(3):  # the first fills the cache, the others are answered from it
        ask(engine, "www.meter.test")
        ask(engine, "lat.meter.test")
        ask(engine, "w.meter.test")
        ask(engine, "nope.meter.test")  # NXDOMAIN (the fast negative path)
        ask(engine, "lb.meter.test")  # alias to a load balancer: free
        ask(engine, "inzone.meter.test")  # alias to a record of the zone: billed
    ask(engine, "www.meter.test", use_edns=0, payload=4096)
    ask(engine, "a.tld")
    counts = engine.take_metered()
    assert counts == {
        (ACCOUNT, "ZMETER", "DNS-Queries"): 3 * 4 + 1,
        (ACCOUNT, "ZMETER", "LBR-Queries"): 3,
    }
    assert engine.take_metered() == {}  # taken: the next batch starts from zero
    ask(engine, "www.meter.test")
    assert engine.take_metered() == {(ACCOUNT, "ZMETER", "DNS-Queries"): 1}


def test_the_slow_path_counts_too(engine):
    two = dns.message.make_query("www.meter.test", "A")
    two.question.append(two.question[0])
    engine.answer(two.to_wire())  # FORMERR: no zone answered, nothing billed
    assert engine.take_metered() == {}
    odd = dns.message.make_query("WWW.meter.test", "TXT")
    odd.authority.append(dns.rrset.from_text("meter.test.", 60, "IN", "TXT", '"x"'))  # off the fast path's header
    response = dns.message.from_wire(engine.answer(odd.to_wire()))
    assert response.rcode() == dns.rcode.NOERROR and not response.answer  # NODATA from the zone
    assert engine.take_metered() == {(ACCOUNT, "ZMETER", "DNS-Queries"): 1}


@pytest.mark.parametrize(("config", "units"), [
    ({"Type": "HTTP", "RequestInterval": 30}, [("Health-Check-Non-AWS", 1)]),
    ({"Type": "HTTPS", "RequestInterval": 30}, [("Health-Check-Non-AWS", 1), ("Health-Check-Option-Non-AWS", 1)]),
    ({"Type": "HTTPS_STR_MATCH", "RequestInterval": 10, "MeasureLatency": True},
     [("Health-Check-Non-AWS", 1), ("Health-Check-Option-Non-AWS", 4)]),
    ({"Type": "TCP", "RequestInterval": 10}, [("Health-Check-Non-AWS", 1), ("Health-Check-Option-Non-AWS", 1)]),
    ({"Type": "CALCULATED"}, [("Health-Check-AWS", 1)]),
    ({"Type": "CLOUDWATCH_METRIC"}, [("Health-Check-AWS", 1)]),
])
def test_health_checks_are_billed_by_type_and_options(config, units):
    assert metering.health_check_units(config) == units
