"""The routing-policy engine (sans-IO): decisions as the Route 53 Developer Guide describes
them, statistics over thousands of engine decisions, and the answer cache per decision."""

from __future__ import annotations

import random
from collections import Counter

import dns.edns
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from gureum.services.route53 import geo, routing
from gureum.services.route53.engine import Engine
from gureum.services.route53.index import ZoneIndex

from .zones import make_zone, rrset

ORIGIN = "example.com"
# Addresses the bundled geoip2fast database places (checked in test_geo_database_places_known_ranges).
GB, US, JP, BR, ZA = "81.2.69.1", "8.8.8.1", "133.1.0.1", "200.160.0.1", "41.0.0.1"


@pytest.fixture(scope="module")
def geodb() -> geo.GeoDB:
    return geo.open_db(None)


def index_of(*docs: dict, geodb: geo.GeoDB | None = None) -> ZoneIndex:
    index = ZoneIndex()
    if geodb is not None:
        index.geodb = geodb
    index.put_zone(make_zone("ZEX", ORIGIN, list(docs)))
    return index


def values(index: ZoneIndex, name: str, ip: str | None = None, rtype: str = "A") -> list[str]:
    result = index.lookup(dns.name.from_text(name), dns.rdatatype.from_text(rtype), None, routing.Query(index, ip))
    return sorted(rd.to_text() for rr in result.answer for rd in rr)


def weighted(sid: str, value: str, weight: int, **kw) -> dict:
    return rrset("w.example.com", "A", value, SetIdentifier=sid, Weight=weight, **kw)


# --- weighted -------------------------------------------------------------------------------------
def test_weighted_shares_follow_weights_chi_square():
    random.seed(20240601)
    index = index_of(weighted("a", "192.0.2.1", 10), weighted("b", "192.0.2.2", 30),
                     weighted("c", "192.0.2.3", 60), weighted("z", "192.0.2.9", 0))
    n = 6000
    counts = Counter(values(index, "w.example.com")[0] for _ in range(n))
    assert "192.0.2.9" not in counts  # weight 0 while non-zero ones are healthy
    expected = {"192.0.2.1": 0.1 * n, "192.0.2.2": 0.3 * n, "192.0.2.3": 0.6 * n}
    chi2 = sum((counts[k] - e) ** 2 / e for k, e in expected.items())
    assert chi2 < 13.82  # df = 2, p = 0.001


def test_weighted_all_zero_weights_share_equally():
    random.seed(7)
    index = index_of(*(weighted(s, f"192.0.2.{i}", 0) for i, s in enumerate("abcd", 1)))
    n = 4000
    counts = Counter(values(index, "w.example.com")[0] for _ in range(n))
    chi2 = sum((counts[f"192.0.2.{i}"] - n / 4) ** 2 / (n / 4) for i in range(1, 5))
    assert chi2 < 16.27  # df = 3, p = 0.001


def test_weighted_zero_weight_records_only_when_all_nonzero_are_unhealthy():
    index = index_of(weighted("a", "192.0.2.1", 5, HealthCheckId="hc-a"), weighted("b", "192.0.2.2", 5, HealthCheckId="hc-b"),
                     weighted("z", "192.0.2.9", 0))
    index.set_health({"hc-a": False})
    assert {values(index, "w.example.com")[0] for _ in range(200)} == {"192.0.2.2"}
    index.set_health({"hc-b": False})
    assert {values(index, "w.example.com")[0] for _ in range(50)} == {"192.0.2.9"}


def test_weighted_all_unhealthy_counts_all_as_healthy():
    index = index_of(weighted("a", "192.0.2.1", 5, HealthCheckId="hc-a"), weighted("b", "192.0.2.2", 5, HealthCheckId="hc-b"))
    index.set_health({"hc-a": False, "hc-b": False})
    assert {values(index, "w.example.com")[0] for _ in range(300)} == {"192.0.2.1", "192.0.2.2"}


# --- failover -------------------------------------------------------------------------------------
def failover_index(secondary_check: bool = True) -> ZoneIndex:
    extra = {"HealthCheckId": "hc-s"} if secondary_check else {}
    return index_of(rrset("f.example.com", "A", "192.0.2.1", SetIdentifier="p", Failover="PRIMARY", HealthCheckId="hc-p"),
                    rrset("f.example.com", "A", "192.0.2.2", SetIdentifier="s", Failover="SECONDARY", **extra))


