"""The zone index at scale (issue 28): loading n zones and changing records cost what they
touch, not a pass over every zone each time; which zone serves a name stays AWS's choice."""

from __future__ import annotations

from gureum.services.route53 import names
from gureum.services.route53.index import Zone, ZoneIndex

from .zones import defaults, make_zone, rrset


class CountingZone(Zone):
    """A Zone that counts how often the index reads its age (`order`)."""

    reads = 0

    @property  # type: ignore[override]
    def order(self) -> int:
        CountingZone.reads += 1
        return self._order

    @order.setter
    def order(self, value: int) -> None:
        self._order = value


def counting_zone(zone_id: str, origin: str, order: int, **kw: object) -> Zone:
    zone = CountingZone(zone_id, names.parse(origin), order=order, **kw)  # type: ignore[arg-type]
    for doc in [*defaults(origin), rrset(f"www.{origin}", "A", "192.0.2.1")]:
        zone.put(doc)
    return zone


def test_loading_n_zones_reads_each_zones_age_a_bounded_number_of_times() -> None:
    n = 400
    index = ZoneIndex()
    CountingZone.reads = 0
    for i in range(n):
        index.put_zone(counting_zone(f"Z{i}", f"z{i}.example", i + 1))
    # a re-sort of every zone per added zone reads ages n²/2 times (80,000 here)
    assert CountingZone.reads <= 4 * n
    assert len(index.public) == n
    assert index.lookup(*_q("www.z399.example")).answer


def test_a_record_change_in_one_zone_reads_no_other_zones_age() -> None:
    index = ZoneIndex()
    for i in range(200):
        index.put_zone(counting_zone(f"Z{i}", f"z{i}.example", i + 1))
    CountingZone.reads = 0
    generation = index.generation
    index.apply("Z7", [], [rrset("new.z7.example", "A", "192.0.2.7")])
    assert CountingZone.reads == 0
    assert index.generation > generation  # cached answers are dropped
    assert index.lookup(*_q("new.z7.example")).answer


def test_the_oldest_public_zone_of_a_name_serves_it_and_the_next_oldest_after_its_deletion() -> None:
    index = ZoneIndex()
    index.put_zone(make_zone("ZNEW", "dup.example", [rrset("a.dup.example", "A", "192.0.2.2")], order=5))
    index.put_zone(make_zone("ZOLD", "dup.example", [rrset("a.dup.example", "A", "192.0.2.1")], order=3))
    index.put_zone(make_zone("ZMID", "dup.example", [rrset("a.dup.example", "A", "192.0.2.3")], order=4))
    assert index.public[names.parse("dup.example")].zone_id == "ZOLD"
    index.drop_zone("ZOLD")
    assert index.public[names.parse("dup.example")].zone_id == "ZMID"
    index.drop_zone("ZMID")
    index.drop_zone("ZNEW")
    assert names.parse("dup.example") not in index.public
    assert index.lookup(*_q("a.dup.example")).rcode == 5  # REFUSED: no zone serves it


def test_a_replaced_zone_keeps_serving_its_name_with_its_new_records() -> None:
    index = ZoneIndex()
    index.put_zone(make_zone("ZA", "r.example", [rrset("x.r.example", "A", "192.0.2.1")], order=1, version=1))
    index.put_zone(make_zone("ZB", "r.example", [], order=2, version=1))
    index.put_zone(make_zone("ZA", "r.example", [rrset("x.r.example", "A", "192.0.2.9")], order=1, version=2))
    zone = index.public[names.parse("r.example")]
    assert (zone.zone_id, zone.version) == ("ZA", 2)
    assert "192.0.2.9" in index.lookup(*_q("x.r.example")).answer[0].to_text()


def test_private_zones_are_counted_in_and_out() -> None:
    index = ZoneIndex()
    index.put_zone(make_zone("ZPUB", "p.example", [], order=1))
    assert not index.has_private
    index.put_zone(make_zone("ZPRIV", "p.example", [], order=2, private=True, vpcs=("vpc-1",)))
    assert index.has_private
    assert index.public[names.parse("p.example")].zone_id == "ZPUB"
    assert index.view(frozenset({"vpc-1"}))[names.parse("p.example")].zone_id == "ZPRIV"
    index.drop_zone("ZPRIV")
    assert not index.has_private


