"""Route 53 and Resolver types of issue 21 through boto3 against a real gureum, each family in
one stack in an account of its own (traffic policy instances and delegation sets have per-account limits): a reusable
delegation set, two traffic policies and a traffic policy instance in the stack's public zone,
answered over DNS by gureum's server. Created and read back through the route53 API, the DNS
answer and the outputs; the instance's TTL and policy changed in place (the answer follows), a
policy's comment changed in place; the policy in use renamed (a replacement: the instance moves
to the new policy, the old one is deleted after it); deleted, everything gone. And a Resolver
config (AutodefinedReverse off for a VPC, moved to another VPC, back to the default on delete)."""

from __future__ import annotations

import random
from typing import Any

import dns.message

from tests.route53.zones import udp

from .helpers import code_of, failures, outputs, parameters, settle, uniq, update_stack

ROUTE53 = """
Parameters:
  Ttl: {Type: Number, Default: 30}
  Use: {Type: String, Default: a, AllowedValues: [a, b]}
  CommentA: {Type: String, Default: first}
  NameB: {Type: String, Default: b1}
Conditions:
  UseA: !Equals [!Ref Use, a]
Resources:
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: !Sub "${AWS::StackName}.test"}
  Set:
    Type: AWS::Route53::DelegationSet
  PolicyA:
    Type: AWS::Route53::TrafficPolicy
    Properties:
      Name: !Sub "${AWS::StackName}-a"
      Comment: !Ref CommentA
      Document: '{"AWSPolicyFormatVersion": "2015-10-01", "RecordType": "A", "StartEndpoint": "one",
                  "Endpoints": {"one": {"Type": "value", "Value": "192.0.2.10"}}}'
  PolicyB:
    Type: AWS::Route53::TrafficPolicy
    Properties:
      Name: !Sub "${AWS::StackName}-${NameB}"
      Document: '{"AWSPolicyFormatVersion": "2015-10-01", "RecordType": "A", "StartEndpoint": "two",
                  "Endpoints": {"two": {"Type": "value", "Value": "192.0.2.20"}}}'
  Instance:
    Type: AWS::Route53::TrafficPolicyInstance
    Properties:
      HostedZoneId: !Ref Zone
      Name: !Sub "www.${AWS::StackName}.test"
      TTL: !Ref Ttl
      TrafficPolicyId: !If [UseA, !GetAtt PolicyA.Id, !GetAtt PolicyB.Id]
      TrafficPolicyVersion: !If [UseA, !GetAtt PolicyA.Version, !GetAtt PolicyB.Version]
Outputs:
  Set: {Value: !Ref Set}
  SetArn: {Value: !GetAtt Set.Arn}
  SetId: {Value: !GetAtt Set.Id}
  SetReference: {Value: !GetAtt Set.CallerReference}
  SetServers: {Value: !Join [",", !GetAtt Set.NameServers]}
  PolicyA: {Value: !Ref PolicyA}
  PolicyAArn: {Value: !GetAtt PolicyA.Arn}
  PolicyAId: {Value: !GetAtt PolicyA.Id}
  PolicyAVersion: {Value: !GetAtt PolicyA.Version}
  PolicyAType: {Value: !GetAtt PolicyA.Type}
  PolicyBId: {Value: !GetAtt PolicyB.Id}
  Instance: {Value: !Ref Instance}
  InstanceArn: {Value: !GetAtt Instance.Arn}
  InstanceId: {Value: !GetAtt Instance.Id}
  InstanceState: {Value: !GetAtt Instance.State}
  InstanceType: {Value: !GetAtt Instance.TrafficPolicyType}
"""


def _update(cfn: Any, name: str, params: dict[str, str]) -> dict[str, str]:
    """The outputs once `name` is updated to ROUTE53 with these parameters."""
    return outputs(update_stack(cfn, name, ROUTE53, params))


def _answer(gureum: Any, name: str) -> list[tuple[int, str]]:
    """(TTL, address) of the A records gureum's DNS server answers for `name`."""
    response = udp(dns.message.make_query(name, "A"), gureum.dns_port)
    return sorted((rr.ttl, rd.to_text()) for rr in response.answer for rd in rr)


