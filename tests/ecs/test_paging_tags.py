"""ECS listings paged with boto3's paginators (key-based tokens of gureum.aws.paging) and tag
rules (gureum.aws.tags) against a real gureum; no containers are started."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .test_api import AWSVPC, err, fargate_td, uniq


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


def pages(ecs, op: str, key: str, size: int = 2, **kw) -> list[list[str]]:
    return [p[key] for p in ecs.get_paginator(op).paginate(PaginationConfig={"PageSize": size}, **kw)]


def test_list_clusters_pages_cover_every_cluster_once(ecs):
    made = {ecs.create_cluster(clusterName=uniq("pg"))["cluster"]["clusterArn"] for _ in range(5)}
    got = pages(ecs, "list_clusters", "clusterArns")
    flat = [a for p in got for a in p]
    assert len(got) >= 3 and all(len(p) <= 2 for p in got)
    assert len(flat) == len(set(flat)) and made <= set(flat)
    assert set(flat) == set(ecs.list_clusters(maxResults=100)["clusterArns"])


def test_list_task_definitions_pages_in_both_orders(ecs):
    fam = uniq("pgtd")
    arns = [fargate_td(ecs, fam)["taskDefinitionArn"] for _ in range(5)]
    asc = [a for p in pages(ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=fam) for a in p]
    desc = [a for p in pages(ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=fam, sort="DESC") for a in p]
    assert asc == arns and desc == arns[::-1]


def test_list_task_definition_families_pages(ecs):
    base = uniq("pgfam")
    fams = sorted(f"{base}-{i}" for i in range(5))
    for f in fams:
        fargate_td(ecs, f)
    got = pages(ecs, "list_task_definition_families", "families", familyPrefix=base)
    assert len(got) == 3 and [f for p in got for f in p] == fams


def test_list_services_pages(ecs):
    cluster = ecs.create_cluster(clusterName=uniq("pgsvc"))["cluster"]["clusterName"]
    td = fargate_td(ecs, uniq("pgsvc"))["taskDefinitionArn"]
    made = [ecs.create_service(cluster=cluster, serviceName=f"s{i}", taskDefinition=td, desiredCount=0, launchType="FARGATE",
                               networkConfiguration=AWSVPC)["service"]["serviceArn"] for i in range(5)]
    got = pages(ecs, "list_services", "serviceArns", cluster=cluster)
    assert len(got) == 3 and [a for p in got for a in p] == made


def test_a_token_of_another_listing_is_refused(ecs):
    fam = uniq("pgbad")
    for _ in range(3):
        fargate_td(ecs, fam)
    token = ecs.list_task_definitions(familyPrefix=fam, maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as e:
        ecs.list_task_definitions(familyPrefix=fam + "x", maxResults=1, nextToken=token)
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.list_clusters(nextToken=token)
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.list_clusters(nextToken="MTA")  # the offset token ("10") gureum used to hand out
    assert err(e)[0] == "InvalidParameterException"


def test_tag_rules(ecs):
    arn = ecs.create_cluster(clusterName=uniq("pgtag"))["cluster"]["clusterArn"]
    ecs.tag_resource(resourceArn=arn, tags=[{"key": f"k{i}", "value": "v"} for i in range(50)])
    for bad in ([{"key": "one-more", "value": "v"}], [{"key": "aws:x", "value": "v"}], [{"key": "k1", "value": "bad#value"}]):
        with pytest.raises(ClientError) as e:
            ecs.tag_resource(resourceArn=arn, tags=bad)
        assert err(e)[0] == "InvalidParameterException"
    ecs.tag_resource(resourceArn=arn, tags=[{"key": "k1", "value": "replaced"}])  # replacing adds nothing
    ecs.untag_resource(resourceArn=arn, tagKeys=[f"k{i}" for i in range(2, 50)])
    assert ecs.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k0", "value": "v"}, {"key": "k1", "value": "replaced"}]


def test_list_container_instances_pages_in_registration_order(ecs):
    from .test_ec2_launch_type import add_instance

    cluster = ecs.create_cluster(clusterName=uniq("pgci"))["cluster"]["clusterName"]
    made = [add_instance(ecs, cluster)["containerInstanceArn"] for _ in range(5)]
    got = pages(ecs, "list_container_instances", "containerInstanceArns", cluster=cluster)
    assert len(got) == 3 and sorted(a for p in got for a in p) == sorted(made) and len({a for p in got for a in p}) == 5


def test_list_tasks_pages(ecs, gureum):
    cluster = ecs.create_cluster(clusterName=uniq("pgtask"))["cluster"]["clusterName"]
    td = fargate_td(ecs, uniq("pgtask"), containerDefinitions=[{"name": "app", "image": f"127.0.0.1:{gureum.port}/{uniq('missing')}:v1"}])["taskDefinitionArn"]
    who = uniq("pager")
    arns = {t["taskArn"] for t in ecs.run_task(cluster=cluster, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC,
                                                count=5, startedBy=who)["tasks"]}

    def stopped() -> list[list[str]] | None:  # the image is missing: each task stops after its pull fails
        got = pages(ecs, "list_tasks", "taskArns", cluster=cluster, startedBy=who, desiredStatus="STOPPED")
        return got if {a for p in got for a in p} == arns else None

    got = wait_for("the five tasks to stop", stopped, timeout=120)
    assert len(got) == 3 and sum(len(p) for p in got) == 5


def test_create_time_tags_follow_the_same_rules(ecs):
    for make in (lambda t: ecs.create_cluster(clusterName=uniq("pgct"), tags=t), lambda t: fargate_td(ecs, uniq("pgct"), tags=t)):
        with pytest.raises(ClientError) as e:
            make([{"key": "aws:x", "value": "v"}])
        assert err(e)[0] == "InvalidParameterException"
        with pytest.raises(ClientError) as e:
            make([{"key": f"k{i}", "value": "v"} for i in range(51)])
        assert err(e)[0] == "InvalidParameterException"
    # RunTask and CreateService hold their tags to the same rules before anything else.
    for make in (lambda t: ecs.run_task(taskDefinition="nope", tags=t),
                 lambda t: ecs.create_service(serviceName=uniq("pgct"), taskDefinition="nope", desiredCount=0, tags=t)):
        with pytest.raises(ClientError) as e:
            make([{"key": "aws:x", "value": "v"}])
        assert err(e)[0] == "InvalidParameterException"