def _q(name: str, rtype: str = "A") -> tuple:
    import dns.name
    import dns.rdatatype

    return dns.name.from_text(name), dns.rdatatype.from_text(rtype)


class RebuildCountingZone(Zone):
    """A Zone that counts its rebuilds."""

    rebuilds = 0

    def rebuild(self, deltas: bool = True) -> tuple[list, list]:
        RebuildCountingZone.rebuilds += 1
        return super().rebuild(deltas)


def _zone_with(zone_id: str, origin: str, docs: list[dict], order: int) -> Zone:
    zone = RebuildCountingZone(zone_id, names.parse(origin), order=order)
    for doc in [*defaults(origin), *docs]:
        zone.put(doc)
    return zone


ELB_ZONE = "Z35SXDOTRQ7X7K"


def test_refreshing_external_aliases_rebuilds_only_the_zones_that_have_them() -> None:
    addresses = {"lb-1.elb.example.": ["192.0.2.10"]}
    index = ZoneIndex()
    for i in range(100):
        index.put_zone(_zone_with(f"Z{i}", f"z{i}.example", [rrset(f"www.z{i}.example", "A", "192.0.2.1")], i + 1))
    alias = {"Name": "app.z7.example.", "Type": "A",
             "AliasTarget": {"HostedZoneId": ELB_ZONE, "DNSName": "lb-1.elb.example.", "EvaluateTargetHealth": False}}
    index.apply("Z7", [], [alias])
    index.set_external([ELB_ZONE], lambda name: addresses.get(name))
    assert "192.0.2.10" in index.lookup(*_q("app.z7.example")).answer[0].to_text()
    RebuildCountingZone.rebuilds = 0
    addresses["lb-1.elb.example."] = ["192.0.2.11"]
    index.refresh_external()
    assert RebuildCountingZone.rebuilds == 1  # z7 only: the other 99 zones alias nothing outside
    assert "192.0.2.11" in index.lookup(*_q("app.z7.example")).answer[0].to_text()
    index.apply("Z7", [alias], [])
    assert not index.zones["Z7"].aliasing


def test_the_start_up_load_is_kept_out_of_the_cyclic_collectors_walks() -> None:
    import gc

    from gureum.services.route53 import server
    from gureum.services.route53.engine import Engine

    srv = server.DnsServer(Engine())
    snapshot = [({"Id": f"/hostedzone/ZGC{i}", "Name": f"gc{i}.example.", "Order": i + 1},
                 [*defaults(f"gc{i}.example"), rrset(f"www.gc{i}.example", "A", "192.0.2.1")]) for i in range(20)]
    try:
        srv.load(snapshot, "2026-01-01T00:00:00.000Z")
        zone = srv.index.zones["ZGC7"]
        walked = gc.get_objects()  # what a full collection walks (the frozen generation is not)
        assert not any(o is zone for o in walked)
        assert not any(o is zone.groups for o in walked)
        assert srv.index.lookup(*_q("www.gc7.example")).answer
    finally:
        gc.unfreeze()