def test_delegation_set_traffic_policies_and_instance(gureum: Any) -> None:
    account = str(random.randint(10**11, 10**12 - 1))
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    r53 = gureum.client("route53", aws_access_key_id=account, aws_secret_access_key="x")
    name = uniq("tpx")
    www = f"www.{name}.test"
    cfn.create_stack(StackName=name, TemplateBody=ROUTE53)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)

    # the delegation set
    dset = r53.get_reusable_delegation_set(Id=out["SetId"])["DelegationSet"]
    assert out["Set"] == out["SetArn"] and out["SetArn"].endswith(f":route53:::delegationset/{out['SetId']}")
    assert dset["CallerReference"] == out["SetReference"] and ",".join(dset["NameServers"]) == out["SetServers"]
    # the policies
    policy = r53.get_traffic_policy(Id=out["PolicyAId"], Version=1)["TrafficPolicy"]
    assert out["PolicyA"] == out["PolicyAArn"] and out["PolicyAArn"].endswith(f":route53:::trafficpolicy/{out['PolicyAId']}")
    assert (policy["Name"], policy["Comment"], out["PolicyAVersion"], out["PolicyAType"]) == (f"{name}-a", "first", "1", "A")
    # the instance, and gureum's DNS server answering it
    instance = r53.get_traffic_policy_instance(Id=out["InstanceId"])["TrafficPolicyInstance"]
    assert out["Instance"] == out["InstanceArn"] and out["InstanceArn"].endswith(f":route53:::trafficpolicyinstance/{out['InstanceId']}")
    assert (instance["Name"], instance["TTL"], instance["TrafficPolicyId"]) == (f"{www}.", 30, out["PolicyAId"])
    assert out["InstanceState"] == instance["State"] == "Applied" and out["InstanceType"] == "A"
    assert _answer(gureum, www) == [(30, "192.0.2.10")]

    # in place: the instance's TTL and policy, policy A's comment
    out2 = _update(cfn, name, {"Ttl": "60", "Use": "b", "CommentA": "second"})
    assert out2["InstanceId"] == out["InstanceId"] and out2["PolicyAId"] == out["PolicyAId"]
    instance = r53.get_traffic_policy_instance(Id=out["InstanceId"])["TrafficPolicyInstance"]
    assert (instance["TTL"], instance["TrafficPolicyId"]) == (60, out["PolicyBId"])
    assert r53.get_traffic_policy(Id=out["PolicyAId"], Version=1)["TrafficPolicy"]["Comment"] == "second"
    assert _answer(gureum, www) == [(60, "192.0.2.20")]

    # policy B renamed: replaced; the instance moves to the new policy before the old one goes
    out3 = _update(cfn, name, {"Ttl": "60", "Use": "b", "CommentA": "second", "NameB": "b2"})
    assert out3["PolicyBId"] != out["PolicyBId"] and out3["InstanceId"] == out["InstanceId"]
    assert r53.get_traffic_policy(Id=out3["PolicyBId"], Version=1)["TrafficPolicy"]["Name"] == f"{name}-b2"
    assert r53.get_traffic_policy_instance(Id=out["InstanceId"])["TrafficPolicyInstance"]["TrafficPolicyId"] == out3["PolicyBId"]
    assert code_of(r53.list_traffic_policy_versions, Id=out["PolicyBId"]) == "NoSuchTrafficPolicy"

    stack_id = stack["StackId"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack_id, timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack_id)
    assert code_of(r53.get_reusable_delegation_set, Id=out["SetId"]) == "NoSuchDelegationSet"
    assert code_of(r53.get_traffic_policy_instance, Id=out["InstanceId"]) == "NoSuchTrafficPolicyInstance"
    for pid in (out["PolicyAId"], out3["PolicyBId"]):
        assert code_of(r53.list_traffic_policy_versions, Id=pid) == "NoSuchTrafficPolicy"
    assert r53.list_traffic_policies()["TrafficPolicySummaries"] == []


RESOLVER_CONFIG = """
Parameters:
  Vpc: {Type: String}
Resources:
  Config:
    Type: AWS::Route53Resolver::ResolverConfig
    Properties: {ResourceId: !Ref Vpc, AutodefinedReverseFlag: DISABLE}
Outputs:
  Config: {Value: !Ref Config}
  Id: {Value: !GetAtt Config.Id}
  Owner: {Value: !GetAtt Config.OwnerId}
  State: {Value: !GetAtt Config.AutodefinedReverse}
"""


def test_resolver_config(gureum: Any) -> None:
    """AutodefinedReverse off for a VPC; another VPC (a replacement: the first back to ENABLED);
    deleted, every VPC back to AWS's default."""
    account = str(random.randint(10**11, 10**12 - 1))
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    r = gureum.client("route53resolver", aws_access_key_id=account, aws_secret_access_key="x")
    first, second = "vpc-0aaaaaaaaaaaaaaa1", "vpc-0bbbbbbbbbbbbbbb2"
    name = uniq("rcx")

    def state(vpc: str) -> str:
        return str(r.get_resolver_config(ResourceId=vpc)["ResolverConfig"]["AutodefinedReverse"])

    cfn.create_stack(StackName=name, TemplateBody=RESOLVER_CONFIG, Parameters=parameters({"Vpc": first}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    config = r.get_resolver_config(ResourceId=first)["ResolverConfig"]
    assert (out["Config"], out["Id"], out["Owner"], out["State"]) == (first, config["Id"], account, "DISABLED")
    assert state(first) == "DISABLED" and state(second) == "ENABLED"

    cfn.update_stack(StackName=name, TemplateBody=RESOLVER_CONFIG, Parameters=parameters({"Vpc": second}))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert outputs(stack)["Config"] == second and state(second) == "DISABLED" and state(first) == "ENABLED"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    assert state(first) == state(second) == "ENABLED"
