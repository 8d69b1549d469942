"""IAM refuses what AWS refuses, with AWS's code, HTTP status, fault type and message, and
answers with AWS's fields and documents as written (issue 27), through boto3 against a real
gureum. Each test works in an account of its own (a 12-digit access key id is that account)."""

from __future__ import annotations

import json
import random
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

V = "2012-10-17"


def doc(*statements: dict[str, Any], version: str | None = V, **top: Any) -> str:
    d: dict[str, Any] = {} if version is None else {"Version": version}
    d["Statement"] = list(statements)
    d.update(top)
    return json.dumps(d)


def st(**fields: Any) -> dict[str, Any]:
    """A permissions statement; a field given as None is left out."""
    base: dict[str, Any] = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def ts(**fields: Any) -> dict[str, Any]:
    """A trust statement; a field given as None is left out."""
    base: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


TRUST = doc(ts())


@pytest.fixture
def iam(gureum):
    account = str(random.randint(10**11, 10**12 - 1))
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def refusal(call: Any, **kwargs: Any) -> tuple[str, int, str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Type", ""), r["Error"]["Message"]


def malformed(message: str) -> tuple[str, int, str, str]:
    return "MalformedPolicyDocument", 400, "Sender", message


SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"

# (what, document, AWS's message) for CreatePolicy: each was accepted before issue 27 unless noted.
MANAGED_REFUSALS = [
    ("not JSON (was 'This policy contains invalid Json')", "not json", SYNTAX),
    ("no Version", doc(st(), version=None), "Policy document must be version 2012-10-17 or greater."),
    ("Version 2008-10-17", doc(st(), version="2008-10-17"), "Policy document must be version 2012-10-17 or greater."),
    ("unknown Version (was 'legacy parsing')", doc(st(), version="2013-10-17"), SYNTAX),
    ("unknown top-level element", doc(st(), Extra="x"), SYNTAX),
    ("unknown statement element", doc(st(Extra="x")), SYNTAX),
    ("Id not a string", doc(st(), Id=["x"]), SYNTAX),
    ("Sid not a string (was a 500)", doc(st(Sid={})), SYNTAX),
    ("Action and NotAction", doc(st(NotAction="s3:GetObject")), SYNTAX),
    ("Resource and NotResource", doc(st(NotResource="*")), SYNTAX),
    ("Resource an object (was an ARN-format message)", doc(st(Resource={"a": "b"})), SYNTAX),
    ("Action a list of lists", doc(st(Action=[[]])), SYNTAX),
    ("unknown condition operator", doc(st(Condition={"StringEqualz": {"aws:username": "x"}})), SYNTAX),
    ("Condition a list", doc(st(Condition=[])), SYNTAX),
    ("condition block not an object", doc(st(Condition={"StringEquals": "x"})), SYNTAX),
    ("Effect lower-case (was syntax)", doc(st(Effect="allow")), LEGACY),
    ("a date condition that is no date", doc(st(Condition={"DateGreaterThan": {"aws:CurrentTime": "soon"}})), LEGACY),
    ("month 13", doc(st(Condition={"DateLessThan": {"aws:CurrentTime": "2024-13"}})), LEGACY),
    ("resource the old parser cannot read", doc(st(Resource="arn:aws:s3::bucket")), LEGACY),
    ("empty Action list", doc(st(Action=[])), "Policy statement must contain actions."),
    ("empty Resource list", doc(st(Resource=[])), "Policy statement must contain resources."),
    ("unknown partition", doc(st(Resource="arn:error:s3:::bucket")),
     'Partition "error" is not valid for resource "arn:error:s3:::bucket".'),
    ("partition of a non-ARN", doc(st(Resource="a:b:c")), 'Partition "b" is not valid for resource "arn:b:c:*:*:*".'),
    ("ARN without a vendor", doc(st(Resource="arn:aws")),
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("S3 ARN with a region", doc(st(Resource="arn:aws:s3:us-east-1::bucket")),
     "Resource arn:aws:s3:us-east-1::bucket can not contain region information."),
    ("IAM ARN with a region", doc(st(Resource="arn:aws:iam:us-east-1::user/x")),
     "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information."),
    ("IAM ARN of no resource kind", doc(st(Resource="arn:aws:iam:::bucket")),
     'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
     "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, "
     "report/, access-report/."),
    ("action with two colons", doc(st(Action="s3:List:Bucket")), "Actions/Condition can contain only one colon."),
    ("vendor with a space", doc(st(Action="s 3:ListBucket")), "Vendor s 3 is not valid"),
    ("NotAction empty string (already refused)", doc(st(Action=None, NotAction="")),
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
]


@pytest.mark.parametrize("what, document, message", MANAGED_REFUSALS, ids=[c[0] for c in MANAGED_REFUSALS])
def test_create_policy_refuses_what_iam_refuses(iam, what, document, message):
    assert refusal(iam.create_policy, PolicyName="p", PolicyDocument=document) == malformed(message)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_policy_the_engine_could_not_evaluate_is_refused(iam):
    """Stored policies are evaluated under --auth strict; one the engine could not read would
    be skipped there (a Deny lost), so IAM's write refuses it in IAM's words."""
    assert refusal(iam.create_policy, PolicyName="p", PolicyDocument=doc(
        st(Effect="Deny", Condition={"StringEquals": {"username": "bob"}}))) == malformed(
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    iam.create_user(UserName="u")
    assert refusal(iam.put_user_policy, UserName="u", PolicyName="p", PolicyDocument=doc(
        st(Effect="Deny", Condition={"Null": {"aws:TokenIssueTime": "maybe"}}))) == malformed(SYNTAX)


def test_policy_versions_are_checked_as_managed_policies(iam):
    arn = iam.create_policy(PolicyName="p", PolicyDocument=doc(st()))["Policy"]["Arn"]
    assert refusal(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(st(), version=None)) == malformed(
        "Policy document must be version 2012-10-17 or greater.")
    assert refusal(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(st(Extra=1))) == malformed(SYNTAX)
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(st()))
    assert refusal(iam.create_policy_version, PolicyArn=arn, PolicyDocument=doc(st())) == (
        "LimitExceeded", 409, "Sender",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")


def test_stages_answer_in_iams_order(iam):
    """IAM reports the first failing stage: version before the legacy parser, duplicate Sids
    before missing actions, missing resources before a resource's format, the resource's
    format before an action's prefix."""
    cases = [
        (doc(st(Effect="denY"), version=None), "Policy document must be version 2012-10-17 or greater."),
        (doc(st(Sid="a"), {"Sid": "a", "Effect": "Allow"}), "Statement IDs (SID) in a single policy must be unique."),
        (doc({"Effect": "Allow", "Action": "invalid"}), "Policy statement must contain resources."),
        (doc(st(Action="s:3:ListBucket", Resource="bucket")), 'Resource bucket must be in ARN format or "*".'),
        (doc(st(Resource=["arn:error:s3:::b", "arn:error:s3::b"])),
         'Partition "error" is not valid for resource "arn:error:s3:::b".'),
    ]
    for document, message in cases:
        assert refusal(iam.create_policy, PolicyName="p", PolicyDocument=document) == malformed(message), document


@pytest.mark.parametrize("document", [
    doc(st(Action="iam: asdf safdsf af ")),
    doc(st(Resource=["arn:aws:s3:::bucket", "*"])),
    doc(st(Resource="arn:aws:iam:::user/someone")),
    doc(st(Resource="arn:aws:ec2:us-east-1::instance/*")),
    doc(st(Condition={"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"},
                      "DateLessThan": {"aws:EpochTime": "1700000000"}})),
    doc(st(Condition={"ForAllValues:StringEqualsIfExists": {"aws:TagKeys": ["a", "b"]},
                      "NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": True}})),
    doc(st(Condition={})),
    doc(st(Sid="One"), st(Sid="Two", Effect="Deny", Action=None, NotAction="iam:*", Resource=None, NotResource="*")),
])
def test_documents_iam_accepts_are_accepted(iam, document):
    iam.create_policy(PolicyName="p", PolicyDocument=document)


def test_inline_policies_take_either_version_and_are_checked(iam):
    iam.create_user(UserName="u")
    put = iam.put_user_policy
    put(UserName="u", PolicyName="old", PolicyDocument=doc(st(), version=None))  # AWS accepts these inline
    put(UserName="u", PolicyName="v2008", PolicyDocument=doc(st(), version="2008-10-17"))
    assert refusal(put, UserName="u", PolicyName="x", PolicyDocument="{") == malformed(SYNTAX)
    assert refusal(put, UserName="u", PolicyName="x", PolicyDocument=doc(st(), Foo=1)) == malformed(SYNTAX)
    assert refusal(put, UserName="u", PolicyName="x", PolicyDocument=doc(st(Principal="*"))) == malformed(
        "Policy document should not specify a principal.")
    assert refusal(put, UserName="u", PolicyName="x", PolicyDocument=doc(st(Resource=None))) == malformed(
        "Policy statement must contain resources.")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refusal(iam.put_role_policy, RoleName="r", PolicyName="x",
                   PolicyDocument=doc(st(Action="s3:a:b"))) == malformed("Actions/Condition can contain only one colon.")
    iam.create_group(GroupName="g")
    assert refusal(iam.put_group_policy, GroupName="g", PolicyName="x",
                   PolicyDocument=doc(st(Effect="Allow", Resource="arn:aws:s3:us-west-2::b"))) == malformed(
        "Resource arn:aws:s3:us-west-2::b can not contain region information.")
    assert sorted(iam.list_user_policies(UserName="u")["PolicyNames"]) == ["old", "v2008"]


TRUST_REFUSALS = [
    ("not JSON", "{", "This policy contains invalid Json"),
    ("Resource (was with a period)", doc(ts(Resource="*")), "Has prohibited field Resource"),
    ("no Principal (was with a period)", doc(ts(Principal=None)), "Missing required field Principal"),
    ("unknown condition operator (was a vendor message)", doc(ts(Condition={"Foo": {"a": "b"}})), SYNTAX),
    ("Sid not a string (was a 500)", doc(ts(Sid=["a"])), SYNTAX),
    ("not an STS action", doc(ts(Action="s3:GetObject")), "AssumeRole policy may only specify STS AssumeRole actions."),
]


@pytest.mark.parametrize("what, document, message", TRUST_REFUSALS, ids=[c[0] for c in TRUST_REFUSALS])
def test_trust_policies_refused_as_iam_refuses(iam, what, document, message):
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=document) == malformed(message)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refusal(iam.update_assume_role_policy, RoleName="r", PolicyDocument=document) == malformed(message)


def test_trust_policies_take_either_version_or_none(iam):
    iam.create_role(RoleName="none", AssumeRolePolicyDocument=doc(ts(), version=None))
    iam.create_role(RoleName="old", AssumeRolePolicyDocument=doc(ts(Sid=""), version="2008-10-17"))


def test_create_role_answers_without_max_session_duration(iam):
    created = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200,
                              Description="d")["Role"]
    assert "MaxSessionDuration" not in created and "RoleLastUsed" not in created
    assert created["Description"] == "d"
    got = iam.get_role(RoleName="r")["Role"]
    assert got["MaxSessionDuration"] == 7200 and got["RoleLastUsed"] == {}
    slr = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
    assert "MaxSessionDuration" not in slr and "RoleLastUsed" not in slr
    described = iam.update_role_description(RoleName="r", Description="new")["Role"]
    assert described["Description"] == "new"
    assert "MaxSessionDuration" not in described and "RoleLastUsed" not in described


