"""REST API Gateway's VPC links: CreateVpcLink on a Network Load Balancer goes PENDING ->
AVAILABLE once the NLB is active (FAILED for a load balancer that does not exist), AWS's
errors for bad targets, and HTTP_PROXY / HTTP integrations with connectionType VPC_LINK
reaching a real HTTP server behind the NLB's TCP listener (the link named directly or
through a stage variable), the URI's host going in the Host header only."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening

LISTEN = 8080


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    b = Backend("vpc")
    yield b
    b.close()


@pytest.fixture(scope="module")
def nlb(gureum: Any, backend: Backend) -> str:
    """An active NLB with a TCP listener on LISTEN forwarding to `backend`; its ARN."""
    elb = gureum.client("elbv2")
    lb = elb.create_load_balancer(Name=uniq("vl"), Subnets=SUBNETS[:1], Type="network")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=uniq("vl"), Protocol="TCP", Port=backend.port, VpcId=VPC,
                                 TargetType="ip")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=LISTEN,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    address = wait_for("the NLB's name in DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 30)
    wait_for("the NLB active", lambda: elb.describe_load_balancers(
        LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] == "active", 30)
    wait_listening(str(address), LISTEN, 30)
    return str(lb["LoadBalancerArn"])


def call(gureum: Any, api_id: str, path: str) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"{api_id}.execute-api.localhost:{port}"})
        r = conn.getresponse()
        data = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, data


def test_vpc_link_goes_pending_then_available_and_failed_for_a_missing_nlb(apigw: Any, nlb: str) -> None:
    link = apigw.create_vpc_link(name=uniq("link"), targetArns=[nlb], description="to the NLB")
    assert link["status"] == "PENDING" and link["targetArns"] == [nlb]
    done = wait_for("the link available", lambda: (lambda d: d if d["status"] == "AVAILABLE" else None)(
        apigw.get_vpc_link(vpcLinkId=link["id"])), 30)
    assert done["statusMessage"] == "Your vpc link is ready for use" and done["description"] == "to the NLB"
    assert link["id"] in [x["id"] for x in apigw.get_paginator("get_vpc_links").paginate().build_full_result()["items"]]
    renamed = apigw.update_vpc_link(vpcLinkId=link["id"], patchOperations=[{"op": "replace", "path": "/name",
                                                                           "value": "renamed"}])
    assert renamed["name"] == "renamed"

    gone = nlb.rsplit("/", 2)[0] + "/nosuch/0123456789abcdef"
    failed = apigw.create_vpc_link(name=uniq("link"), targetArns=[gone])
    got = wait_for("the link failed", lambda: (lambda d: d if d["status"] == "FAILED" else None)(
        apigw.get_vpc_link(vpcLinkId=failed["id"])), 30)
    assert got["statusMessage"]
    for bad in ([], [nlb, nlb], ["arn:aws:sqs:us-east-1:000000000000:q"]):
        with pytest.raises(ClientError) as e:
            apigw.create_vpc_link(name=uniq("link"), targetArns=bad)
        assert e.value.response["Error"]["Code"] == "BadRequestException"
    apigw.delete_vpc_link(vpcLinkId=failed["id"])
    with pytest.raises(ClientError) as e:
        apigw.get_vpc_link(vpcLinkId=failed["id"])
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    apigw.delete_vpc_link(vpcLinkId=link["id"])


def test_vpc_link_integrations_reach_the_nlb_listener(gureum: Any, apigw: Any, nlb: str) -> None:
    link = apigw.create_vpc_link(name=uniq("link"), targetArns=[nlb])["id"]
    api = apigw.create_rest_api(name=uniq("vl"))
    proxy_res = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=proxy_res, httpMethod="ANY", authorizationType="NONE",
                     requestParameters={"method.request.path.proxy": True})
    apigw.put_integration(restApiId=api["id"], resourceId=proxy_res, httpMethod="ANY", type="HTTP_PROXY",
                          integrationHttpMethod="ANY", uri=f"http://orders.internal:{LISTEN}/svc/{{proxy}}",
                          connectionType="VPC_LINK", connectionId="${stageVariables.link}",
                          requestParameters={"integration.request.path.proxy": "method.request.path.proxy"})
    plain = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="plain")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=plain, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=plain, httpMethod="GET", type="HTTP",
                          integrationHttpMethod="GET", uri=f"http://plain.internal:{LISTEN}/plain",
                          connectionType="VPC_LINK", connectionId=link)
    apigw.put_method_response(restApiId=api["id"], resourceId=plain, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=plain, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"via": $input.json(\'$.path\')}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod", variables={"link": link})
    apigw.create_deployment(restApiId=api["id"], stageName="broken", variables={"link": "nosuch"})

    status, body = wait_for("the proxy through the link", lambda: (lambda r: r if r[0] == 200 else None)(
        call(gureum, api["id"], "/prod/items/7")), 30)
    assert body["backend"] == "vpc" and body["path"] == "/svc/items/7"
    assert body["headers"]["host"] == f"orders.internal:{LISTEN}"
    assert call(gureum, api["id"], "/prod/plain") == (200, {"via": "/plain"})
    status, body = call(gureum, api["id"], "/broken/items/7")
    assert (status, body) == (500, {"message": "Internal server error"})


def test_another_accounts_vpc_link_or_nlb_is_out_of_reach(gureum: Any, apigw: Any, nlb: str) -> None:
    link = apigw.create_vpc_link(name=uniq("link"), targetArns=[nlb])["id"]
    wait_for("the link available", lambda: apigw.get_vpc_link(vpcLinkId=link)["status"] == "AVAILABLE", 30)
    other = gureum.client("apigateway", aws_access_key_id="210987654321", aws_secret_access_key="test")
    # the NLB is not the other account's to link
    with pytest.raises(ClientError) as e:
        other.create_vpc_link(name=uniq("link"), targetArns=[nlb])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as e:
        other.get_vpc_link(vpcLinkId=link)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    # an integration of the other account naming this account's link id reaches nothing
    api = other.create_rest_api(name=uniq("vl"))
    res = other.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="steal")["id"]
    other.put_method(restApiId=api["id"], resourceId=res, httpMethod="GET", authorizationType="NONE")
    other.put_integration(restApiId=api["id"], resourceId=res, httpMethod="GET", type="HTTP_PROXY",
                          integrationHttpMethod="GET", uri=f"http://x.internal:{LISTEN}/secret",
                          connectionType="VPC_LINK", connectionId=link)
    other.create_deployment(restApiId=api["id"], stageName="prod")
    assert call(gureum, api["id"], "/prod/steal") == (500, {"message": "Internal server error"})
