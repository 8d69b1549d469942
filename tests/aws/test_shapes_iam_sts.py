"""IAM and STS responses walked against botocore's output shapes (tests/aws/shape_check.py):
a realistic scenario of users, groups, roles, policies, instance profiles, access keys, OIDC
providers and STS credentials, every raw response checked before botocore parses it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from shape_check import ShapeRecorder

DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}]})


def test_iam_responses_match_the_model(gureum: Any) -> None:
    iam = gureum.client("iam")
    rec = ShapeRecorder(iam)
    n = uuid.uuid4().hex[:8]
    user, group, role, prof = f"u-{n}", f"g-{n}", f"r-{n}", f"ip-{n}"
    iam.create_user(UserName=user, Path="/shape/", Tags=[{"Key": "k", "Value": "v"}])
    iam.get_user(UserName=user)
    iam.update_user(UserName=user, NewPath="/shape2/")
    iam.tag_user(UserName=user, Tags=[{"Key": "a", "Value": "b"}])
    iam.list_user_tags(UserName=user)
    iam.untag_user(UserName=user, TagKeys=["a"])
    iam.list_users(PathPrefix="/shape2/")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.get_group(GroupName=group)
    iam.list_groups()
    iam.list_groups_for_user(UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=DOC)
    iam.get_group_policy(GroupName=group, PolicyName="gp")
    iam.list_group_policies(GroupName=group)
    iam.put_user_policy(UserName=user, PolicyName="up", PolicyDocument=DOC)
    iam.get_user_policy(UserName=user, PolicyName="up")
    iam.list_user_policies(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    iam.list_access_keys(UserName=user)
    iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    pol = iam.create_policy(PolicyName=f"p-{n}", PolicyDocument=DOC, Description="d",
                            Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    arn = pol["Arn"]
    iam.get_policy(PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=DOC, SetAsDefault=False)
    iam.list_policy_versions(PolicyArn=arn)
    iam.get_policy_version(PolicyArn=arn, VersionId="v2")
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    iam.list_policy_tags(PolicyArn=arn)
    iam.untag_policy(PolicyArn=arn, TagKeys=["x"])
    iam.list_policies(Scope="Local")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, Description="d", MaxSessionDuration=7200,
                    Tags=[{"Key": "k", "Value": "v"}])
    iam.get_role(RoleName=role)
    iam.update_role(RoleName=role, MaxSessionDuration=3600)
    iam.update_role_description(RoleName=role, Description="d2")
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=TRUST)
    iam.tag_role(RoleName=role, Tags=[{"Key": "a", "Value": "b"}])
    iam.list_role_tags(RoleName=role)
    iam.untag_role(RoleName=role, TagKeys=["a"])
    iam.put_role_policy(RoleName=role, PolicyName="rp", PolicyDocument=DOC)
    iam.get_role_policy(RoleName=role, PolicyName="rp")
    iam.list_role_policies(RoleName=role)
    for attach, kw in ((iam.attach_role_policy, {"RoleName": role}), (iam.attach_user_policy, {"UserName": user}),
                       (iam.attach_group_policy, {"GroupName": group})):
        attach(PolicyArn=arn, **kw)
    iam.list_attached_role_policies(RoleName=role)
    iam.list_attached_user_policies(UserName=user)
    iam.list_attached_group_policies(GroupName=group)
    iam.list_entities_for_policy(PolicyArn=arn)
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=arn)
    iam.get_role(RoleName=role)
    iam.delete_role_permissions_boundary(RoleName=role)
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arn)
    iam.get_user(UserName=user)
    iam.delete_user_permissions_boundary(UserName=user)
    iam.list_roles(PathPrefix="/")
    iam.create_instance_profile(InstanceProfileName=prof, Tags=[{"Key": "k", "Value": "v"}])
    iam.add_role_to_instance_profile(InstanceProfileName=prof, RoleName=role)
    iam.get_instance_profile(InstanceProfileName=prof)
    iam.list_instance_profiles()
    iam.list_instance_profiles_for_role(RoleName=role)
    iam.tag_instance_profile(InstanceProfileName=prof, Tags=[{"Key": "a", "Value": "b"}])
    iam.list_instance_profile_tags(InstanceProfileName=prof)
    iam.untag_instance_profile(InstanceProfileName=prof, TagKeys=["a"])
    iam.remove_role_from_instance_profile(InstanceProfileName=prof, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=prof)
    oidc = iam.create_open_id_connect_provider(Url=f"https://oidc-{n}.example.com", ClientIDList=["a"],
                                               ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=oidc, ClientID="b")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=oidc, ClientID="b")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=oidc, ThumbprintList=["1" * 40])
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=oidc, Tags=[{"Key": "a", "Value": "b"}])
    iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=oidc)
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=oidc, TagKeys=["a"])
    iam.list_open_id_connect_providers()
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=oidc)
    slr = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=n)["Role"]
    task = iam.delete_service_linked_role(RoleName=slr["RoleName"])["DeletionTaskId"]
    iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    iam.get_account_summary()
    iam.create_account_alias(AccountAlias=f"alias-{n}")
    iam.list_account_aliases()
    iam.delete_account_alias(AccountAlias=f"alias-{n}")
    for detach, kw in ((iam.detach_role_policy, {"RoleName": role}), (iam.detach_user_policy, {"UserName": user}),
                       (iam.detach_group_policy, {"GroupName": group})):
        detach(PolicyArn=arn, **kw)
    iam.delete_role_policy(RoleName=role, PolicyName="rp")
    iam.delete_role(RoleName=role)
    iam.delete_policy(PolicyArn=arn)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="up")
    iam.delete_group_policy(GroupName=group, PolicyName="gp")
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.update_group(GroupName=group, NewPath="/x/")
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 80, sorted(rec.operations)


def test_sts_responses_match_the_model(gureum: Any) -> None:
    iam = gureum.client("iam")
    sts = gureum.client("sts")
    rec = ShapeRecorder(sts)
    n = uuid.uuid4().hex[:8]
    role = iam.create_role(RoleName=f"sts-{n}", AssumeRolePolicyDocument=TRUST)["Role"]
    sts.get_caller_identity()
    creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="shape", DurationSeconds=900,
                            Tags=[{"Key": "k", "Value": "v"}])["Credentials"]
    sts.get_session_token(DurationSeconds=900)
    sts.get_federation_token(Name="fed", Policy=DOC)
    sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])
    assumed = gureum.client("sts", aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    rec2 = ShapeRecorder(assumed)
    assumed.get_caller_identity()
    findings = rec.findings + rec2.findings
    assert not findings, rec.report() + rec2.report()
    assert len(rec.operations) >= 5
