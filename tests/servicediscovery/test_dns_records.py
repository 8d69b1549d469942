"""Cloud Map's Route 53 records as AWS documents them (DnsRecord > Type, RegisterInstance >
Attributes): A / AAAA / SRV / CNAME per instance, the SRV target's own A / AAAA records,
validation, TTL updates, health and DiscoverInstances filters — checked through gureum's DNS."""

from __future__ import annotations

import uuid

import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from waiting import wait_for


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def sd(gureum):  # type: ignore[no-untyped-def]
    gureum.wait_service("route53", "running")
    # DiscoverInstances is sent to a `data-` host prefix; a local endpoint has none.
    return gureum.client("servicediscovery", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))


def query(gureum, name: str, rtype: str) -> dns.message.Message:  # type: ignore[no-untyped-def]
    q = dns.message.make_query(name, rtype)
    return dns.query.udp(q, "127.0.0.1", port=gureum.dns_port, timeout=3)


def answers(gureum, name: str, rtype: str) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        r = query(gureum, name, rtype)
    except dns.exception.Timeout:
        return ["<timeout>"]
    want = dns.rdatatype.from_text(rtype)
    return sorted(rr.to_text() for rrset in r.answer for rr in rrset if rr.rdtype == want)


def ttl_of(gureum, name: str, rtype: str) -> int | None:  # type: ignore[no-untyped-def]
    r = query(gureum, name, rtype)
    want = dns.rdatatype.from_text(rtype)
    return next((rrset.ttl for rrset in r.answer if rrset.rdtype == want), None)


def namespace(sd, name: str, private: bool = False) -> str:  # type: ignore[no-untyped-def]
    if private:
        op = sd.create_private_dns_namespace(Name=name, Vpc="vpc-0123456789abcdef0")["OperationId"]
    else:
        op = sd.create_public_dns_namespace(Name=name)["OperationId"]
    return sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]