def _raw_bodies(client: Any) -> list[bytes]:
    """The raw response bodies `client` receives, in order (botocore's before-parse event)."""
    bodies: list[bytes] = []
    client.meta.events.register("before-parse.iam.*", lambda response_dict, **kw: bodies.append(response_dict["body"]))
    return bodies


def test_documents_come_back_as_written_url_encoded_in_the_raw_xml(iam):
    policy = '{"Version": "2012-10-17",\n "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}'
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
    bodies = _raw_bodies(iam)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=policy)
    arn = iam.create_policy(PolicyName="p", PolicyDocument=policy)["Policy"]["Arn"]
    del bodies[:]
    role = iam.get_role(RoleName="r")["Role"]
    inline = iam.get_role_policy(RoleName="r", PolicyName="inline")
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    # boto3 decodes them back to the document as written: a lone statement stays an object,
    # a lone action a string (no normalisation to lists)
    assert role["AssumeRolePolicyDocument"] == json.loads(trust)
    assert inline["PolicyDocument"]["Statement"]["Action"] == "s3:GetObject"
    assert version["Document"] == json.loads(policy)
    raw_role, raw_inline, raw_version = (b.decode() for b in bodies)
    encoded_trust = raw_role.split("<AssumeRolePolicyDocument>")[1].split("</AssumeRolePolicyDocument>")[0]
    assert unquote(encoded_trust) == trust and "%22Principal%22%3A%20%7B" in encoded_trust
    encoded_inline = raw_inline.split("<PolicyDocument>")[1].split("</PolicyDocument>")[0]
    assert unquote(encoded_inline) == policy and "%0A" in encoded_inline
    encoded_version = raw_version.split("<Document>")[1].split("</Document>")[0]
    assert unquote(encoded_version) == policy