def test_failover_primary_secondary_and_both_unhealthy():
    index = failover_index()
    assert values(index, "f.example.com") == ["192.0.2.1"]
    index.set_health({"hc-p": False})
    assert values(index, "f.example.com") == ["192.0.2.2"]
    index.set_health({"hc-s": False})
    assert values(index, "f.example.com") == ["192.0.2.1"]  # both unhealthy: the primary
    index.set_health({"hc-p": True})
    assert values(index, "f.example.com") == ["192.0.2.1"]


def test_failover_secondary_without_health_check_serves_when_primary_is_down():
    index = failover_index(secondary_check=False)
    index.set_health({"hc-p": False})
    assert values(index, "f.example.com") == ["192.0.2.2"]


# --- geolocation ------------------------------------------------------------------------------------
def test_geo_database_places_known_ranges(geodb):
    assert geodb.locate(GB).country == "GB" and geodb.locate(GB).continent == "EU"
    assert geodb.locate(US).country == "US" and geodb.locate(US).continent == "NA"
    assert geodb.locate(JP).country == "JP" and geodb.locate(BR).continent == "SA" and geodb.locate(ZA).continent == "AF"
    assert geodb.locate("127.0.0.1") == geo.UNKNOWN


def geo_docs(default: bool = True) -> list[dict]:
    docs = [
        rrset("g.example.com", "A", "192.0.2.10", SetIdentifier="gb", GeoLocation={"CountryCode": "GB"}, HealthCheckId="hc-gb"),
        rrset("g.example.com", "A", "192.0.2.11", SetIdentifier="eu", GeoLocation={"ContinentCode": "EU"}, HealthCheckId="hc-eu"),
        rrset("g.example.com", "A", "192.0.2.12", SetIdentifier="na", GeoLocation={"ContinentCode": "NA"}),
        rrset("g.example.com", "A", "192.0.2.13", SetIdentifier="us-ca", GeoLocation={"CountryCode": "US", "SubdivisionCode": "CA"}),
    ]
    if default:
        docs.append(rrset("g.example.com", "A", "192.0.2.99", SetIdentifier="any", GeoLocation={"CountryCode": "*"}, HealthCheckId="hc-any"))
    return docs


def test_geolocation_smallest_matching_region_wins(geodb):
    index = index_of(*geo_docs(), geodb=geodb)
    assert values(index, "g.example.com", GB) == ["192.0.2.10"]  # country beats continent
    assert values(index, "g.example.com", US) == ["192.0.2.12"]  # continent (no US state known)
    assert values(index, "g.example.com", JP) == ["192.0.2.99"]  # the default
    assert values(index, "g.example.com", None) == ["192.0.2.99"]  # unplaced client


def test_geolocation_subdivision_from_a_city_database():
    class Fixed(geo.GeoDB):
        def locate(self, ip):
            return geo.Location("NA", "US", "CA")

    index = index_of(*geo_docs(), geodb=Fixed())
    assert values(index, "g.example.com", "198.51.100.1") == ["192.0.2.13"]


def test_geolocation_unhealthy_widens_to_continent_then_default(geodb):
    index = index_of(*geo_docs(), geodb=geodb)
    index.set_health({"hc-gb": False})
    assert values(index, "g.example.com", GB) == ["192.0.2.11"]
    index.set_health({"hc-eu": False})
    assert values(index, "g.example.com", GB) == ["192.0.2.99"]
    index.set_health({"hc-any": False})
    assert values(index, "g.example.com", GB) == ["192.0.2.10"]  # all unhealthy: the smallest


def test_geolocation_without_match_or_default_is_nodata(geodb):
    index = index_of(*geo_docs(default=False), geodb=geodb)
    result = index.lookup(dns.name.from_text("g.example.com"), dns.rdatatype.A, None, routing.Query(index, JP))
    assert result.rcode == dns.rcode.NOERROR and not result.answer
    assert result.authority and result.authority[0].rdtype == dns.rdatatype.SOA


