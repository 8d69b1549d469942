"""API Gateway v2's VPC links and private integrations: CreateVpcLink PENDING -> AVAILABLE,
AWS's errors, and HTTP_PROXY integrations with ConnectionType VPC_LINK reaching a real HTTP
server through an ALB listener ARN, an NLB listener ARN and a Cloud Map service ARN (its
instance's AWS_INSTANCE_IPV4/PORT); a link or target that resolves nowhere is AWS's 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.apigatewayv2.conftest import call
from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    b = Backend("private")
    yield b
    b.close()


def _balancer(gureum: Any, backend: Backend, kind: str, protocol: str, port: int) -> str:
    """An active load balancer of `kind` with a `protocol` listener on `port` forwarding to
    `backend`; the listener's ARN."""
    elb = gureum.client("elbv2")
    lb = elb.create_load_balancer(Name=uniq("pl"), Subnets=SUBNETS, Type=kind)["LoadBalancers"][0]
    tg = elb.create_target_group(Name=uniq("pl"), Protocol=protocol, Port=backend.port, VpcId=VPC,
                                 TargetType="ip")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol=protocol, Port=port,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    address = wait_for("the load balancer's name in DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 30)
    wait_for("the load balancer active", lambda: elb.describe_load_balancers(
        LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] == "active", 30)
    wait_listening(str(address), port, 30)
    return str(listener["Listeners"][0]["ListenerArn"])


def test_vpc_links_control_plane(apigw: Any) -> None:
    link = apigw.create_vpc_link(Name=uniq("l"), SubnetIds=SUBNETS, SecurityGroupIds=["sg-0123456789abcdef0"],
                                 Tags={"t": "1"})
    assert (link["VpcLinkStatus"], link["VpcLinkVersion"]) == ("PENDING", "V2")
    got = wait_for("the link available", lambda: (lambda d: d if d["VpcLinkStatus"] == "AVAILABLE" else None)(
        apigw.get_vpc_link(VpcLinkId=link["VpcLinkId"])), 30)
    assert got["SubnetIds"] == SUBNETS and got["Tags"] == {"t": "1"}
    assert apigw.update_vpc_link(VpcLinkId=link["VpcLinkId"], Name="renamed")["Name"] == "renamed"
    assert link["VpcLinkId"] in [x["VpcLinkId"] for x in apigw.get_vpc_links()["Items"]]
    apigw.delete_vpc_link(VpcLinkId=link["VpcLinkId"])
    with pytest.raises(ClientError) as e:
        apigw.get_vpc_link(VpcLinkId=link["VpcLinkId"])
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_private_integrations_reach_alb_nlb_and_cloud_map_targets(gureum: Any, apigw: Any, backend: Backend) -> None:
    alb = _balancer(gureum, backend, "application", "HTTP", 8081)
    nlb = _balancer(gureum, backend, "network", "TCP", 8082)
    sd = gureum.client("servicediscovery")
    op = sd.create_http_namespace(Name=f"pl-{uuid.uuid4().hex[:8]}")["OperationId"]
    ns = wait_for("the namespace", lambda: sd.get_operation(OperationId=op)["Operation"].get("Targets", {}).get(
        "NAMESPACE"), 30)
    srv = sd.create_service(Name="orders", NamespaceId=ns)["Service"]
    sd.register_instance(ServiceId=srv["Id"], InstanceId="i-1",
                         Attributes={"AWS_INSTANCE_IPV4": "127.0.0.1", "AWS_INSTANCE_PORT": str(backend.port)})
    link = apigw.create_vpc_link(Name=uniq("l"), SubnetIds=SUBNETS)["VpcLinkId"]

    api = apigw.create_api(Name=uniq("pl"), ProtocolType="HTTP")["ApiId"]
    for path, uri in (("/alb/{p+}", alb), ("/nlb/{p+}", nlb), ("/map/{p+}", srv["Arn"])):
        iid = apigw.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                       ConnectionType="VPC_LINK", ConnectionId=link, IntegrationUri=uri,
                                       PayloadFormatVersion="1.0")["IntegrationId"]
        apigw.create_route(ApiId=api, RouteKey=f"GET {path}", Target=f"integrations/{iid}")
    broken = apigw.create_integration(ApiId=api, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                      ConnectionType="VPC_LINK", ConnectionId="nosuch", IntegrationUri=alb,
                                      PayloadFormatVersion="1.0")["IntegrationId"]
    apigw.create_route(ApiId=api, RouteKey="GET /broken", Target=f"integrations/{broken}")
    apigw.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)

    for prefix in ("alb", "nlb", "map"):
        r = wait_for(f"the {prefix} route", lambda p=prefix: (lambda x: x if x.status == 200 else None)(
            call(gureum, api, "GET", f"/{p}/items/7?q=1")), 30)
        body = r.json()
        assert (body["backend"], body["path"], body["method"]) == ("private", f"/{prefix}/items/7?q=1", "GET")
    r = call(gureum, api, "GET", "/broken")
    assert (r.status, r.json()) == (500, {"message": "Internal Server Error"})

    # another account's API, through a link of its own, cannot reach this account's listener
    other = gureum.client("apigatewayv2", aws_access_key_id="210987654321", aws_secret_access_key="test")
    own_link = other.create_vpc_link(Name=uniq("l"), SubnetIds=SUBNETS)["VpcLinkId"]
    theirs = other.create_api(Name=uniq("pl"), ProtocolType="HTTP")["ApiId"]
    iid = other.create_integration(ApiId=theirs, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                   ConnectionType="VPC_LINK", ConnectionId=own_link, IntegrationUri=alb,
                                   PayloadFormatVersion="1.0")["IntegrationId"]
    other.create_route(ApiId=theirs, RouteKey="GET /steal", Target=f"integrations/{iid}")
    other.create_stage(ApiId=theirs, StageName="$default", AutoDeploy=True)
    r = wait_for("the other API deployed", lambda: (lambda x: x if x.status != 404 else None)(
        call(gureum, theirs, "GET", "/steal")), 30)
    assert (r.status, r.json()) == (500, {"message": "Internal Server Error"})