def test_create_role_raw_xml_has_no_max_session_duration(iam):
    bodies = _raw_bodies(iam)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.get_role(RoleName="r")
    created, got = (b.decode() for b in bodies)
    assert "<MaxSessionDuration>" not in created and "<RoleLastUsed" not in created
    assert "<MaxSessionDuration>3600</MaxSessionDuration>" in got


def test_names_paths_and_numbers_refused_in_aws_words(iam):
    cases = [
        (dict(RoleName="a/b"), "1 validation error detected: Value 'a/b' at 'roleName' failed to satisfy constraint: "
         r"Member must satisfy regular expression pattern: [\w+=,.@-]+"),
        (dict(RoleName="r", MaxSessionDuration=43201), "1 validation error detected: Value '43201' at "
         "'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"),
        (dict(RoleName="r", Path="/no-trailing-slash"), "1 validation error detected: Value '/no-trailing-slash' at "
         r"'path' failed to satisfy constraint: Member must satisfy regular expression pattern: "
         r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"),
    ]
    for kwargs, message in cases:
        assert refusal(iam.create_role, AssumeRolePolicyDocument=TRUST, **kwargs) == (
            "ValidationError", 400, "Sender", message)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refusal(iam.create_role, RoleName="R", AssumeRolePolicyDocument=TRUST) == (
        "EntityAlreadyExists", 409, "Sender", "Role with name R already exists.")
    assert refusal(iam.get_role, RoleName="nobody") == (
        "NoSuchEntity", 404, "Sender", "The role with name nobody cannot be found.")
    assert refusal(iam.tag_role, RoleName="r", Tags=[{"Key": "aws:x", "Value": "v"}])[:3] == (
        "InvalidInput", 400, "Sender")


def test_delete_role_conflicts_in_aws_words(iam):
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="r")
    assert refusal(iam.delete_role, RoleName="r") == (
        "DeleteConflict", 409, "Sender", "Cannot delete entity, must remove roles from instance profile first.")
    iam.remove_role_from_instance_profile(InstanceProfileName="ip", RoleName="r")
    iam.attach_role_policy(RoleName="r", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert refusal(iam.delete_role, RoleName="r") == (
        "DeleteConflict", 409, "Sender", "Cannot delete entity, must detach all policies first.")


@pytest.mark.parametrize("service, name", [
    ("accountdiscovery.ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM_AccountDiscovery"),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
])
def test_service_linked_roles_are_named_as_aws_names_them(iam, service, name):
    role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    assert (role["RoleName"], role["Path"]) == (name, f"/aws-service-role/{service}/")
    assert iam.get_role(RoleName=name)["Role"]["Arn"].endswith(f":role/aws-service-role/{service}/{name}")
    assert refusal(iam.create_service_linked_role, AWSServiceName=service) == (
        "InvalidInput", 400, "Sender",
        f"Service role name {name} has been taken in this account, please try a different suffix.")


def test_custom_suffix_only_where_the_service_takes_one(iam):
    assert refusal(iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com", CustomSuffix="x") == (
        "InvalidInput", 400, "Sender", "Custom suffix is not allowed for ecs.amazonaws.com")
    assert refusal(iam.create_service_linked_role, AWSServiceName="es.amazonaws.com", CustomSuffix="x") == (
        "InvalidInput", 400, "Sender", "Custom suffix is not allowed for es.amazonaws.com")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="fleet")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_fleet"
    assert iam.list_roles()["Roles"][0]["RoleName"] == "AWSServiceRoleForAutoScaling_fleet"