# --- latency, geoproximity -----------------------------------------------------------------------------
def test_latency_picks_the_nearest_region_then_the_next_healthy(geodb):
    index = index_of(*(rrset("l.example.com", "A", v, SetIdentifier=r, Region=r, HealthCheckId=f"hc-{r}")
                       for r, v in (("eu-west-2", "192.0.2.1"), ("us-east-1", "192.0.2.2"), ("ap-northeast-1", "192.0.2.3"),
                                    ("sa-east-1", "192.0.2.4"))), geodb=geodb)
    assert values(index, "l.example.com", GB) == ["192.0.2.1"]
    assert values(index, "l.example.com", US) == ["192.0.2.2"]
    assert values(index, "l.example.com", JP) == ["192.0.2.3"]
    assert values(index, "l.example.com", BR) == ["192.0.2.4"]
    index.set_health({"hc-eu-west-2": False})
    assert values(index, "l.example.com", GB) == ["192.0.2.2"]  # next lowest latency from Britain


def test_geoproximity_bias_formulas(geodb):
    def idx(bias_eu: int, bias_us: int) -> ZoneIndex:
        return index_of(
            rrset("p.example.com", "A", "192.0.2.1", SetIdentifier="us", GeoProximityLocation={"AWSRegion": "us-east-1", "Bias": bias_us}),
            rrset("p.example.com", "A", "192.0.2.2", SetIdentifier="eu", GeoProximityLocation={"AWSRegion": "eu-west-1", "Bias": bias_eu}),
            geodb=geodb)

    assert values(idx(0, 0), "p.example.com", US) == ["192.0.2.1"]
    assert values(idx(0, 0), "p.example.com", GB) == ["192.0.2.2"]
    # d_us(US) ≈ 1,900 km, d_eu(US) ≈ 6,900 km: +80 → 6,900 × 0.2 ≈ 1,380 < 1,900: Europe wins.
    assert values(idx(80, 0), "p.example.com", US) == ["192.0.2.2"]
    # −60 on us-east-1 → 1,900 ÷ 0.4 ≈ 4,750, still below 6,900: the US keeps it.
    assert values(idx(0, -60), "p.example.com", US) == ["192.0.2.1"]
    # −80 → 1,900 ÷ 0.2 ≈ 9,500: Europe.
    assert values(idx(0, -80), "p.example.com", US) == ["192.0.2.2"]


def test_geoproximity_coordinates():
    gp = {"Coordinates": {"Latitude": "51.50", "Longitude": "-0.12"}}
    assert routing.proximity_coords(gp) == (51.5, -0.12)
    assert routing.proximity_coords({"LocalZoneGroup": "us-east-1-bos-1"}) == geo.REGION_COORDS["us-east-1"]


# --- multivalue, CIDR ---------------------------------------------------------------------------------
def test_multivalue_up_to_eight_healthy_at_random():
    random.seed(3)
    docs = [rrset("m.example.com", "A", f"192.0.2.{i}", SetIdentifier=f"m{i}", MultiValueAnswer=True, HealthCheckId=f"hc{i}")
            for i in range(1, 13)]
    index = index_of(*docs)
    seen = set()
    for _ in range(100):
        vs = values(index, "m.example.com")
        assert len(vs) == 8
        seen.update(vs)
    assert len(seen) == 12  # different queries get different subsets
    index.set_health({f"hc{i}": False for i in range(1, 10)})
    assert values(index, "m.example.com") == ["192.0.2.10", "192.0.2.11", "192.0.2.12"]
    index.set_health({f"hc{i}": False for i in range(1, 13)})
    assert len(values(index, "m.example.com")) == 8  # all unhealthy: up to 8 unhealthy ones


def test_cidr_longest_match_and_default():
    index = index_of(
        rrset("c.example.com", "A", "192.0.2.1", SetIdentifier="wide", CidrRoutingConfig={"CollectionId": "col", "LocationName": "wide"}),
        rrset("c.example.com", "A", "192.0.2.2", SetIdentifier="narrow", CidrRoutingConfig={"CollectionId": "col", "LocationName": "narrow"},
              HealthCheckId="hc-n"),
        rrset("c.example.com", "A", "192.0.2.3", SetIdentifier="dflt", CidrRoutingConfig={"CollectionId": "col", "LocationName": "*"}))
    index.set_cidr_collection("col", {"wide": ["10.0.0.0/8", "2001:db8::/32"], "narrow": ["10.1.2.0/24"]})
    assert values(index, "c.example.com", "10.1.2.3") == ["192.0.2.2"]
    assert values(index, "c.example.com", "10.9.9.9") == ["192.0.2.1"]
    assert values(index, "c.example.com", "2001:db8::5") == ["192.0.2.1"]
    assert values(index, "c.example.com", "172.16.0.1") == ["192.0.2.3"]
    index.set_health({"hc-n": False})
    assert values(index, "c.example.com", "10.1.2.3") == ["192.0.2.3"]  # unhealthy: the `*` location