def test_loading_a_zone_builds_no_rrset_of_a_plain_record_set_until_it_is_read() -> None:
    """Start-up at 1M records: plain record sets stay their stored docs (Node) until a query,
    AXFR or IXFR needs the RRset; what is answered is what an eager build answered."""
    import dns.rrset

    index = ZoneIndex()
    docs = [rrset(f"h{i}.lazy.example", "A", f"192.0.2.{i}") for i in range(50)]
    docs.append(rrset("mx.lazy.example", "MX", "10 mail.lazy.example."))
    index.put_zone(make_zone("ZL", "lazy.example", docs))
    zone = index.zones["ZL"]
    held = [zone.nodes[names.parse(f"h{i}.lazy.example")].held(1) for i in range(50)]
    assert not any(isinstance(v, dns.rrset.RRset) for v in held)  # not built at load
    apex = zone.nodes[names.parse("lazy.example")]
    assert not isinstance(apex.held(2), dns.rrset.RRset)  # nor the apex NS (its 4 names rendered per zone)
    assert [rr.rdtype for rr in index.lookup(*_q("lazy.example", "NS")).answer] == [2]
    answer = index.lookup(*_q("h7.lazy.example")).answer
    assert [rr.to_text() for rr in answer] == ["h7.lazy.example. 300 IN A 192.0.2.7"]
    assert zone.nodes[names.parse("h7.lazy.example")].held(1).rrset is answer[0]  # kept by its PlainDoc
    assert answer[0] is index.lookup(*_q("h7.lazy.example")).answer[0]  # built once, kept
    axfr = {rr.to_text() for rr in zone.rrsets()}  # AXFR builds the rest
    assert "h49.lazy.example. 300 IN A 192.0.2.49" in axfr
    assert "mx.lazy.example. 300 IN MX 10 mail.lazy.example." in axfr


def test_a_change_to_a_plain_record_set_still_records_its_ixfr_delta() -> None:
    index = ZoneIndex()
    old = rrset("a.delta.example", "A", "192.0.2.1")
    index.put_zone(make_zone("ZD", "delta.example", [old], version=1))
    zone = index.zones["ZD"]
    soa = next(d for d in defaults("delta.example") if d["Type"] == "SOA")
    bumped = dict(soa, ResourceRecords=[{"Value": soa["ResourceRecords"][0]["Value"].replace(" 1 ", " 2 ", 1)}])
    new = rrset("a.delta.example", "A", "192.0.2.2")
    index.apply("ZD", [old, soa], [new, bumped], version=2)
    delta = zone.history[-1]
    assert [rr.to_text() for rr in delta.removed] == ["a.delta.example. 300 IN A 192.0.2.1"]
    assert [rr.to_text() for rr in delta.added] == ["a.delta.example. 300 IN A 192.0.2.2"]


def test_a_plain_record_set_is_held_compactly_as_the_same_mapping() -> None:
    """index.PlainDoc: what the index keeps of a plain set reads as the stored document."""
    import json

    from gureum.services.route53.index import PlainDoc, compact, stored_form

    doc = json.loads(json.dumps(rrset("h1.compact.example", "TXT", '"a b"', '"c"', ttl=60)))
    held = stored_form(doc)
    assert isinstance(held, PlainDoc)
    assert held == doc and dict(held) == doc and held["ResourceRecords"] == doc["ResourceRecords"]
    assert held.get("SetIdentifier") is None and "AliasTarget" not in held and held.get("TTL") == 60
    # Anything beyond name, type, TTL and values stays the document itself.
    for other in (rrset("w.compact.example", "A", "192.0.2.1", SetIdentifier="a", Weight=1),
                  rrset("h.compact.example", "A", "192.0.2.1", HealthCheckId="hc"),
                  rrset("compact.example", "NS", "ns-1.awsdns-00.com."),
                  rrset("a.compact.example", "A", AliasTarget={"HostedZoneId": "Z1", "DNSName": "b.compact.example.",
                                                                "EvaluateTargetHealth": False})):
        assert compact(other, names.parse(other["Name"])) is other