def test_a_service_linked_role_is_its_services_to_modify(iam):
    name = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]["RoleName"]
    protected = ("UnmodifiableEntity", 400, "Sender",
                 f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS")
    assert refusal(iam.update_assume_role_policy, RoleName=name, PolicyDocument=TRUST) == protected
    assert refusal(iam.put_role_policy, RoleName=name, PolicyName="x", PolicyDocument=doc(st())) == protected
    assert refusal(iam.attach_role_policy, RoleName=name,
                   PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess") == protected
    assert refusal(iam.put_role_permissions_boundary, RoleName=name,
                   PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess") == protected
    assert refusal(iam.delete_role, RoleName=name) == protected
    iam.update_role_description(RoleName=name, Description="the service's")  # a description is the caller's
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "the service's"


def test_trust_policies_name_users_and_roles_that_exist(gureum, iam):
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    missing = f"arn:aws:iam::{account}:role/nobody"
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=doc(ts(Principal={"AWS": missing}))) == (
        malformed(f'Invalid principal in policy: "AWS":"{missing}"'))
    user = iam.create_user(UserName="alice", Path="/team/")["User"]["Arn"]
    wrong_path = f"arn:aws:iam::{account}:user/alice"
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=doc(
        ts(Principal={"AWS": [user, wrong_path]}))) == malformed(f'Invalid principal in policy: "AWS":"{wrong_path}"')
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=doc(ts(Principal={"AWS": [user, account]})))
    assert refusal(iam.update_assume_role_policy, RoleName="r",
                   PolicyDocument=doc(ts(Principal={"AWS": missing}))) == malformed(
        f'Invalid principal in policy: "AWS":"{missing}"')
    # another account's role that exists is a valid principal; sessions and roots are not looked up
    other = str(int(account) + 1 if int(account) < 10**12 - 1 else int(account) - 1)
    theirs = gureum.client("iam", aws_access_key_id=other, aws_secret_access_key="x").create_role(
        RoleName="theirs", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    iam.update_assume_role_policy(RoleName="r", PolicyDocument=doc(ts(Principal={"AWS": [
        theirs, f"arn:aws:iam::{other}:root", f"arn:aws:sts::{other}:assumed-role/theirs/s"]})))


def test_a_permissions_boundary_that_does_not_exist_is_a_missing_scope(iam):
    missing = "arn:aws:iam::aws:policy/NoSuchBoundary"
    scope = ("NoSuchEntity", 404, "Sender", f"Scope ARN: {missing} does not exist or is not attachable.")
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=missing) == scope
    assert refusal(iam.create_user, UserName="u", PermissionsBoundary=missing) == scope
    iam.create_user(UserName="u")
    assert refusal(iam.put_user_permissions_boundary, UserName="u", PermissionsBoundary=missing) == scope
    assert refusal(iam.attach_user_policy, UserName="u", PolicyArn=missing) == (
        "NoSuchEntity", 404, "Sender", f"Policy {missing} does not exist or is not attachable.")