# --- aliases ---------------------------------------------------------------------------------------------
def test_alias_evaluate_target_health_follows_the_target_group():
    index = index_of(
        weighted("a", "192.0.2.1", 1, HealthCheckId="hc-a"), weighted("b", "192.0.2.2", 1, HealthCheckId="hc-b"),
        rrset("svc.example.com", "A", SetIdentifier="p", Failover="PRIMARY",
              AliasTarget={"HostedZoneId": "ZEX", "DNSName": "w.example.com.", "EvaluateTargetHealth": True}),
        rrset("svc.example.com", "A", "192.0.2.50", SetIdentifier="s", Failover="SECONDARY"))
    index.set_health({"hc-a": False})
    assert values(index, "svc.example.com") == ["192.0.2.2"]  # the alias answers with the target's choice
    index.set_health({"hc-b": False})
    assert values(index, "svc.example.com") == ["192.0.2.50"]  # no healthy member: the alias is unhealthy


# --- the engine: ECS and caching per decision ------------------------------------------------------------
def ask(engine: Engine, name: str, client: str = "127.0.0.1", ecs: str | None = None) -> dns.message.Message:
    options = [dns.edns.ECSOption(ecs.split("/")[0], int(ecs.split("/")[1]))] if ecs else []
    query = dns.message.make_query(name, "A", use_edns=0 if ecs else False, options=options)
    return dns.message.from_wire(engine.answer(query.to_wire(), client))


def test_engine_answers_geolocation_from_ecs_with_scope(geodb):
    engine = Engine(index_of(*geo_docs(), geodb=geodb))
    for _ in range(2):  # the second round comes from the cache
        r = ask(engine, "g.example.com", ecs="81.2.69.0/24")
        assert [rd.to_text() for rd in r.answer[0]] == ["192.0.2.10"]
        (opt,) = [o for o in r.options if o.otype == dns.edns.ECS]
        assert opt.srclen == 24 and opt.scopelen == 24
        r = ask(engine, "g.example.com", ecs="8.8.8.0/24")
        assert [rd.to_text() for rd in r.answer[0]] == ["192.0.2.12"]
    r = ask(engine, "g.example.com", client=GB)  # no ECS: the source address
    assert [rd.to_text() for rd in r.answer[0]] == ["192.0.2.10"]


def test_engine_ecs_scope_is_zero_when_location_did_not_matter():
    engine = Engine(index_of(rrset("s.example.com", "A", "192.0.2.1")))
    r = ask(engine, "s.example.com", ecs="81.2.69.0/24")
    (opt,) = [o for o in r.options if o.otype == dns.edns.ECS]
    assert opt.scopelen == 0


def test_engine_caches_weighted_answers_per_decision_not_per_query():
    random.seed(11)
    engine = Engine(index_of(weighted("a", "192.0.2.1", 1), weighted("b", "192.0.2.2", 3)))
    n = 4000
    counts = Counter(ask(engine, "w.example.com").answer[0][0].to_text() for _ in range(n))
    assert len(engine._cache) <= 3  # the question's slot and one response per decision
    chi2 = (counts["192.0.2.1"] - n / 4) ** 2 / (n / 4) + (counts["192.0.2.2"] - 3 * n / 4) ** 2 / (3 * n / 4)
    assert chi2 < 10.83  # df = 1, p = 0.001


def test_engine_follows_health_changes_without_stale_cache():
    engine = Engine(failover_index())
    assert ask(engine, "f.example.com").answer[0][0].to_text() == "192.0.2.1"
    engine.index.set_health({"hc-p": False})
    assert ask(engine, "f.example.com").answer[0][0].to_text() == "192.0.2.2"
    engine.index.set_health({"hc-p": True})
    assert ask(engine, "f.example.com").answer[0][0].to_text() == "192.0.2.1"
