"""AWS::ElasticLoadBalancingV2::ListenerCertificate through boto3 against a real gureum: three
DNS-validated certificates the stack has issued (their records written into the test's hosted
zone), two HTTPS listeners with the first as their default, and a ListenerCertificate adding
the second to the first listener; an update swapping it for the third in place, another
moving it to the other listener (a replacement: added there, removed from the first); delete
leaving each listener its default certificate only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.elbv2.elb_helpers import SUBNETS

from .helpers import failures, settle, statuses, uniq

TEMPLATE = """
Parameters:
  Domain: {Type: String}
  Zone: {Type: AWS::Route53::HostedZone::Id}
  Extra: {Type: String, Default: b, AllowedValues: [b, c]}
  Where: {Type: String, Default: front, AllowedValues: [front, back]}
Conditions:
  UseB: !Equals [!Ref Extra, b]
  OnFront: !Equals [!Ref Where, front]
Resources:
  CertA:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: !Sub "a.${Domain}"
      ValidationMethod: DNS
      DomainValidationOptions: [{DomainName: !Sub "a.${Domain}", HostedZoneId: !Ref Zone}]
  CertB:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: !Sub "b.${Domain}"
      ValidationMethod: DNS
      DomainValidationOptions: [{DomainName: !Sub "b.${Domain}", HostedZoneId: !Ref Zone}]
  CertC:
    Type: AWS::CertificateManager::Certificate
    Properties:
      DomainName: !Sub "c.${Domain}"
      ValidationMethod: DNS
      DomainValidationOptions: [{DomainName: !Sub "c.${Domain}", HostedZoneId: !Ref Zone}]
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [%s]}
  Front:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Protocol: HTTPS
      Port: 443
      Certificates: [{CertificateArn: !Ref CertA}]
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: "200", ContentType: text/plain, MessageBody: front}}]
  Back:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Protocol: HTTPS
      Port: 8443
      Certificates: [{CertificateArn: !Ref CertA}]
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: "200", ContentType: text/plain, MessageBody: back}}]
  More:
    Type: AWS::ElasticLoadBalancingV2::ListenerCertificate
    Properties:
      ListenerArn: !If [OnFront, !Ref Front, !Ref Back]
      Certificates: [{CertificateArn: !If [UseB, !Ref CertB, !Ref CertC]}]
Outputs:
  A: {Value: !Ref CertA}
  B: {Value: !Ref CertB}
  C: {Value: !Ref CertC}
  Front: {Value: !Ref Front}
  Back: {Value: !Ref Back}
  More: {Value: !Ref More}
""" % ", ".join(SUBNETS)


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_listener_certificate_added_swapped_and_moved(cfn: Any, gureum: Any) -> None:
    name = uniq("lcrt")
    domain = f"{name}.example.com"
    zone = gureum.client("route53").create_hosted_zone(Name=domain, CallerReference=name)["HostedZone"]["Id"]
    base = {"Domain": domain, "Zone": zone.rsplit("/", 1)[1]}

    def params(**more: str) -> list[dict[str, str]]:
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in {**base, **more}.items()]

    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params())
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["More"]
    elb = gureum.client("elbv2")

    def certs(listener: str) -> list[tuple[str, bool]]:
        return [(c["CertificateArn"], c["IsDefault"])
                for c in elb.describe_listener_certificates(ListenerArn=out[listener])["Certificates"]]

    assert certs("Front") == [(out["A"], True), (out["B"], False)]
    assert certs("Back") == [(out["A"], True)]

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params(Extra="c"))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["More"] == out["More"]
    assert certs("Front") == [(out["A"], True), (out["C"], False)]

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params(Extra="c", Where="back"))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["More"] != out["More"]
    assert certs("Front") == [(out["A"], True)]
    assert certs("Back") == [(out["A"], True), (out["C"], False)]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
