"""ELBv2 and ACM resource types through boto3 against a real gureum: an ALB, a target group
with a real HTTP target, a listener with a fixed default answer and a rule forwarding a path
to the target, called over HTTP on the load balancer's own address (found through a Route 53
alias record of the same stack); an in-place update of the
rule and the default answer; a DNS-validated certificate whose validation record the stack
writes into the hosted zone its DomainValidationOptions name (CREATE_COMPLETE once ACM issues it), and one without a zone
waiting with the record's content in its event until the record is created by hand."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, wait_listening

from .helpers import events, settle, statuses, uniq

LB = """
Parameters:
  Pattern: {Type: String, Default: /app/*}
  Fallback: {Type: String, Default: nothing here}
  TargetPort: {Type: Number}
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [%s], LoadBalancerAttributes: [{Key: idle_timeout.timeout_seconds, Value: "30"}]}
  Group:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Protocol: HTTP
      Port: 80
      VpcId: %s
      TargetType: ip
      HealthCheckPath: /health
      Targets: [{Id: 127.0.0.1, Port: !Ref TargetPort}]
  Front:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Protocol: HTTP
      Port: 80
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: "404", ContentType: text/plain, MessageBody: !Ref Fallback}}]
  ToApp:
    Type: AWS::ElasticLoadBalancingV2::ListenerRule
    Properties:
      ListenerArn: !Ref Front
      Priority: 10
      Conditions: [{Field: path-pattern, Values: [!Ref Pattern]}]
      Actions: [{Type: forward, TargetGroupArn: !Ref Group}]
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Sub "${AWS::StackName}.example.com"}
  Www:
    Type: AWS::Route53::RecordSet
    Properties:
      HostedZoneId: !Ref Zone
      Name: !Sub "www.${AWS::StackName}.example.com"
      Type: A
      AliasTarget: {HostedZoneId: !GetAtt Alb.CanonicalHostedZoneID, DNSName: !GetAtt Alb.DNSName}
Outputs:
  Alb: {Value: !Ref Alb}
  Dns: {Value: !GetAtt Alb.DNSName}
  FullName: {Value: !GetAtt Alb.LoadBalancerFullName}
  LbName: {Value: !GetAtt Alb.LoadBalancerName}
  Zone: {Value: !GetAtt Alb.CanonicalHostedZoneID}
  Group: {Value: !Ref Group}
  GroupName: {Value: !GetAtt Group.TargetGroupName}
  GroupFullName: {Value: !GetAtt Group.TargetGroupFullName}
  GroupLbs: {Value: !Join [",", !GetAtt Group.LoadBalancerArns]}
  Listener: {Value: !GetAtt Front.ListenerArn}
  Rule: {Value: !GetAtt ToApp.RuleArn}
  RuleDefault: {Value: !GetAtt ToApp.IsDefault}
""" % (", ".join(SUBNETS), VPC)


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


@pytest.fixture
def backend() -> Iterator[Backend]:
    b = Backend("cfn")
    yield b
    b.close()


def _get(address: str, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(address, 80, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_load_balancer_target_group_listener_and_rule(cfn: Any, gureum: Any, backend: Backend) -> None:
    name = uniq("elb")
    params = [{"ParameterKey": "TargetPort", "ParameterValue": str(backend.port)}]
    cfn.create_stack(StackName=name, TemplateBody=LB, Parameters=params)
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    elb = gureum.client("elbv2")
    lb = elb.describe_load_balancers(LoadBalancerArns=[out["Alb"]])["LoadBalancers"][0]
    assert lb["State"]["Code"] == "active" and lb["DNSName"] == out["Dns"]
    assert out["FullName"] == out["Alb"].split(":loadbalancer/")[1] and out["LbName"] == lb["LoadBalancerName"]
    assert out["Zone"] == lb["CanonicalHostedZoneId"]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=out["Alb"])["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "30"
    tg = elb.describe_target_groups(TargetGroupArns=[out["Group"]])["TargetGroups"][0]
    assert (tg["TargetGroupName"], tg["HealthCheckPath"]) == (out["GroupName"], "/health")
    assert out["GroupFullName"] == out["Group"].split(":")[5]
    assert out["GroupLbs"] == ""  # read when the group was made, before the listener used it (as AWS)
    assert out["RuleDefault"] == "false"
    rule = elb.describe_rules(RuleArns=[out["Rule"]])["Rules"][0]
    assert rule["Priority"] == "10" and rule["Conditions"][0]["Values"] == ["/app/*"]

    # the stack's alias record answers with the load balancer's own address
    address = wait_for("the alias to the load balancer in DNS",
                       lambda: resolve(gureum.dns_port, f"www.{name}.example.com"), 20)
    wait_listening(address, 80)
    status, body = _get(address, "/app/x")
    assert status == 200 and json.loads(body)["backend"] == "cfn"
    assert _get(address, "/other") == (404, b"nothing here")

    cfn.update_stack(StackName=name, TemplateBody=LB, Parameters=params + [
        {"ParameterKey": "Pattern", "ParameterValue": "/v2/*"}, {"ParameterKey": "Fallback", "ParameterValue": "gone"}])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert _outputs(stack)["Rule"] == out["Rule"] and _outputs(stack)["Listener"] == out["Listener"]
    wait_for("the new rule served", lambda: _get(address, "/v2/y")[0] == 200, 20)
    assert _get(address, "/app/x") == (404, b"gone")

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: elb.describe_load_balancers(LoadBalancerArns=[out["Alb"]]),
                 lambda: elb.describe_target_groups(TargetGroupArns=[out["Group"]])):
        with pytest.raises(ClientError):
            call()


CERT = """
Parameters:
  Domain: {Type: String}
  Zone: {Type: AWS::Route53::HostedZone::Id}
Resources:
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: !Sub "www.${Domain}"
      ValidationMethod: DNS
      DomainValidationOptions: [{DomainName: !Sub "www.${Domain}", HostedZoneId: !Ref Zone}]
      Tags: [{Key: app, Value: web}]
Outputs:
  Cert: {Value: !Ref Cert}
"""


def test_dns_validated_certificate_with_its_zone_is_issued(cfn: Any, gureum: Any) -> None:
    name = uniq("crt")
    domain = f"{name}.example.com"
    zone = gureum.client("route53").create_hosted_zone(Name=domain, CallerReference=name)["HostedZone"]["Id"]
    cfn.create_stack(StackName=name, TemplateBody=CERT, Parameters=[
        {"ParameterKey": "Domain", "ParameterValue": domain}, {"ParameterKey": "Zone", "ParameterValue": zone.rsplit("/", 1)[1]}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    arn = _outputs(stack)["Cert"]
    acm = gureum.client("acm")
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (cert["Status"], cert["DomainName"]) == ("ISSUED", f"www.{domain}")
    assert {"Key": "app", "Value": "web"} in acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        acm.describe_certificate(CertificateArn=arn)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_certificate_without_its_zone_waits_for_the_record(cfn: Any, gureum: Any) -> None:
    name = uniq("crw")
    domain = f"{name}.example.com"
    r53 = gureum.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=name)["HostedZone"]["Id"]
    template = {"Resources": {"Cert": {"Type": "AWS::CertificateManager::Certificate",
                                       "Properties": {"DomainName": domain, "ValidationMethod": "DNS"}}}}
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))["StackId"]

    def record_event() -> str | None:
        for e in events(cfn, sid):
            reason = e.get("ResourceStatusReason", "")
            if e["LogicalResourceId"] == "Cert" and reason.startswith("Content of DNS Record is: {Name: "):
                return str(reason)
        return None
    reason = wait_for("the record's content in an event", record_event, 60)
    assert cfn.describe_stacks(StackName=sid)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    record_name = reason.split("Name: ", 1)[1].split(",", 1)[0]
    value = reason.split("Value: ", 1)[1].rstrip("}")
    assert reason == f"Content of DNS Record is: {{Name: {record_name},Type: CNAME,Value: {value}}}"
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": record_name, "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})
    assert settle(cfn, sid, timeout=120)["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, sid)
    cfn.delete_stack(StackName=sid)
    assert settle(cfn, sid, timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, sid)
