"""Cloud Map's tags, service attributes, namespace updates (the SOA TTL reaching gureum's DNS
as the negative-caching TTL) and ListOperations with its filters, through boto3."""

from __future__ import annotations

import time
import uuid

import dns.message
import dns.query
import dns.rcode
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from waiting import wait_for


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def sd(gureum):  # type: ignore[no-untyped-def]
    gureum.wait_service("route53", "running")
    return gureum.client("servicediscovery", config=Config(retries={"max_attempts": 1}))


def error(fn, **kwargs) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def ns_of(sd, op: str) -> str:  # type: ignore[no-untyped-def]
    return str(sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"])


def negative_ttl(gureum, name: str) -> int | None:  # type: ignore[no-untyped-def]
    """The TTL of the SOA in the authority section of an NXDOMAIN for `name`."""
    r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=gureum.dns_port, timeout=3)
    if r.rcode() != dns.rcode.NXDOMAIN:
        return None
    return next((rrset.ttl for rrset in r.authority if rrset.rdtype == dns.rdatatype.SOA), None)


def test_tags_on_namespaces_and_services(sd) -> None:  # type: ignore[no-untyped-def]
    ns_id = ns_of(sd, sd.create_http_namespace(Name=uniq("tags"), Tags=[{"Key": "team", "Value": "a"}])["OperationId"])
    ns_arn = sd.get_namespace(Id=ns_id)["Namespace"]["Arn"]
    assert sd.list_tags_for_resource(ResourceARN=ns_arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    sd.tag_resource(ResourceARN=ns_arn, Tags=[{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "dev"}])
    assert sd.list_tags_for_resource(ResourceARN=ns_arn)["Tags"] == [{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "dev"}]
    sd.untag_resource(ResourceARN=ns_arn, TagKeys=["team", "absent"])
    assert sd.list_tags_for_resource(ResourceARN=ns_arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    srv = sd.create_service(Name="api", NamespaceId=ns_id)["Service"]
    sd.tag_resource(ResourceARN=srv["Arn"], Tags=[{"Key": "k", "Value": "v"}])
    assert sd.list_tags_for_resource(ResourceARN=srv["Arn"])["Tags"] == [{"Key": "k", "Value": "v"}]
    code, _ = error(sd.tag_resource, ResourceARN=srv["Arn"], Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert code == "TooManyTagsException"
    code, _ = error(sd.tag_resource, ResourceARN=srv["Arn"], Tags=[{"Key": "aws:reserved", "Value": "v"}])
    assert code == "InvalidInput"
    gone = srv["Arn"].rsplit("/", 1)[0] + "/srv-0000000000000000"
    code, _ = error(sd.list_tags_for_resource, ResourceARN=gone)
    assert code == "ResourceNotFoundException"
    sd.delete_service(Id=srv["Id"])
    code, _ = error(sd.list_tags_for_resource, ResourceARN=srv["Arn"])
    assert code == "ResourceNotFoundException"
    sd.delete_namespace(Id=ns_id)


def test_service_attributes_update_delete_and_limit(sd) -> None:  # type: ignore[no-untyped-def]
    ns_id = ns_of(sd, sd.create_http_namespace(Name=uniq("attrs"))["OperationId"])
    srv = sd.create_service(Name="api", NamespaceId=ns_id)["Service"]
    got = sd.get_service_attributes(ServiceId=srv["Id"])["ServiceAttributes"]
    assert got["ServiceArn"] == srv["Arn"] and got.get("Attributes", {}) == {}
    sd.update_service_attributes(ServiceId=srv["Id"], Attributes={"port": "80", "proto": "http"})
    sd.update_service_attributes(ServiceId=srv["Arn"], Attributes={"port": "8080"})  # by ARN too
    assert sd.get_service_attributes(ServiceId=srv["Id"])["ServiceAttributes"]["Attributes"] == {"port": "8080", "proto": "http"}
    sd.delete_service_attributes(ServiceId=srv["Id"], Attributes=["proto", "absent"])
    assert sd.get_service_attributes(ServiceId=srv["Id"])["ServiceAttributes"]["Attributes"] == {"port": "8080"}
    code, _ = error(sd.update_service_attributes, ServiceId=srv["Id"], Attributes={f"a{i}": "x" for i in range(30)})
    assert code == "ServiceAttributesLimitExceededException"
    assert sd.get_service_attributes(ServiceId=srv["Id"])["ServiceAttributes"]["Attributes"] == {"port": "8080"}
    code, _ = error(sd.get_service_attributes, ServiceId="srv-0000000000000000")
    assert code == "ServiceNotFound"
    sd.delete_service(Id=srv["Id"])
    sd.delete_namespace(Id=ns_id)


def test_namespace_updates_description_and_soa_ttl_served_by_dns(gureum, sd) -> None:  # type: ignore[no-untyped-def]
    name = f"{uniq('soa')}.example"
    ns_id = ns_of(sd, sd.create_public_dns_namespace(Name=name, Properties={"DnsProperties": {"SOA": {"TTL": 40}}})["OperationId"])
    # the SOA TTL is the zone's negative-caching TTL, answered by gureum's DNS
    wait_for("NXDOMAIN with the SOA's TTL 40", lambda: negative_ttl(gureum, f"nothing.{name}.") == 40, timeout=30, interval=0.05)
    zone = sd.get_namespace(Id=ns_id)["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
    op = sd.update_public_dns_namespace(Id=ns_id, UpdaterRequestId="u-1", Namespace={
        "Description": "new words", "Properties": {"DnsProperties": {"SOA": {"TTL": 25}}}})["OperationId"]
    got = sd.get_operation(OperationId=op)["Operation"]
    assert got["Type"] == "UPDATE_NAMESPACE" and got["Status"] == "SUCCESS" and got["Targets"] == {"NAMESPACE": ns_id}
    ns = sd.get_namespace(Id=ns_id)["Namespace"]
    assert ns["Description"] == "new words" and ns["Properties"]["DnsProperties"]["SOA"] == {"TTL": 25}
    wait_for("NXDOMAIN with the SOA's TTL 25", lambda: negative_ttl(gureum, f"nothing.{name}.") == 25, timeout=30, interval=0.05)
    sets = gureum.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert [s["TTL"] for s in sets if s["Type"] == "SOA"] == [25]
    # the same UpdaterRequestId again: the same operation, nothing applied twice
    again = sd.update_public_dns_namespace(Id=ns_id, UpdaterRequestId="u-1", Namespace={
        "Properties": {"DnsProperties": {"SOA": {"TTL": 99}}}})["OperationId"]
    assert again == op and sd.get_namespace(Id=ns_id)["Namespace"]["Properties"]["DnsProperties"]["SOA"] == {"TTL": 25}
    # the wrong operation for the namespace's type
    code, _ = error(sd.update_private_dns_namespace, Id=ns_id, Namespace={"Description": "x"})
    assert code == "InvalidInput"
    code, _ = error(sd.update_http_namespace, Id="ns-0000000000000000", Namespace={"Description": "x"})
    assert code == "NamespaceNotFound"
    sd.delete_namespace(Id=ns_id)


def test_private_and_http_namespace_updates(sd) -> None:  # type: ignore[no-untyped-def]
    ns_id = ns_of(sd, sd.create_private_dns_namespace(Name=f"{uniq('priv')}.internal", Vpc="vpc-0123456789abcdef0")["OperationId"])
    sd.update_private_dns_namespace(Id=ns_id, Namespace={"Properties": {"DnsProperties": {"SOA": {"TTL": 60}}}})
    assert sd.get_namespace(Id=ns_id)["Namespace"]["Properties"]["DnsProperties"]["SOA"] == {"TTL": 60}
    http = ns_of(sd, sd.create_http_namespace(Name=uniq("http"))["OperationId"])
    sd.update_http_namespace(Id=http, Namespace={"Description": "described"})
    assert sd.get_namespace(Id=http)["Namespace"]["Description"] == "described"
    sd.delete_namespace(Id=ns_id)
    sd.delete_namespace(Id=http)


def test_list_operations_filters_and_pages(sd) -> None:  # type: ignore[no-untyped-def]
    start = time.time() - 1
    ns_id = ns_of(sd, sd.create_http_namespace(Name=uniq("ops"))["OperationId"])
    srv = sd.create_service(Name="api", NamespaceId=ns_id)["Service"]
    regs = {sd.register_instance(ServiceId=srv["Id"], InstanceId=f"i{i}", Attributes={"k": "v"})["OperationId"] for i in range(3)}
    dereg = sd.deregister_instance(ServiceId=srv["Id"], InstanceId="i0")["OperationId"]

    def ids(**kw) -> set[str]:  # type: ignore[no-untyped-def]
        pages = sd.get_paginator("list_operations").paginate(**kw, PaginationConfig={"PageSize": 2})
        return {o["Id"] for p in pages for o in p["Operations"]}

    by_service = ids(Filters=[{"Name": "SERVICE_ID", "Values": [srv["Id"]]}])
    assert by_service == regs | {dereg}
    assert ids(Filters=[{"Name": "SERVICE_ID", "Values": [srv["Id"]]}, {"Name": "TYPE", "Values": ["REGISTER_INSTANCE"]}]) == regs
    assert ids(Filters=[{"Name": "SERVICE_ID", "Values": [srv["Id"]]},
                        {"Name": "TYPE", "Condition": "IN", "Values": ["DEREGISTER_INSTANCE", "UPDATE_SERVICE"]}]) == {dereg}
    assert len(ids(Filters=[{"Name": "NAMESPACE_ID", "Values": [ns_id]}])) == 1  # CREATE_NAMESPACE
    recent = ids(Filters=[{"Name": "UPDATE_DATE", "Condition": "BETWEEN", "Values": [str(int(start)), str(int(time.time()) + 5)]},
                          {"Name": "STATUS", "Values": ["SUCCESS"]}])
    assert by_service <= recent
    assert ids(Filters=[{"Name": "SERVICE_ID", "Values": [srv["Id"]]}, {"Name": "STATUS", "Values": ["FAIL"]}]) == set()
    code, _ = error(sd.list_operations, Filters=[{"Name": "SERVICE_ID", "Condition": "IN", "Values": ["a", "b"]}])
    assert code == "InvalidInput"
    code, _ = error(sd.list_operations, Filters=[{"Name": "UPDATE_DATE", "Condition": "BETWEEN", "Values": ["1"]}])
    assert code == "InvalidInput"
    code, _ = error(sd.list_operations, NextToken="bogus")
    assert code == "InvalidInput"
    for i in (1, 2):
        sd.deregister_instance(ServiceId=srv["Id"], InstanceId=f"i{i}")
    sd.delete_service(Id=srv["Id"])
    sd.delete_namespace(Id=ns_id)
