"""Cloud Map listings paged with boto3's paginators (key tokens of gureum.aws.paging, bound to
their listing and filters), against a real gureum. A region of their own keeps counts exact."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

REGION = "sa-east-1"


@pytest.fixture(scope="module")
def sd(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("servicediscovery", region=REGION)


def _paged(sd, op: str, key: str, size: int = 2, **kw) -> list[list]:  # type: ignore[no-untyped-def]
    return [p[key] for p in sd.get_paginator(op).paginate(PaginationConfig={"PageSize": size}, **kw)]


def _namespace(sd) -> str:  # type: ignore[no-untyped-def]
    op = sd.create_http_namespace(Name=f"pg-{uuid.uuid4().hex[:8]}")["OperationId"]
    return sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]


def test_namespaces_services_and_instances_page(sd):  # type: ignore[no-untyped-def]
    made = {_namespace(sd) for _ in range(4)}
    pages = _paged(sd, "list_namespaces", "Namespaces", Filters=[{"Name": "TYPE", "Values": ["HTTP"]}])
    flat = [n["Id"] for p in pages for n in p]
    assert len(pages) >= 2 and all(len(p) <= 2 for p in pages) and len(flat) == len(set(flat)) and made <= set(flat)
    ns = min(made)
    services = {sd.create_service(Name=f"s{i}", NamespaceId=ns)["Service"]["Id"] for i in range(5)}
    pages = _paged(sd, "list_services", "Services", Filters=[{"Name": "NAMESPACE_ID", "Values": [ns], "Condition": "EQ"}])
    assert len(pages) == 3 and {s["Id"] for p in pages for s in p} == services
    srv = min(services)
    for i in range(5):
        sd.register_instance(ServiceId=srv, InstanceId=f"i{i}", Attributes={"AWS_INSTANCE_IPV4": f"10.0.0.{i + 1}"})
    pages = _paged(sd, "list_instances", "Instances", ServiceId=srv)
    assert len(pages) == 3 and [i["Id"] for p in pages for i in p] == [f"i{i}" for i in range(5)]


def test_a_token_of_another_listing_or_filter_is_refused(sd):  # type: ignore[no-untyped-def]
    for _ in range(3):
        _namespace(sd)
    token = sd.list_namespaces(MaxResults=1)["NextToken"]
    for call in (lambda: sd.list_services(NextToken=token),
                 lambda: sd.list_namespaces(NextToken=token, Filters=[{"Name": "TYPE", "Values": ["HTTP"]}]),
                 lambda: sd.list_namespaces(NextToken="MQ==")):  # the offset token ("1") gureum used to hand out
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "InvalidInput"


def test_instances_health_status_pages_by_instance_id(sd):  # type: ignore[no-untyped-def]
    ns = _namespace(sd)
    srv = sd.create_service(Name="h", NamespaceId=ns, HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]["Id"]
    for i in range(5):
        sd.register_instance(ServiceId=srv, InstanceId=f"i{i}", Attributes={"AWS_INSTANCE_IPV4": f"10.0.1.{i + 1}"})
    seen, kw, pages = {}, {}, 0
    while True:
        out = sd.get_instances_health_status(ServiceId=srv, MaxResults=2, **kw)
        seen.update(out["Status"])
        pages += 1
        if "NextToken" not in out:
            break
        kw = {"NextToken": out["NextToken"]}
    assert pages == 3 and sorted(seen) == [f"i{i}" for i in range(5)]
    with pytest.raises(ClientError) as e:
        sd.get_instances_health_status(ServiceId=srv, MaxResults=2, Instances=["i0", "i1", "i2"], NextToken=kw["NextToken"])
    assert e.value.response["Error"]["Code"] == "InvalidInput"
