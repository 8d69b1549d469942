"""IAM server certificates and virtual MFA devices, and Kinesis resource policies, as
CloudFormation types through boto3 against a real gureum: created, read back in the owning
service, updated in place and by replacement, outputs checked, the stack's deletion undoing each.

IAM: a server certificate (path and tags in place: the ARN follows the path) and a virtual MFA
device enabled for a user with codes from its seed (tags in place; another user: a new device,
the old one deactivated and deleted). Kinesis: a stream's resource policy (document in place;
another stream: replaced, the first stream's policy removed).

AWS::Lambda::CapacityProvider has no test here: it is not registered (gureum serves no EC2, so
Lambda's CreateCapacityProvider always fails on the subnet: lambda_/capacity_providers.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.iam.test_certificates import self_signed

from .helpers import code_of, failures, outputs, parameters, settle, uniq

TEMPLATE = """
Parameters:
  CertBody: {Type: String, NoEcho: true}
  CertKey: {Type: String, NoEcho: true}
  CertPath: {Type: String, Default: /}
  Env: {Type: String, Default: prod}
  MfaUser: {Type: String, Default: A}
  Action: {Type: String, Default: "kinesis:GetRecords"}
  PolicyOn: {Type: String, Default: A}
Conditions:
  MfaA: !Equals [!Ref MfaUser, A]
  OnA: !Equals [!Ref PolicyOn, A]
Resources:
  Cert:
    Type: AWS::IAM::ServerCertificate
    Properties:
      CertificateBody: !Ref CertBody
      PrivateKey: !Ref CertKey
      Path: !Ref CertPath
      Tags: [{Key: env, Value: !Ref Env}]
  UserA: {Type: AWS::IAM::User}
  UserB: {Type: AWS::IAM::User}
  Mfa:
    Type: AWS::IAM::VirtualMFADevice
    Properties:
      Users: [!If [MfaA, !Ref UserA, !Ref UserB]]
      Tags: [{Key: env, Value: !Ref Env}]
  StreamA: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  StreamB: {Type: AWS::Kinesis::Stream, Properties: {ShardCount: 1}}
  Policy:
    Type: AWS::Kinesis::ResourcePolicy
    Properties:
      ResourceArn: !If [OnA, !GetAtt StreamA.Arn, !GetAtt StreamB.Arn]
      ResourcePolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: !Ref Action
            Resource: !If [OnA, !GetAtt StreamA.Arn, !GetAtt StreamB.Arn]
Outputs:
  Cert: {Value: !Ref Cert}
  CertArn: {Value: !GetAtt Cert.Arn}
  Mfa: {Value: !Ref Mfa}
  MfaSerial: {Value: !GetAtt Mfa.SerialNumber}
  UserA: {Value: !Ref UserA}
  UserB: {Value: !Ref UserB}
  Policy: {Value: !Ref Policy}
  StreamA: {Value: !GetAtt StreamA.Arn}
  StreamB: {Value: !GetAtt StreamB.Arn}
"""


def _tags(listing: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in listing["Tags"]}


def _devices(iam: Any, user: str) -> list[str]:
    return [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]]


def test_server_certificate_mfa_device_and_stream_policy(gureum: Any) -> None:
    cfn, iam, kin = gureum.client("cloudformation"), gureum.client("iam"), gureum.client("kinesis")
    body, key, _ = self_signed("www.example.com")
    name = uniq("iamk")
    params = {"CertBody": body, "CertKey": key}
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=parameters(params), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)

    cert = out["Cert"]
    meta = iam.get_server_certificate(ServerCertificateName=cert)["ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["Arn"] == out["CertArn"] and meta["Path"] == "/"
    assert _tags(iam.list_server_certificate_tags(ServerCertificateName=cert))["env"] == "prod"

    serial = out["Mfa"]
    assert serial == out["MfaSerial"] and ":mfa/" in serial
    assert _devices(iam, out["UserA"]) == [serial]
    assert _tags(iam.list_mfa_device_tags(SerialNumber=serial))["env"] == "prod"

    assert out["Policy"] == out["StreamA"]
    doc = json.loads(kin.get_resource_policy(ResourceARN=out["StreamA"])["Policy"])
    assert doc["Statement"][0]["Action"] == "kinesis:GetRecords"

    # in place: the certificate's path and tags, the device's tags, the policy's document
    params.update({"CertPath": "/edge/", "Env": "test", "Action": "kinesis:DescribeStreamSummary"})
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=parameters(params), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    after = outputs(stack)
    assert (after["Cert"], after["Mfa"], after["Policy"]) == (cert, serial, out["StreamA"])
    meta = iam.get_server_certificate(ServerCertificateName=cert)["ServerCertificate"]["ServerCertificateMetadata"]
    assert meta["Path"] == "/edge/" and meta["Arn"] == after["CertArn"] and after["CertArn"].endswith("/edge/" + cert)
    assert _tags(iam.list_server_certificate_tags(ServerCertificateName=cert))["env"] == "test"
    assert _tags(iam.list_mfa_device_tags(SerialNumber=serial))["env"] == "test"
    doc = json.loads(kin.get_resource_policy(ResourceARN=out["StreamA"])["Policy"])
    assert doc["Statement"][0]["Action"] == "kinesis:DescribeStreamSummary"

    # replacements: the device for another user, the policy on another stream
    params.update({"MfaUser": "B", "PolicyOn": "B"})
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=parameters(params), Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    after = outputs(stack)
    new_serial = after["Mfa"]
    assert new_serial != serial
    assert _devices(iam, out["UserA"]) == [] and _devices(iam, out["UserB"]) == [new_serial]
    listed = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert serial not in listed and new_serial in listed
    assert after["Policy"] == out["StreamB"]
    assert kin.get_resource_policy(ResourceARN=out["StreamA"])["Policy"] == "{}"
    assert "DescribeStreamSummary" in kin.get_resource_policy(ResourceARN=out["StreamB"])["Policy"]

    cfn.delete_stack(StackName=name)
    stack_id = stack["StackId"]
    assert settle(cfn, stack_id, timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack_id)
    assert code_of(lambda: iam.get_server_certificate(ServerCertificateName=cert)) == "NoSuchEntity"
    listed = [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]
    assert new_serial not in listed
    assert code_of(lambda: kin.get_resource_policy(ResourceARN=out["StreamB"])) == "ResourceNotFoundException"
