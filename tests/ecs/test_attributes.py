"""Custom attributes on container instances (PutAttributes, ListAttributes,
DeleteAttributes) with AWS's validation, seen by memberOf placement constraints."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .test_api import err, uniq
from .test_ec2_launch_type import add_instance, ec2_td, new_cluster, nowhere


def test_put_list_delete_and_member_of(ecs, gureum):
    cluster = new_cluster(ecs)
    a = add_instance(ecs, cluster)
    b = add_instance(ecs, cluster)
    a_arn, b_arn = a["containerInstanceArn"], b["containerInstanceArn"]
    a_id = a_arn.rsplit("/", 1)[-1]

    out = ecs.put_attributes(
        cluster=cluster,
        attributes=[
            {"name": "stack", "value": "blue", "targetType": "container-instance", "targetId": a_id},
            {"name": "stack", "value": "green", "targetId": b_arn},
            {"name": "gpu", "targetId": b_arn},
        ],
    )["attributes"]
    assert {"name": "stack", "value": "blue", "targetType": "container-instance", "targetId": a_id} in out
    listed = ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeName="stack")["attributes"]
    assert sorted((x["targetId"], x["value"]) for x in listed) == sorted([(a_arn, "blue"), (b_arn, "green")])
    assert ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeName="stack", attributeValue="blue")["attributes"] == [
        {"name": "stack", "value": "blue", "targetType": "container-instance", "targetId": a_arn}
    ]
    built_in = ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeName="ecs.os-type")["attributes"]
    assert {x["targetId"] for x in built_in} == {a_arn, b_arn}
    desc = ecs.describe_container_instances(cluster=cluster, containerInstances=[a_arn])["containerInstances"][0]
    assert {"name": "stack", "value": "blue"} in desc["attributes"]

    # a value replaces the old one; memberOf and ListContainerInstances filters see custom attributes
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "stack", "value": "green", "targetId": a_arn}])
    assert sorted(ecs.list_container_instances(cluster=cluster, filter="attribute:stack == green")["containerInstanceArns"]) == sorted([a_arn, b_arn])
    td = ec2_td(ecs, nowhere(gureum))
    placed = ecs.run_task(cluster=cluster, taskDefinition=td, count=2, placementConstraints=[{"type": "memberOf", "expression": "attribute:gpu exists"}])
    assert [t["containerInstanceArn"] for t in placed["tasks"]] == [b_arn, b_arn]
    ecs.put_attributes(cluster=cluster, attributes=[{"name": "stack", "value": "blue", "targetId": a_arn}])
    placed = ecs.run_task(cluster=cluster, taskDefinition=td, placementConstraints=[{"type": "memberOf", "expression": "attribute:stack == blue"}])
    assert [t["containerInstanceArn"] for t in placed["tasks"]] == [a_arn]

    deleted = ecs.delete_attributes(cluster=cluster, attributes=[{"name": "gpu", "targetId": b_arn}])["attributes"]
    assert deleted == [{"name": "gpu", "targetType": "container-instance", "targetId": b_arn}]
    assert ecs.list_attributes(cluster=cluster, targetType="container-instance", attributeName="gpu")["attributes"] == []
    placed = ecs.run_task(cluster=cluster, taskDefinition=td, placementConstraints=[{"type": "memberOf", "expression": "attribute:gpu exists"}])
    assert placed["tasks"] == []


def test_attribute_validation_and_limits(ecs):
    cluster = new_cluster(ecs)
    inst = add_instance(ecs, cluster)
    arn = inst["containerInstanceArn"]

    def put(*attrs):
        return ecs.put_attributes(cluster=cluster, attributes=list(attrs))

    for bad in ({"name": "has space", "targetId": arn}, {"name": "x" * 129, "targetId": arn}, {"name": "ok", "value": " lead", "targetId": arn},
                {"name": "ok", "value": "semi;colon", "targetId": arn}, {"name": "ok", "value": "v" * 129, "targetId": arn}):
        with pytest.raises(ClientError) as e:
            put(bad)
        assert err(e)[0] == "InvalidParameterException", bad
    # a short id needs the target type
    with pytest.raises(ClientError) as e:
        put({"name": "ok", "targetId": arn.rsplit("/", 1)[-1]})
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        put({"name": "ok", "targetType": "container-instance", "targetId": "0123456789abcdef0123456789abcdef"})
    assert err(e)[0] == "TargetNotFoundException"
    with pytest.raises(ClientError) as e:
        ecs.put_attributes(cluster=uniq("nocluster"), attributes=[{"name": "ok", "targetId": arn}])
    assert err(e)[0] == "ClusterNotFoundException"

    put(*[{"name": f"k{i}", "value": "a/b\\c:d@e f.g-h_i", "targetId": arn} for i in range(10)])
    with pytest.raises(ClientError) as e:
        put({"name": "k10", "targetId": arn})
    assert err(e)[0] == "AttributeLimitExceededException"
    put({"name": "k3", "value": "replaced", "targetId": arn})  # replacing is not adding
    with pytest.raises(ClientError) as e:
        put(*[{"name": f"n{i}", "targetId": arn} for i in range(11)])
    assert err(e)[0] == "InvalidParameterException"
    ecs.delete_attributes(cluster=cluster, attributes=[{"name": "k0", "targetId": arn}])
    put({"name": "k10", "targetId": arn})
    custom = [x for x in ecs.list_attributes(cluster=cluster, targetType="container-instance")["attributes"] if x["name"].startswith("k")]
    assert len(custom) == 10
    page = ecs.list_attributes(cluster=cluster, targetType="container-instance", maxResults=3)
    assert len(page["attributes"]) == 3 and page["nextToken"]
