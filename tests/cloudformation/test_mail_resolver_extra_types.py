"""More SES, Route 53 Resolver and Kinesis resource types through boto3 against a real gureum.

SES: a configuration set, a receipt rule set and two ordered receipt rules; sending disabled
and TLS required on the set and a new recipient on a rule in place (same names), then the first
rule renamed (a replacement: the second rule follows the new one, the old one is gone).
Resolver: an outbound endpoint, a forwarding rule through it and the rule's VPC association;
the endpoint's tags changed in place, the association moved to another VPC (a replacement);
renaming the endpoint fails the update (UpdateResolverEndpoint is not served) and rolls back.
Kinesis: a stream's shard-level metrics enabled on create and changed in place. Delete removes
everything."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, outputs, parameters, settle, statuses, uniq, update_stack


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


SES = """
Parameters:
  RuleName: {Type: String, Default: first}
  Recipient: {Type: String, Default: ann@example.com}
  Sending: {Type: String, Default: "true"}
  Tls: {Type: String, Default: OPTIONAL}
Resources:
  Set:
    Type: AWS::SES::ConfigurationSet
    Properties:
      Name: !Sub "${AWS::StackName}-set"
      SendingOptions: {SendingEnabled: !Ref Sending}
      DeliveryOptions: {TlsPolicy: !Ref Tls}
  Rules:
    Type: AWS::SES::ReceiptRuleSet
    Properties: {RuleSetName: !Sub "${AWS::StackName}-rules"}
  Head:
    Type: AWS::SES::ReceiptRule
    Properties:
      RuleSetName: !Ref Rules
      Rule:
        Name: !Sub "${AWS::StackName}-${RuleName}"
        Enabled: true
        Recipients: [!Ref Recipient]
        Actions: [{AddHeaderAction: {HeaderName: X-Stack, HeaderValue: !Ref "AWS::StackName"}}]
  Tail:
    Type: AWS::SES::ReceiptRule
    Properties:
      RuleSetName: !Ref Rules
      After: !Ref Head
      Rule: {Name: !Sub "${AWS::StackName}-tail", Enabled: true, Actions: [{StopAction: {Scope: RuleSet}}]}
Outputs:
  Set: {Value: !Ref Set}
  Rules: {Value: !Ref Rules}
  Head: {Value: !Ref Head}
  Tail: {Value: !Ref Tail}
"""


def test_configuration_set_receipt_rule_set_and_rules(cfn: Any, gureum: Any) -> None:
    name = uniq("sesx")
    cfn.create_stack(StackName=name, TemplateBody=SES)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    v1, v2 = gureum.client("ses"), gureum.client("sesv2")
    assert (out["Set"], out["Rules"], out["Head"], out["Tail"]) == (f"{name}-set", f"{name}-rules", f"{name}-first", f"{name}-tail")
    assert v2.get_configuration_set(ConfigurationSetName=out["Set"])["SendingOptions"]["SendingEnabled"] is True
    rules = v1.describe_receipt_rule_set(RuleSetName=out["Rules"])["Rules"]
    assert [r["Name"] for r in rules] == [out["Head"], out["Tail"]]
    assert rules[0]["Recipients"] == ["ann@example.com"]

    stack = update_stack(cfn, name, SES, {"Sending": "false", "Tls": "REQUIRE", "Recipient": "bob@example.com"})
    assert outputs(stack)["Head"] == out["Head"]
    assert v2.get_configuration_set(ConfigurationSetName=out["Set"])["SendingOptions"]["SendingEnabled"] is False
    found = v1.describe_configuration_set(ConfigurationSetName=out["Set"], ConfigurationSetAttributeNames=["deliveryOptions"])
    assert found["DeliveryOptions"]["TlsPolicy"] == "Require"
    assert v1.describe_receipt_rule(RuleSetName=out["Rules"], RuleName=out["Head"])["Rule"]["Recipients"] == ["bob@example.com"]

    stack = update_stack(cfn, name, SES, {"Sending": "false", "Tls": "REQUIRE", "Recipient": "bob@example.com",
                                          "RuleName": "renamed"})
    head = outputs(stack)["Head"]
    assert head == f"{name}-renamed"
    rules = v1.describe_receipt_rule_set(RuleSetName=out["Rules"])["Rules"]
    assert [r["Name"] for r in rules] == [head, out["Tail"]]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: v2.get_configuration_set(ConfigurationSetName=out["Set"]),
                 lambda: v1.describe_receipt_rule_set(RuleSetName=out["Rules"])):
        with pytest.raises(ClientError):
            call()


RESOLVER = """
Parameters:
  Vpc: {Type: String}
  SubnetA: {Type: String}
  SubnetB: {Type: String}
  Team: {Type: String, Default: blue}
  EndpointName: {Type: String, Default: out}
Resources:
  Out:
    Type: AWS::Route53Resolver::ResolverEndpoint
    Properties:
      Direction: OUTBOUND
      Name: !Ref EndpointName
      SecurityGroupIds: [sg-0123456789abcdef0]
      IpAddresses: [{SubnetId: !Ref SubnetA}, {SubnetId: !Ref SubnetB}]
      Tags: [{Key: team, Value: !Ref Team}]
  Rule:
    Type: AWS::Route53Resolver::ResolverRule
    Properties:
      RuleType: FORWARD
      DomainName: !Sub "${AWS::StackName}.corp.example"
      ResolverEndpointId: !Ref Out
      TargetIps: [{Ip: 127.0.0.1, Port: "53"}]
  Assoc:
    Type: AWS::Route53Resolver::ResolverRuleAssociation
    Properties: {ResolverRuleId: !Ref Rule, VPCId: !Ref Vpc, Name: assoc}