def error(fn, **kwargs) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def zone_sets(gureum, sd, ns_id: str) -> list[tuple[str, str, str, list[str]]]:  # type: ignore[no-untyped-def]
    zone = sd.get_namespace(Id=ns_id)["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
    sets = gureum.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return sorted((s["Name"], s["Type"], s.get("SetIdentifier", ""), [r["Value"] for r in s.get("ResourceRecords", [])]) for s in sets if s["Type"] not in ("SOA", "NS"))


def test_srv_with_a_records_as_aws_writes_them(gureum, sd):
    name = f"{uniq('srv')}.example"
    ns_id = namespace(sd, name)
    srv = sd.create_service(
        Name="backend", NamespaceId=ns_id,
        DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 30}, {"Type": "SRV", "TTL": 20}]},
    )["Service"]  # fmt: skip
    code, msg = error(sd.register_instance, ServiceId=srv["Id"], InstanceId="test", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.44"})
    assert code == "InvalidInput" and "AWS_INSTANCE_PORT" in msg
    code, msg = error(sd.register_instance, ServiceId=srv["Id"], InstanceId="test", Attributes={"AWS_INSTANCE_PORT": "8080"})
    assert code == "InvalidInput" and "AWS_INSTANCE_IPV4" in msg
    code, _ = error(sd.register_instance, ServiceId=srv["Id"], InstanceId="test", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.44", "AWS_INSTANCE_PORT": "http"})
    assert code == "InvalidInput"
    sd.register_instance(ServiceId=srv["Id"], InstanceId="test", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.44", "AWS_INSTANCE_PORT": "8080"})
    sd.register_instance(ServiceId=srv["Id"], InstanceId="other", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.45", "AWS_INSTANCE_PORT": "9090"})
    base = f"backend.{name}."
    # priority and weight are always 1; the target is <instance id>.<service>.<namespace>
    wait_for("SRV of the service: test on 8080 and other", lambda: answers(gureum, base, "SRV") == [f"1 1 8080 test.{base}", f"1 1 9090 other.{base}"], timeout=30, interval=0.05)
    assert answers(gureum, base, "A") == ["192.0.2.44", "192.0.2.45"]
    assert answers(gureum, f"test.{base}", "A") == ["192.0.2.44"]
    assert answers(gureum, f"other.{base}", "A") == ["192.0.2.45"]
    assert ttl_of(gureum, base, "SRV") == 20 and ttl_of(gureum, base, "A") == 30 and ttl_of(gureum, f"test.{base}", "A") == 20
    assert [s for s in zone_sets(gureum, sd, ns_id) if s[2] == "test"] == [
        (base, "A", "test", ["192.0.2.44"]),
        (base, "SRV", "test", [f"1 1 8080 test.{base}"]),
        (f"test.{base}", "A", "test", ["192.0.2.44"]),
    ]

    # re-registering changes the records in place
    sd.register_instance(ServiceId=srv["Id"], InstanceId="test", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.46", "AWS_INSTANCE_PORT": "8081"})
    wait_for("SRV of the service: test on 8081 (updated) and other", lambda: answers(gureum, base, "SRV") == [f"1 1 8081 test.{base}", f"1 1 9090 other.{base}"], timeout=30, interval=0.05)
    assert answers(gureum, f"test.{base}", "A") == ["192.0.2.46"]

    # UpdateService: new TTLs reach every record (record types can't change)
    code, _ = error(sd.update_service, Id=srv["Id"], Service={"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 5}]}})
    assert code == "InvalidInput"
    op = sd.update_service(Id=srv["Id"], Service={"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 7}, {"Type": "SRV", "TTL": 9}]}})["OperationId"]
    assert sd.get_operation(OperationId=op)["Operation"]["Type"] == "UPDATE_SERVICE"
    wait_for("SRV TTL 9", lambda: ttl_of(gureum, base, "SRV") == 9, timeout=30, interval=0.05)
    assert ttl_of(gureum, base, "A") == 7 and ttl_of(gureum, f"test.{base}", "A") == 9
    assert {r["Type"]: r["TTL"] for r in sd.get_service(Id=srv["Id"])["Service"]["DnsConfig"]["DnsRecords"]} == {"A": 7, "SRV": 9}

    # deregistering removes every record of the instance
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="test")
    wait_for("SRV of the service: other only", lambda: answers(gureum, base, "SRV") == [f"1 1 9090 other.{base}"], timeout=30, interval=0.05)
    assert query(gureum, f"test.{base}", "A").rcode() == dns.rcode.NXDOMAIN
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="other")
    wait_for("the namespace's zone emptied", lambda: zone_sets(gureum, sd, ns_id) == [], timeout=30, interval=0.05)
    sd.delete_service(Id=srv["Id"])
    sd.delete_namespace(Id=ns_id)


def test_srv_only_aaaa_and_dual_stack(gureum, sd):
    name = f"{uniq('six')}.example"
    ns_id = namespace(sd, name, private=True)
    only_srv = sd.create_service(Name="_ldap._tcp", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "SRV", "TTL": 60}]})["Service"]
    sd.register_instance(ServiceId=only_srv["Id"], InstanceId="i1", Attributes={"AWS_INSTANCE_IPV6": "2001:db8::1", "AWS_INSTANCE_PORT": "389"})
    dual = sd.create_service(Name="web", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}, {"Type": "AAAA", "TTL": 60}]})["Service"]
    code, msg = error(sd.register_instance, ServiceId=dual["Id"], InstanceId="w1", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.1"})
    assert code == "InvalidInput" and "AWS_INSTANCE_IPV6" in msg
    sd.register_instance(ServiceId=dual["Id"], InstanceId="w1", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.1", "AWS_INSTANCE_IPV6": "2001:db8::2"})
    ldap = f"_ldap._tcp.{name}."
    assert sorted(zone_sets(gureum, sd, ns_id)) == sorted([
        (ldap, "SRV", "i1", [f"1 1 389 i1.{ldap}"]),
        (f"i1.{ldap}", "AAAA", "i1", ["2001:db8::1"]),
        (f"web.{name}.", "A", "w1", ["192.0.2.1"]),
        (f"web.{name}.", "AAAA", "w1", ["2001:db8::2"]),
    ])  # fmt: skip
    # with no views configured the host is in every VPC: it sees the private namespace (the
    # README's own `dig @127.0.0.1 -p <port> web.<namespace>`)
    wait_for("the A record of web", lambda: answers(gureum, f"web.{name}.", "A") == ["192.0.2.1"], timeout=30, interval=0.05)
    assert query(gureum, f"web.{name}.", "A").rcode() == dns.rcode.NOERROR
    for srv, inst in ((only_srv, "i1"), (dual, "w1")):
        sd.deregister_instance(ServiceId=srv["Id"], InstanceId=inst)
        sd.delete_service(Id=srv["Id"])
    assert zone_sets(gureum, sd, ns_id) == []
    sd.delete_namespace(Id=ns_id)


def test_cname_and_invalid_combinations(gureum, sd):
    name = f"{uniq('cn')}.example"
    ns_id = namespace(sd, name)
    bad = [
        ({"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "CNAME", "TTL": 60}]}, "WEIGHTED"),
        ({"RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "CNAME", "TTL": 60}, {"Type": "A", "TTL": 60}]}, "combination"),
        ({"DnsRecords": [{"Type": "A", "TTL": 60}, {"Type": "A", "TTL": 30}]}, "duplicate"),
        ({"DnsRecords": []}, "at least one"),
    ]
    for config, words in bad:
        code, msg = error(sd.create_service, Name=uniq("bad"), NamespaceId=ns_id, DnsConfig=config)
        assert code == "InvalidInput" and words in msg, (config, msg)
    code, _ = error(sd.create_service, Name="hc", NamespaceId=ns_id, DnsConfig={"RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "CNAME", "TTL": 60}]},
                    HealthCheckConfig={"Type": "HTTP", "ResourcePath": "/"})  # fmt: skip
    assert code == "InvalidInput"
    srv = sd.create_service(Name="www", NamespaceId=ns_id, DnsConfig={"RoutingPolicy": "WEIGHTED", "DnsRecords": [{"Type": "CNAME", "TTL": 45}]})["Service"]
    code, msg = error(sd.register_instance, ServiceId=srv["Id"], InstanceId="c1", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.9"})
    assert code == "InvalidInput" and "AWS_INSTANCE_CNAME" in msg
    sd.register_instance(ServiceId=srv["Id"], InstanceId="c1", Attributes={"AWS_INSTANCE_CNAME": "origin.example.net"})
    wait_for("the CNAME of www", lambda: answers(gureum, f"www.{name}", "CNAME") == ["origin.example.net."], timeout=30, interval=0.05)
    a_srv = sd.create_service(Name="api", NamespaceId=ns_id, DnsConfig={"RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 60}]})["Service"]
    code, msg = error(sd.register_instance, ServiceId=a_srv["Id"], InstanceId="x", Attributes={"AWS_ALIAS_DNS_NAME": "lb-1.us-east-1.elb.amazonaws.com"})
    assert code == "InvalidInput" and "WEIGHTED" in msg
    code, _ = error(sd.register_instance, ServiceId=a_srv["Id"], InstanceId="x", Attributes={"AWS_INSTANCE_IPV4": "300.1.1.1"})
    assert code == "InvalidInput"
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="c1")
    wait_for("the CNAME of www gone", lambda: answers(gureum, f"www.{name}", "CNAME") == [], timeout=30, interval=0.05)
    for s in (srv, a_srv):
        sd.delete_service(Id=s["Id"])
    sd.delete_namespace(Id=ns_id)


def test_custom_health_dns_and_discover_filters(gureum, sd):
    name = f"{uniq('hc')}.example"
    ns_id = namespace(sd, name)
    srv = sd.create_service(
        Name="api", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]}, HealthCheckCustomConfig={"FailureThreshold": 1},
    )["Service"]  # fmt: skip
    plain = sd.create_service(Name="plain", NamespaceId=ns_id, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
    sd.register_instance(ServiceId=srv["Id"], InstanceId="a", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.1", "version": "v1", "az": "1a"})
    sd.register_instance(ServiceId=srv["Id"], InstanceId="b", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.2", "version": "v1", "az": "1b"})
    sd.register_instance(ServiceId=srv["Id"], InstanceId="c", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.3", "version": "v2", "AWS_INIT_HEALTH_STATUS": "UNHEALTHY"})
    base = f"api.{name}"
    wait_for("A of the healthy instances a and b", lambda: answers(gureum, base, "A") == ["192.0.2.1", "192.0.2.2"], timeout=30, interval=0.05)  # unhealthy c is not answered

    def found(**kw) -> list[str]:  # type: ignore[no-untyped-def]
        return sorted(i["InstanceId"] for i in sd.discover_instances(NamespaceName=name, ServiceName="api", **kw)["Instances"])

    assert found() == ["a", "b"]  # HEALTHY by default
    assert found(HealthStatus="ALL") == ["a", "b", "c"]
    assert found(HealthStatus="UNHEALTHY") == ["c"]
    assert found(QueryParameters={"version": "v1"}) == ["a", "b"]
    assert found(QueryParameters={"version": "v1"}, OptionalParameters={"az": "1b"}) == ["b"]
    assert found(QueryParameters={"version": "v1"}, OptionalParameters={"az": "9z"}) == ["a", "b"]  # no match: ignored
    assert sd.get_instances_health_status(ServiceId=srv["Id"])["Status"] == {"a": "HEALTHY", "b": "HEALTHY", "c": "UNHEALTHY"}

    sd.update_instance_custom_health_status(ServiceId=srv["Id"], InstanceId="a", Status="UNHEALTHY")
    sd.update_instance_custom_health_status(ServiceId=srv["Id"], InstanceId="b", Status="UNHEALTHY")
    assert found() == []
    assert found(HealthStatus="HEALTHY_OR_ELSE_ALL") == ["a", "b", "c"]
    wait_for("A of all three instances (none healthy: fail open)", lambda: answers(gureum, base, "A") == ["192.0.2.1", "192.0.2.2", "192.0.2.3"], timeout=30, interval=0.05)  # none healthy: fail open
    sd.update_instance_custom_health_status(ServiceId=srv["Id"], InstanceId="c", Status="HEALTHY")
    wait_for("A of instance c only", lambda: answers(gureum, base, "A") == ["192.0.2.3"], timeout=30, interval=0.05)
    assert found(HealthStatus="HEALTHY_OR_ELSE_ALL") == ["c"]

    rev = sd.discover_instances_revision(NamespaceName=name, ServiceName="api")["InstancesRevision"]
    sd.deregister_instance(ServiceId=srv["Id"], InstanceId="a")
    assert sd.discover_instances_revision(NamespaceName=name, ServiceName="api")["InstancesRevision"] > rev

    code, _ = error(sd.update_instance_custom_health_status, ServiceId=srv["Id"], InstanceId="zz", Status="HEALTHY")
    assert code == "InstanceNotFound"
    sd.register_instance(ServiceId=plain["Id"], InstanceId="p", Attributes={"AWS_INSTANCE_IPV4": "192.0.2.7"})
    code, _ = error(sd.update_instance_custom_health_status, ServiceId=plain["Id"], InstanceId="p", Status="UNHEALTHY")
    assert code == "CustomHealthNotFound"
    # no health check: HealthStatus is ignored and instances report UNKNOWN
    out = sd.discover_instances(NamespaceName=name, ServiceName="plain", HealthStatus="UNHEALTHY")["Instances"]
    assert [(i["InstanceId"], i["HealthStatus"]) for i in out] == [("p", "UNKNOWN")]
    for s, insts in ((srv, ("b", "c")), (plain, ("p",))):
        for i in insts:
            sd.deregister_instance(ServiceId=s["Id"], InstanceId=i)
        sd.delete_service(Id=s["Id"])
    sd.delete_namespace(Id=ns_id)
