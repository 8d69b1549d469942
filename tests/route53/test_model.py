"""Route 53's rules in model.py, run against the in-memory store (no HTTP, no DNS)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gureum.aws.errors import AwsError
from gureum.services.route53 import model, names, records
from gureum.store.memory import MemoryStore

ACCOUNT = "000000000000"


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def zone(store):
    out = store.run_sync(lambda txn: model.create_zone(txn, ACCOUNT, "Example.COM", "ref", None, False, None, None))
    return model.bare_id(out["zone"]["Id"])


@contextmanager
def raises(code: str) -> Iterator[pytest.ExceptionInfo[AwsError]]:
    """pytest.raises for the modeled AWS error `code`."""
    with pytest.raises(AwsError) as e:
        yield e
    assert e.value.code == code


def batch(*changes):
    return {"Changes": [{"Action": action, "ResourceRecordSet": rrs} for action, rrs in changes]}


def a(name, *values, ttl=300, rtype="A"):
    return {"Name": name, "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": v} for v in values]}


def apply(store, zone, *changes):
    return store.run_sync(lambda txn: model.change_record_sets(txn, ACCOUNT, zone, batch(*changes)))


def messages(store, zone, *changes) -> list[str]:
    with raises("InvalidChangeBatch") as e:
        apply(store, zone, *changes)
    return e.value.fields["messages"]


def test_zone_name_is_lowercased_with_a_trailing_dot(store, zone):
    z = store.run_sync(lambda txn: model.get_zone(txn, ACCOUNT, zone))
    assert z["Name"] == "example.com." and len(zone) == 21 and zone.startswith("Z")


def test_every_problem_in_a_batch_is_reported(store, zone):
    apply(store, zone, ("CREATE", a("x.example.com", "192.0.2.1")))
    got = messages(store, zone, ("CREATE", a("x.example.com", "192.0.2.1")), ("DELETE", a("y.example.com", "192.0.2.1")))
    assert got == [
        "Tried to create resource record set [name='x.example.com.', type='A'] but it already exists",
        "Tried to delete resource record set [name='y.example.com.', type='A'] but it was not found",
    ]


def test_set_identifier_appears_in_messages(store, zone):
    rrs = a("w.example.com", "192.0.2.1") | {"SetIdentifier": "one", "Weight": 10}
    apply(store, zone, ("CREATE", rrs))
    assert messages(store, zone, ("CREATE", rrs)) == [
        "Tried to create resource record set [name='w.example.com.', type='A', set-identifier='one'] but it already exists"]


def test_deleting_twice_in_one_batch_fails(store, zone):
    apply(store, zone, ("CREATE", a("x.example.com", "192.0.2.1")))
    got = messages(store, zone, ("DELETE", a("x.example.com", "192.0.2.1")), ("DELETE", a("x.example.com", "192.0.2.1")))
    assert got == ["Tried to delete resource record set [name='x.example.com.', type='A'] but it was not found"]


def test_upsert_replaces_and_delete_needs_exact_values(store, zone):
    apply(store, zone, ("UPSERT", a("x.example.com", "192.0.2.1", ttl=60)))
    apply(store, zone, ("UPSERT", a("x.example.com", "192.0.2.2", ttl=60)))
    assert messages(store, zone, ("DELETE", a("x.example.com", "192.0.2.2", ttl=61)))[0].endswith("but the values provided do not match the current values")
    apply(store, zone, ("DELETE", a("X.Example.com.", "192.0.2.2", ttl=60)))


def test_wildcards_and_escapes_are_spelled_like_route53(store, zone):
    apply(store, zone, ("CREATE", a("*.example.com", "192.0.2.1")), ("CREATE", a("\\052.sub.example.com", "192.0.2.2")))
    docs = store.run_sync(lambda txn: model.zone_records(txn, ACCOUNT, zone))
    assert {"\\052.example.com.", "\\052.sub.example.com."} <= {d["Name"] for d in docs}
    assert names.normalize("A\\040b.Example.com") == "a\\040b.example.com."


def test_apex_soa_and_ns_cannot_be_deleted_but_can_be_upserted(store, zone):
    docs = store.run_sync(lambda txn: model.zone_records(txn, ACCOUNT, zone))
    soa = next(d for d in docs if d["Type"] == "SOA")
    ns = next(d for d in docs if d["Type"] == "NS")
    assert messages(store, zone, ("DELETE", soa)) == ["A HostedZone must contain exactly one SOA record."]
    assert messages(store, zone, ("DELETE", ns)) == ["A HostedZone must contain at least one NS record for the zone itself."]
    apply(store, zone, ("UPSERT", dict(soa, TTL=60)))


def test_limits_per_batch_and_per_record(store, zone):
    many = [f"192.0.{i // 256}.{i % 256}" for i in range(401)]
    assert messages(store, zone, ("CREATE", a("big.example.com", *many)))[0].startswith("Number of records in the RRSet (401) exceeds the limit of 400")
    with raises("InvalidChangeBatch") as e:
        apply(store, zone, *[("UPSERT", a(f"h{i}.example.com", "192.0.2.1", "192.0.2.2")) for i in range(251)])
    assert "exceeds the limit of 1000" in e.value.message
    with raises("InvalidChangeBatch") as e:
        apply(store, zone, *[("CREATE", a(f"t{i}.example.com", '"' + "x" * 250 + '"', rtype="TXT")) for i in range(130)])
    assert "exceeds the limit of 32000" in e.value.message


def test_values_are_checked_per_type():
    for rtype, value in [("A", "256.1.1.1"), ("AAAA", "2001:db8::zz"), ("MX", "mail.example.com"), ("SRV", "1 2 host"),
                         ("TXT", '"' + "x" * 256 + '"'), ("CAA", "0 issue"), ("DS", "1 2 3"), ("CNAME", "a..b")]:
        with pytest.raises(records.BadValue):
            records.parse_value(rtype, value)
    assert records.parse_value("TXT", '"' + "x" * 255 + '" "more"').strings[1] == b"more"


def test_routing_policies_need_a_set_identifier(store, zone):
    with raises("InvalidInput") as e:
        apply(store, zone, ("CREATE", a("w.example.com", "192.0.2.1") | {"Weight": 1}))
    assert e.value.message == "Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=w.example.com, Type=A, SetIdentifier=null]"


def test_simple_and_policy_sets_cannot_mix(store, zone):
    apply(store, zone, ("CREATE", a("m.example.com", "192.0.2.1")))
    got = messages(store, zone, ("CREATE", a("m.example.com", "192.0.2.2") | {"SetIdentifier": "x", "Weight": 1}))
    assert got == ["RRSet with DNS name m.example.com., type A cannot be created as a non-weighted set exists with the same name and type."]


def test_change_publishes_one_event_with_the_delta(store, zone):
    seen = []
    store.subscribe(model.EVENT_TOPIC, seen.append)
    info = apply(store, zone, ("CREATE", a("e.example.com", "192.0.2.1")))
    events = [e for e in store.log if e.topic == model.EVENT_TOPIC and e.data.get("kind") == "records"]
    assert len(events) == 1 and events[0].data["change_id"] == model.bare_id(info["Id"])
    assert events[0].data["creates"][0]["Name"] == "e.example.com." and events[0].data["deletes"] == []
    assert events[0].data["version"] == 1


def test_hosted_zone_not_empty_and_private_zone_rules(store, zone):
    apply(store, zone, ("CREATE", a("x.example.com", "192.0.2.1")))
    with raises("HostedZoneNotEmpty"):
        store.run_sync(lambda txn: model.delete_zone(txn, ACCOUNT, zone))
    with raises("InvalidInput"):
        store.run_sync(lambda txn: model.create_zone(txn, ACCOUNT, "p.test", "r2", None, True, None, None))


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

_label = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=0, max_size=70)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.lists(_label, max_size=5).map(".".join), rtype=st.sampled_from(records.TYPES), value=st.text(max_size=80),
       ttl=st.integers(0, 2**31 - 1))
def test_any_change_is_applied_or_rejected_with_an_aws_error(store, zone, name, rtype, value, ttl):
    try:
        apply(store, zone, ("UPSERT", {"Name": name + ".example.com", "Type": rtype, "TTL": ttl, "ResourceRecords": [{"Value": value}]}))
    except AwsError:
        pass


def test_a_vpc_sees_one_private_zone_per_name(store):
    vpc = {"VPCId": "vpc-1", "VPCRegion": "us-east-1"}
    store.run_sync(lambda txn: model.create_zone(txn, ACCOUNT, "corp.test", "p1", None, True, vpc, None))
    with raises("ConflictingDomainExists"):
        store.run_sync(lambda txn: model.create_zone(txn, ACCOUNT, "corp.test", "p2", None, True, vpc, None))
    other = store.run_sync(lambda txn: model.create_zone(txn, ACCOUNT, "corp.test", "p3", None, True, {"VPCId": "vpc-2", "VPCRegion": "us-east-1"}, None))
    with raises("ConflictingDomainExists"):
        store.run_sync(lambda txn: model.associate_vpc(txn, ACCOUNT, other["zone"]["Id"], vpc, None))