Outputs:
  Endpoint: {Value: !Ref Out}
  EndpointId: {Value: !GetAtt Out.ResolverEndpointId}
  EndpointArn: {Value: !GetAtt Out.Arn}
  Direction: {Value: !GetAtt Out.Direction}
  HostVPCId: {Value: !GetAtt Out.HostVPCId}
  IpAddressCount: {Value: !GetAtt Out.IpAddressCount}
  EndpointName: {Value: !GetAtt Out.Name}
  Assoc: {Value: !Ref Assoc}
  AssocId: {Value: !GetAtt Assoc.ResolverRuleAssociationId}
  AssocRule: {Value: !GetAtt Assoc.ResolverRuleId}
  AssocVpc: {Value: !GetAtt Assoc.VPCId}
  AssocName: {Value: !GetAtt Assoc.Name}
  Rule: {Value: !Ref Rule}
"""


def _hex(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:17]


def test_resolver_endpoint_and_rule_association(cfn: Any, gureum: Any) -> None:
    name = uniq("rslv")
    params = {"Vpc": _hex("vpc-"), "SubnetA": _hex("subnet-"), "SubnetB": _hex("subnet-")}
    cfn.create_stack(StackName=name, TemplateBody=RESOLVER,
                     Parameters=parameters(params))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    r53r = gureum.client("route53resolver")
    ep = r53r.get_resolver_endpoint(ResolverEndpointId=out["Endpoint"])["ResolverEndpoint"]
    assert (out["EndpointId"], out["EndpointArn"], out["Direction"], out["HostVPCId"], out["IpAddressCount"],
            out["EndpointName"]) == (ep["Id"], ep["Arn"], "OUTBOUND", ep["HostVPCId"], "2", "out")
    assoc = r53r.get_resolver_rule_association(ResolverRuleAssociationId=out["Assoc"])["ResolverRuleAssociation"]
    assert (out["AssocId"], out["AssocRule"], out["AssocVpc"], out["AssocName"]) == (
        assoc["Id"], out["Rule"], params["Vpc"], "assoc")

    moved = {**params, "Vpc": _hex("vpc-"), "Team": "green"}
    stack = update_stack(cfn, name, RESOLVER, moved)
    new = outputs(stack)
    assert new["Endpoint"] == out["Endpoint"]
    tags = r53r.list_tags_for_resource(ResourceArn=out["EndpointArn"])["Tags"]
    assert {"Key": "team", "Value": "green"} in tags
    assert new["Assoc"] != out["Assoc"] and new["AssocVpc"] == moved["Vpc"]
    with pytest.raises(ClientError):
        r53r.get_resolver_rule_association(ResolverRuleAssociationId=out["Assoc"])

    stack = update_stack(cfn, name, RESOLVER, {**moved, "EndpointName": "renamed"}, expect="UPDATE_ROLLBACK_COMPLETE")
    reasons = [reason for logical, status, reason in failures(cfn, name) if logical == "Out"]
    assert reasons and "UpdateResolverEndpoint" in reasons[0]
    assert r53r.get_resolver_endpoint(ResolverEndpointId=out["Endpoint"])["ResolverEndpoint"]["Name"] == "out"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: r53r.get_resolver_endpoint(ResolverEndpointId=out["Endpoint"]),
                 lambda: r53r.get_resolver_rule(ResolverRuleId=out["Rule"]),
                 lambda: r53r.get_resolver_rule_association(ResolverRuleAssociationId=new["Assoc"])):
        with pytest.raises(ClientError):
            call()


KINESIS = """
Parameters:
  Metrics: {Type: CommaDelimitedList, Default: IncomingBytes}
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1, DesiredShardLevelMetrics: !Ref Metrics}
Outputs:
  Stream: {Value: !Ref Stream}
"""


def test_stream_shard_level_metrics(cfn: Any, gureum: Any) -> None:
    name = uniq("kmet")
    cfn.create_stack(StackName=name, TemplateBody=KINESIS)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    stream = outputs(stack)["Stream"]
    kinesis = gureum.client("kinesis")

    def metrics() -> list[str]:
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        return sorted(summary["EnhancedMonitoring"][0]["ShardLevelMetrics"])

    assert metrics() == ["IncomingBytes"]
    stack = update_stack(cfn, name, KINESIS, {"Metrics": "OutgoingRecords,IteratorAgeMilliseconds"})
    assert outputs(stack)["Stream"] == stream
    assert metrics() == ["IteratorAgeMilliseconds", "OutgoingRecords"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])


def test_a_configuration_set_change_sesv2_cannot_make_fails_and_rolls_back(cfn: Any, gureum: Any) -> None:
    """New tags on a configuration set need sesv2 TagResource, which is not served: the update
    fails naming what, and the rollback (nothing was changed) completes."""
    name = uniq("sest")
    template = """
Parameters:
  Team: {Type: String, Default: blue}
Resources:
  Set:
    Type: AWS::SES::ConfigurationSet
    Properties: {Tags: [{Key: team, Value: !Ref Team}]}
"""
    cfn.create_stack(StackName=name, TemplateBody=template)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    stack = update_stack(cfn, name, template, {"Team": "green"}, expect="UPDATE_ROLLBACK_COMPLETE")
    reasons = [reason for logical, _, reason in failures(cfn, name) if logical == "Set"]
    assert reasons and "Tags" in reasons[0]
    physical = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Set")["StackResourceDetail"]["PhysicalResourceId"]
    found = gureum.client("sesv2").get_configuration_set(ConfigurationSetName=physical)
    assert [t for t in found["Tags"] if not t["Key"].startswith("aws:")] == [{"Key": "team", "Value": "blue"}]
    assert {"Key": "aws:cloudformation:logical-id", "Value": "Set"} in found["Tags"]  # the stack's own tags, as AWS adds
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