def test_a_loaded_zone_answers_as_one_built_change_by_change() -> None:
    """Zone.load puts plain sets straight into their nodes: every name answers as through put
    and rebuild, aliases to plain sets and delegations included."""
    import dns.name
    import dns.rdatatype

    from gureum.services.route53.index import stored_form
    from gureum.services.route53.server import zone_from_doc

    origin = "load.example"
    docs = [
        rrset("alias.load.example", "A", AliasTarget={"HostedZoneId": "ZLOAD", "DNSName": "www.load.example.",
                                                      "EvaluateTargetHealth": False}),  # before its target
        *[rrset(f"h{i}.load.example", "A", f"192.0.2.{i}") for i in range(20)],
        rrset("www.load.example", "A", "192.0.2.80", "192.0.2.81"),
        rrset("*.wild.load.example", "TXT", '"w"'),
        rrset("mx.load.example", "MX", "10 mail.load.example."),
        rrset("sub.load.example", "NS", "ns1.sub.load.example."),
        rrset("ns1.sub.load.example", "A", "192.0.2.53"),
        rrset("w.load.example", "A", "192.0.2.90", SetIdentifier="one", Weight=1),
    ]
    by_put = ZoneIndex()
    by_put.put_zone(make_zone("ZLOAD", origin, docs))
    by_load = ZoneIndex()
    by_load.put_zone(zone_from_doc({"Id": "/hostedzone/ZLOAD", "Name": "load.example."},
                                   [stored_form(d) for d in [*defaults(origin), *docs]]))
    assert _same_answers(by_put, by_load, origin) == 8  # alias, h3, www, x.wild TXT, mx MX, w, the apex NS and SOA
    assert by_load.zones["ZLOAD"].cuts == by_put.zones["ZLOAD"].cuts

    # Changes to what load put only in its nodes (Zone.group): replaced, deleted, joined by a
    # second set, aliased to; and an alias whose target is deleted.
    plain = {d["Name"].rstrip("."): d for d in docs if "SetIdentifier" not in d and "AliasTarget" not in d}
    steps = [
        ([plain["h3.load.example"]], [rrset("h3.load.example", "A", "198.51.100.3")]),
        ([plain["h4.load.example"]], []),
        ([], [rrset("to-h5.load.example", "A", AliasTarget={"HostedZoneId": "ZLOAD", "DNSName": "h5.load.example.",
                                                          "EvaluateTargetHealth": False})]),
        ([plain["h5.load.example"]], []),
        ([], [rrset("h6.load.example", "A", "198.51.100.6", SetIdentifier="two", Weight=0)]),
        ([plain["www.load.example"]], [rrset("www.load.example", "A", "198.51.100.80")]),
    ]
    for version, (removed, added) in enumerate(steps, start=2):
        by_put.apply("ZLOAD", removed, added, version=version)
        by_load.apply("ZLOAD", removed, added, version=version)
        _same_answers(by_put, by_load, origin, ["h3", "h4", "h5", "to-h5", "h6", "www", "alias"])
    got = {label: [r.to_text() for r in by_load.lookup(dns.name.from_text(f"{label}.{origin}"), dns.rdatatype.A).answer]
           for label in ("h3", "h4", "to-h5", "alias")}
    assert got == {"h3": ["h3.load.example. 300 IN A 198.51.100.3"], "h4": [], "to-h5": [],
                   "alias": ["alias.load.example. 300 IN A 198.51.100.80"]}
    assert not any(not group for group in by_load.zones["ZLOAD"].groups.values())  # emptied groups go at rebuild


def _same_answers(want_index: ZoneIndex, got_index: ZoneIndex, origin: str,
                  asked: tuple[str, ...] | list[str] = ("alias", "h3", "www", "x.wild", "mx", "x.sub", "ns1.sub", "w",
                                                         "nosuch", "a.b.h3", "")) -> int:
    """Both indexes answer every (name, type) asked alike; returns how many had answers."""
    import dns.name
    import dns.rdatatype

    answered = 0
    for label in asked:
        name = f"{label}.{origin}".lstrip(".")
        for rtype in ("A", "MX", "TXT", "NS", "SOA"):
            q = (dns.name.from_text(name), dns.rdatatype.from_text(rtype))
            want, got = want_index.lookup(*q), got_index.lookup(*q)
            assert (got.rcode, sorted(r.to_text() for r in got.answer), [r.to_text() for r in got.authority]) == \
                (want.rcode, sorted(r.to_text() for r in want.answer), [r.to_text() for r in want.authority]), (name, rtype)
            answered += bool(got.answer)
    return answered


def test_a_pause_of_the_collector_nests_and_restores_what_it_found() -> None:
    import gc

    from gureum import collector

    assert gc.isenabled()
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
