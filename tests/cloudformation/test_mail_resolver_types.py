"""SES and Route 53 Resolver resource types through boto3 against a real gureum: a domain
email identity whose three DKIM CNAMEs the same stack writes into its hosted zone from the
identity's DkimDNSTokenName/Value attributes (SES then verifies the domain), a template
rendered by SES and updated in place (its name stays), a forwarding resolver rule renamed
and re-pointed in place; delete removing them all."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .helpers import settle, statuses, uniq

TEMPLATE = """
Parameters:
  Domain: {Type: String}
  Subject: {Type: String, Default: "Hello {{name}}"}
  Endpoint: {Type: String}
  RuleName: {Type: String, Default: first}
  Port: {Type: String, Default: "53"}
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Ref Domain}
  Identity:
    Type: AWS::SES::EmailIdentity
    Properties: {EmailIdentity: !Ref Domain}
  Dkim:
    Type: AWS::Route53::RecordSetGroup
    Properties:
      HostedZoneId: !Ref Zone
      RecordSets:
        - {Name: !GetAtt Identity.DkimDNSTokenName1, Type: CNAME, TTL: "60", ResourceRecords: [!GetAtt Identity.DkimDNSTokenValue1]}
        - {Name: !GetAtt Identity.DkimDNSTokenName2, Type: CNAME, TTL: "60", ResourceRecords: [!GetAtt Identity.DkimDNSTokenValue2]}
        - {Name: !GetAtt Identity.DkimDNSTokenName3, Type: CNAME, TTL: "60", ResourceRecords: [!GetAtt Identity.DkimDNSTokenValue3]}
  Welcome:
    Type: AWS::SES::Template
    Properties:
      Template: {TemplateName: !Sub "${AWS::StackName}-welcome", SubjectPart: !Ref Subject, TextPart: "Hi {{name}}"}
  Forward:
    Type: AWS::Route53Resolver::ResolverRule
    Properties:
      RuleType: FORWARD
      DomainName: !Sub "corp.${Domain}"
      Name: !Ref RuleName
      ResolverEndpointId: !Ref Endpoint
      TargetIps: [{Ip: 127.0.0.1, Port: !Ref Port}]
Outputs:
  Identity: {Value: !Ref Identity}
  Token1: {Value: !GetAtt Identity.DkimDNSTokenName1}
  Template: {Value: !Ref Welcome}
  TemplateId: {Value: !GetAtt Welcome.Id}
  Rule: {Value: !Ref Forward}
  RuleId: {Value: !GetAtt Forward.ResolverRuleId}
  RuleArn: {Value: !GetAtt Forward.Arn}
  RuleName: {Value: !GetAtt Forward.Name}
  RuleDomain: {Value: !GetAtt Forward.DomainName}
  RuleEndpoint: {Value: !GetAtt Forward.ResolverEndpointId}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_email_identity_template_and_resolver_rule(cfn: Any, gureum: Any) -> None:
    name = uniq("mail")
    domain = f"{name}.example.net"
    resolver = gureum.client("route53resolver")
    endpoint = resolver.create_resolver_endpoint(
        CreatorRequestId=uuid.uuid4().hex, Direction="OUTBOUND", SecurityGroupIds=["sg-0123456789abcdef0"],
        IpAddresses=[{"SubnetId": "subnet-0123456789abcdef0"}, {"SubnetId": "subnet-0123456789abcdef1"}])["ResolverEndpoint"]["Id"]
    params = [{"ParameterKey": "Domain", "ParameterValue": domain}, {"ParameterKey": "Endpoint", "ParameterValue": endpoint}]
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params)
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    v2, v1 = gureum.client("sesv2"), gureum.client("ses")

    identity = v2.get_email_identity(EmailIdentity=domain)
    tokens = identity["DkimAttributes"]["Tokens"]
    assert out["Identity"] == domain and out["Token1"] == f"{tokens[0]}._domainkey.{domain}"
    wait_for(f"{domain} verified by the stack's DKIM records",
             lambda: v2.get_email_identity(EmailIdentity=domain)["VerificationStatus"] == "SUCCESS", 30)

    assert out["Template"] == out["TemplateId"] == f"{name}-welcome"
    rendered = v1.test_render_template(TemplateName=out["Template"], TemplateData='{"name": "Ann"}')["RenderedTemplate"]
    assert "Subject: Hello Ann" in rendered

    rule = resolver.get_resolver_rule(ResolverRuleId=out["Rule"])["ResolverRule"]
    assert (rule["Arn"], rule["Name"], rule["DomainName"]) == (out["RuleArn"], "first", f"corp.{domain}.")
    assert (out["RuleId"], out["RuleName"], out["RuleDomain"], out["RuleEndpoint"]) == (out["Rule"], "first", rule["DomainName"], endpoint)
    assert rule["TargetIps"][0]["Port"] == 53

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params + [
        {"ParameterKey": "Subject", "ParameterValue": "Welcome {{name}}"}, {"ParameterKey": "RuleName", "ParameterValue": "second"},
        {"ParameterKey": "Port", "ParameterValue": "5353"}])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    new = _outputs(stack)
    assert (new["Template"], new["Rule"], new["RuleName"]) == (out["Template"], out["Rule"], "second")
    rendered = v1.test_render_template(TemplateName=out["Template"], TemplateData='{"name": "Ann"}')["RenderedTemplate"]
    assert "Subject: Welcome Ann" in rendered
    assert resolver.get_resolver_rule(ResolverRuleId=out["Rule"])["ResolverRule"]["TargetIps"][0]["Port"] == 5353

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: v2.get_email_identity(EmailIdentity=domain), lambda: v1.get_template(TemplateName=out["Template"]),
                 lambda: resolver.get_resolver_rule(ResolverRuleId=out["Rule"])):
        with pytest.raises(ClientError):
            call()


def test_a_change_set_says_a_new_subject_updates_the_template_in_place(cfn: Any, gureum: Any) -> None:
    """AWS::SES::Template's createOnly path is Template/TemplateName: a new subject is
    Replacement False, a new name Replacement True."""
    name = uniq("tpl")
    body = {"Resources": {"T": {"Type": "AWS::SES::Template", "Properties": {"Template": {
        "TemplateName": {"Ref": "Name"}, "SubjectPart": {"Ref": "Subject"}, "TextPart": "x"}}}},
        "Parameters": {"Name": {"Type": "String"}, "Subject": {"Type": "String"}}}
    values = {"Name": f"{name}-a", "Subject": "one"}
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(body),
                           Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()])["StackId"]
    assert settle(cfn, name)["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)

    def replacement(**change: str) -> str:
        cs = uniq("cs")
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in {**values, **change}.items()]
        cfn.create_change_set(StackName=name, ChangeSetName=cs, TemplateBody=json.dumps(body), Parameters=params)
        wait_for("the change set", lambda: cfn.describe_change_set(StackName=name, ChangeSetName=cs)["Status"]
                 in ("CREATE_COMPLETE", "FAILED"), 30)
        out = cfn.describe_change_set(StackName=name, ChangeSetName=cs)
        return str(out["Changes"][0]["ResourceChange"]["Replacement"])

    assert replacement(Subject="two") == "False"
    assert replacement(Name=f"{name}-b") == "True"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, sid)["StackStatus"] == "DELETE_COMPLETE"