def test_word_patterns_are_ascii_as_in_iam(iam):
    """\\w in IAM's patterns is ASCII (Java's): a letter outside it fails every such parameter."""
    pattern = r"[\w+=,.@-]+"
    for call, kwargs, field, value in [
        (iam.create_service_linked_role, {"AWSServiceName": "ecs.amazonaws.com", "CustomSuffix": "é"},
         "customSuffix", "é"),
        (iam.create_service_linked_role, {"AWSServiceName": "écs.amazonaws.com"}, "aWSServiceName", "écs.amazonaws.com"),
        (iam.create_user, {"UserName": "José"}, "userName", "José"),
        (iam.create_group, {"GroupName": "Grüne"}, "groupName", "Grüne"),
    ]:
        assert refusal(call, **kwargs) == ("ValidationError", 400, "Sender", (
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {pattern}"))


def test_json_nested_past_the_parser_is_a_syntax_error_not_a_500(iam):
    deep = '{"Statement": ' + "[" * 5000 + "]" * 5000 + "}"
    assert refusal(iam.create_policy, PolicyName="p", PolicyDocument=deep) == malformed(SYNTAX)
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=deep) == malformed(SYNTAX)
    iam.create_user(UserName="u")
    assert refusal(iam.put_user_policy, UserName="u", PolicyName="p", PolicyDocument=deep) == malformed(SYNTAX)


def test_documented_quotas_in_aws_words(iam):
    catalog = [p["Arn"] for p in iam.list_policies(Scope="AWS", MaxItems=20)["Policies"]][:11]
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    for arn in catalog[:10]:
        iam.attach_role_policy(RoleName="r", PolicyArn=arn)
    assert refusal(iam.attach_role_policy, RoleName="r", PolicyArn=catalog[10]) == (
        "LimitExceeded", 409, "Sender", "Cannot exceed quota for PoliciesPerRole: 10")
    iam.create_user(UserName="u")
    iam.create_access_key(UserName="u")
    iam.create_access_key(UserName="u")
    assert refusal(iam.create_access_key, UserName="u") == (
        "LimitExceeded", 409, "Sender", "Cannot exceed quota for AccessKeysPerUser: 2")
    iam.put_role_policy(RoleName="r", PolicyName="a", PolicyDocument=doc(st(Sid="x" * 5000)))
    assert refusal(iam.put_role_policy, RoleName="r", PolicyName="b", PolicyDocument=doc(st(Sid="y" * 5200))) == (
        "LimitExceeded", 409, "Sender", "Maximum policy size of 10240 bytes exceeded for role r")
    assert refusal(iam.create_role, RoleName="big", AssumeRolePolicyDocument=doc(ts(Sid="s" * 2000))) == (
        "LimitExceeded", 409, "Sender", "Cannot exceed quota for ACLSizePerRole: 2048")
    assert refusal(iam.create_policy, PolicyName="big", PolicyDocument=doc(st(Sid="p" * 6100))) == (
        "LimitExceeded", 409, "Sender", "Cannot exceed quota for PolicySize: 6144")


def test_a_missing_policy_in_each_operations_words(iam):
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    missing = f"arn:aws:iam::{account}:policy/nope"
    not_found = ("NoSuchEntity", 404, "Sender", f"Policy {missing} was not found.")
    assert refusal(iam.get_policy, PolicyArn=missing) == not_found
    assert refusal(iam.delete_policy, PolicyArn=missing) == not_found
    assert refusal(iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/Nope") == (
        "NoSuchEntity", 404, "Sender", "Policy arn:aws:iam::aws:policy/Nope was not found.")
    assert refusal(iam.get_policy_version, PolicyArn=missing, VersionId="v1") == (
        "NoSuchEntity", 404, "Sender", f"Policy {missing} version v1 does not exist or is not attachable.")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert refusal(iam.attach_role_policy, RoleName="r", PolicyArn=missing) == (
        "NoSuchEntity", 404, "Sender", f"Policy {missing} does not exist or is not attachable.")


def test_policy_tag_keys_are_case_sensitive_unlike_roles(iam):
    assert refusal(iam.create_role, RoleName="r", AssumeRolePolicyDocument=TRUST, Tags=[
        {"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}]) == (
        "InvalidInput", 400, "Sender", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    assert refusal(iam.create_policy, PolicyName="p", PolicyDocument=doc(st()), Tags=[
        {"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]) == (
        "InvalidInput", 400, "Sender", "Duplicate tag keys found.")
    arn = iam.create_policy(PolicyName="p", PolicyDocument=doc(st()), Tags=[
        {"Key": "team", "Value": "a"}, {"Key": "Team", "Value": "b"}])["Policy"]["Arn"]
    iam.untag_policy(PolicyArn=arn, TagKeys=["TEAM"])  # no such key: nothing removed
    assert sorted(t["Key"] for t in iam.list_policy_tags(PolicyArn=arn)["Tags"]) == ["Team", "team"]
    iam.untag_policy(PolicyArn=arn, TagKeys=["team"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "Team", "Value": "b"}]
