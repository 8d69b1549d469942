"""The policy language on plain values: validation (IAM's MalformedPolicyDocument messages),
actions, resources, principals, policy variables and every condition operator family, with
examples from the IAM user guide."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gureum.policy.engine import (
    ANONYMOUS,
    AuthRequest,
    Decision,
    PolicyError,
    Principal,
    parse_policy,
    statement_decision,
)

ACCT = "111122223333"
OTHER = "444455556666"
ALICE = Principal(f"arn:aws:iam::{ACCT}:user/division/alice", ACCT, "user")
BOB = Principal(f"arn:aws:iam::{ACCT}:user/bob", ACCT, "user")
ROOT = Principal(f"arn:aws:iam::{ACCT}:root", ACCT, "root")
SESSION = Principal(f"arn:aws:sts::{ACCT}:assumed-role/app/s1", ACCT, "assumed-role",
                    role_arn=f"arn:aws:iam::{ACCT}:role/app")
LAMBDA = Principal("lambda.amazonaws.com", "", "service", service="lambda.amazonaws.com")


def doc(*statements: dict[str, Any], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def verdict(policy: str, action: str, resource: str = "*", principal: Principal = ALICE,
            kind: str = "identity", **context: Any) -> Decision:
    return statement_decision(parse_policy(policy, kind=kind),
                              AuthRequest(principal, action, resource, context))


# --- validation -------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, message", [
    ("{not json", "identity", "This policy contains invalid Json"),
    ("[]", "identity", "This policy contains invalid Json"),
    (json.dumps({"Version": "2020-01-01", "Statement": []}), "identity", "The policy failed legacy parsing"),
    (json.dumps({"Version": "2012-10-17"}), "identity", "Syntax errors in policy."),
    (json.dumps({"Version": "2012-10-17", "Statement": [], "Extra": 1}), "identity", "Syntax errors in policy."),
    (doc({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}), "identity", "Syntax errors in policy."),
    (doc({"Effect": "Allow", "Resource": "*"}), "identity", "Policy statement must contain actions."),
    (doc(allow(Action="GetObject", Resource="*")), "identity",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (doc(allow(Action="s3:*")), "identity", "Policy statement must contain resources."),
    (doc(allow(Action="s3:*", Resource="bucket")), "identity", 'Resource bucket must be in ARN format or "*".'),
    (doc(allow(Action="s3:*", Resource="*", Principal="*")), "identity",
     "Policy document should not specify a principal."),
    (doc(allow(Action="s3:*", Resource="*")), "resource", "Missing required field Principal."),
    (doc(allow(Action="sts:AssumeRole")), "trust", "Missing required field Principal."),
    (doc(allow(Action="sts:AssumeRole", Principal="*", Resource="*")), "trust", "Has prohibited field Resource."),
    (doc(allow(Action="s3:GetObject", Principal="*")), "trust",
     "AssumeRole policy may only specify STS AssumeRole actions."),
    (doc(allow(Sid="a", Action="s3:*", Resource="*"), allow(Sid="a", Action="s3:*", Resource="*")), "identity",
     "Statement IDs (SID) in a single policy must be unique."),
    (doc(allow(Action="s3:*", NotAction="s3:Get*", Resource="*")), "identity", "Syntax errors in policy."),
    (doc(allow(Action="s3:*", Resource="*", Bogus=1)), "identity", "Syntax errors in policy."),
    (doc(allow(Action="s3:*", Resource="*", Condition={"StringEqualz": {"aws:username": "a"}})), "identity",
     "Syntax errors in policy."),
    (doc(allow(Action="s3:*", Resource="*", Condition={"NumericLessThan": {"s3:max-keys": "ten"}})), "identity",
     "Syntax errors in policy."),
    (doc(allow(Action="s3:*", Resource="*", Condition={"StringEquals": {"username": "a"}})), "identity",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (doc(allow(Action="sts:AssumeRole", Principal={"AWS": "alice"})), "trust",
     'Invalid principal in policy: "AWS":"alice"'),
    (doc(allow(Action="sts:AssumeRole", Principal={"Nobody": "x"})), "trust", "Syntax errors in policy."),
    # JSON nested deeper than the parser goes (was RecursionError: a 500 wherever a stored
    # resource policy is read)
    ('{"Statement": ' + "[" * 5000 + "]" * 5000 + "}", "resource", "Syntax errors in policy."),
])
def test_malformed_policies_are_refused_with_iams_message(text: str, kind: str, message: str) -> None:
    with pytest.raises(PolicyError) as err:
        parse_policy(text, kind=kind)
    assert str(err.value) == message


def test_statement_may_be_an_object_and_version_may_be_2008() -> None:
    text = json.dumps({"Version": "2008-10-17", "Statement": allow(Action="sqs:*", Resource="*")})
    assert verdict(text, "sqs:SendMessage") is Decision.ALLOW


def test_parse_accepts_an_already_decoded_document() -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": [allow(Action="s3:*", Resource="*")]})
    assert statement_decision(policy, AuthRequest(ALICE, "s3:ListBucket", "*")) is Decision.ALLOW


# --- actions and resources --------------------------------------------------------------

def test_actions_match_case_insensitively_with_wildcards() -> None:
    p = doc(allow(Action=["sqs:Send*", "s3:Get?bject"], Resource="*"))
    assert verdict(p, "SQS:sendmessagebatch") is Decision.ALLOW
    assert verdict(p, "s3:GETOBJECT") is Decision.ALLOW
    assert verdict(p, "s3:GetObjectAcl") is Decision.NONE
    assert verdict(p, "sqs:ReceiveMessage") is Decision.NONE


def test_not_action_applies_to_every_other_action() -> None:
    # IAM user guide: "Allows all actions except IAM" (NotAction with Allow)
    p = doc(allow(NotAction="iam:*", Resource="*"))
    assert verdict(p, "s3:PutObject") is Decision.ALLOW
    assert verdict(p, "iam:CreateUser") is Decision.NONE


def test_resources_match_case_sensitively_and_segment_wise() -> None:
    p = doc(allow(Action="sqs:*", Resource=f"arn:aws:sqs:*:{ACCT}:orders-*"))
    assert verdict(p, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:orders-eu") is Decision.ALLOW
    assert verdict(p, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:Orders-eu") is Decision.NONE
    assert verdict(p, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{OTHER}:orders-eu") is Decision.NONE
    # a wildcard in the region segment does not swallow the account
    p = doc(allow(Action="sqs:*", Resource="arn:aws:sqs:*:queue"))
    assert verdict(p, "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCT}:queue") is Decision.NONE
    # the last segment's wildcard spans colons (Lambda versions, S3 keys)
    p = doc(allow(Action="lambda:*", Resource=f"arn:aws:lambda:us-east-1:{ACCT}:function:*"))
    assert verdict(p, "lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCT}:function:f:prod") is Decision.ALLOW


def test_not_resource() -> None:
    p = doc({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::public", "arn:aws:s3:::public/*"]})
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::private/k") is Decision.DENY
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::public/k") is Decision.NONE


def test_user_home_folder_example_with_policy_variables() -> None:
    # IAM user guide: "Allows IAM users to access their own home directory in Amazon S3"
    p = doc(allow(Action=["s3:PutObject", "s3:GetObject"], Resource="arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"))
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/notes.txt") is Decision.ALLOW
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/notes.txt") is Decision.NONE
    # a variable the request lacks makes the resource match nothing
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home//x", principal=SESSION) is Decision.NONE
    # the caller's context wins over derived keys; values are literal (no wildcard widening)
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/x", **{"aws:username": "*"}) is Decision.NONE


def test_variable_escapes_defaults_and_legacy_version() -> None:
    p = doc(allow(Action="s3:*", Resource="arn:aws:s3:::b/${*}/${?}/${$}"))
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::b/*/?/$") is Decision.ALLOW
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::b/x/y/$") is Decision.NONE
    p = doc(allow(Action="s3:*", Resource="arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}/*"))
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::b/none/k") is Decision.ALLOW
    assert verdict(p, "s3:GetObject", "arn:aws:s3:::b/red/k", **{"aws:PrincipalTag/team": "red"}) is Decision.ALLOW
    legacy = doc(allow(Action="s3:*", Resource="arn:aws:s3:::b/${aws:username}"), version="2008-10-17")
    assert verdict(legacy, "s3:GetObject", "arn:aws:s3:::b/alice") is Decision.NONE
    assert verdict(legacy, "s3:GetObject", "arn:aws:s3:::b/${aws:username}") is Decision.ALLOW


# --- principals -------------------------------------------------------------------------

def trust(principal: Any, **extra: Any) -> str:
    return doc(allow(Action="sts:AssumeRole", Principal=principal, **extra))


def test_principals_by_account_user_role_session_service_and_star() -> None:
    other_user = Principal(f"arn:aws:iam::{OTHER}:user/eve", OTHER, "user")
    assert verdict(trust({"AWS": ACCT}), "sts:AssumeRole", principal=ALICE, kind="trust") is Decision.ALLOW
    assert verdict(trust({"AWS": f"arn:aws:iam::{ACCT}:root"}), "sts:AssumeRole", principal=ROOT, kind="trust") is Decision.ALLOW
    assert verdict(trust({"AWS": ACCT}), "sts:AssumeRole", principal=other_user, kind="trust") is Decision.NONE
    assert verdict(trust({"AWS": ALICE.arn}), "sts:AssumeRole", principal=ALICE, kind="trust") is Decision.ALLOW
    assert verdict(trust({"AWS": ALICE.arn}), "sts:AssumeRole", principal=BOB, kind="trust") is Decision.NONE
    assert verdict(trust({"AWS": SESSION.role_arn}), "sts:AssumeRole", principal=SESSION, kind="trust") is Decision.ALLOW
    assert verdict(trust({"AWS": SESSION.arn}), "sts:AssumeRole", principal=SESSION, kind="trust") is Decision.ALLOW
    assert verdict(trust({"Service": "lambda.amazonaws.com"}), "sts:AssumeRole", principal=LAMBDA, kind="trust") is Decision.ALLOW
    assert verdict(trust({"Service": "ecs-tasks.amazonaws.com"}), "sts:AssumeRole", principal=LAMBDA, kind="trust") is Decision.NONE
    assert verdict(trust({"AWS": ACCT}), "sts:AssumeRole", principal=LAMBDA, kind="trust") is Decision.NONE
    assert verdict(trust("*"), "sts:AssumeRole", principal=ANONYMOUS, kind="trust") is Decision.ALLOW
    assert verdict(trust({"AWS": "*"}), "sts:AssumeRole", principal=other_user, kind="trust") is Decision.ALLOW


def test_federated_principals() -> None:
    google = Principal("accounts.google.com", "", "federated")
    p = doc(allow(Action="sts:AssumeRoleWithWebIdentity", Principal={"Federated": "accounts.google.com"},
                  Condition={"StringEquals": {"accounts.google.com:aud": "my-app"}}))
    assert verdict(p, "sts:AssumeRoleWithWebIdentity", principal=google, kind="trust",
                   **{"accounts.google.com:aud": "my-app"}) is Decision.ALLOW
    assert verdict(p, "sts:AssumeRoleWithWebIdentity", principal=google, kind="trust",
                   **{"accounts.google.com:aud": "other"}) is Decision.NONE
    assert verdict(p, "sts:AssumeRole", principal=ALICE, kind="trust") is Decision.NONE


def test_not_principal_excludes_only_a_fully_listed_chain() -> None:
    # IAM user guide (NotPrincipal): list the account and the role along with the session
    listed = {"AWS": [f"arn:aws:iam::{ACCT}:root", SESSION.role_arn, SESSION.arn]}
    p = doc({"Effect": "Deny", "NotPrincipal": listed, "Action": "s3:*", "Resource": "*"})
    assert verdict(p, "s3:GetObject", principal=SESSION, kind="resource") is Decision.NONE
    assert verdict(p, "s3:GetObject", principal=ALICE, kind="resource") is Decision.DENY
    only_session = {"AWS": [SESSION.arn]}
    p = doc({"Effect": "Deny", "NotPrincipal": only_session, "Action": "s3:*", "Resource": "*"})
    assert verdict(p, "s3:GetObject", principal=SESSION, kind="resource") is Decision.DENY


# --- conditions -------------------------------------------------------------------------

def cond(condition: dict[str, Any]) -> str:
    return doc(allow(Action="s3:*", Resource="*", Condition=condition))


def test_string_operators() -> None:
    assert verdict(cond({"StringEquals": {"aws:PrincipalTag/job": "admin"}}), "s3:GetObject",
                   **{"aws:principaltag/JOB": "admin"}) is Decision.ALLOW  # keys are case-insensitive
    assert verdict(cond({"StringEquals": {"aws:PrincipalTag/job": "admin"}}), "s3:GetObject",
                   **{"aws:PrincipalTag/job": "Admin"}) is Decision.NONE
    assert verdict(cond({"StringEqualsIgnoreCase": {"aws:PrincipalTag/job": "admin"}}), "s3:GetObject",
                   **{"aws:PrincipalTag/job": "ADMIN"}) is Decision.ALLOW
    assert verdict(cond({"StringLike": {"s3:prefix": ["home/${aws:username}/*", "public/*"]}}), "s3:ListBucket",
                   **{"s3:prefix": "home/alice/docs"}) is Decision.ALLOW
    assert verdict(cond({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}), "s3:ListBucket",
                   **{"s3:prefix": "home/bob/docs"}) is Decision.NONE
    # negated operators: NOR over the values, true on a missing key
    notin = cond({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}})
    assert verdict(notin, "s3:GetObject", **{"aws:RequestedRegion": "ap-south-1"}) is Decision.ALLOW
    assert verdict(notin, "s3:GetObject", **{"aws:RequestedRegion": "eu-west-1"}) is Decision.NONE
    assert verdict(notin, "s3:GetObject") is Decision.ALLOW
    assert verdict(cond({"StringNotLike": {"s3:prefix": "secret*"}}), "s3:GetObject",
                   **{"s3:prefix": "secrets/x"}) is Decision.NONE


def test_missing_keys_and_if_exists_and_null() -> None:
    eq = cond({"StringEquals": {"ec2:InstanceType": "t2.micro"}})
    assert verdict(eq, "s3:GetObject") is Decision.NONE
    eq_if = cond({"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}})
    assert verdict(eq_if, "s3:GetObject") is Decision.ALLOW
    assert verdict(eq_if, "s3:GetObject", **{"ec2:InstanceType": "m5.large"}) is Decision.NONE
    # IAM user guide: deny when the request used long-term credentials (no aws:TokenIssueTime)
    null = doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": "true"}}})
    assert verdict(null, "s3:GetObject") is Decision.DENY
    assert verdict(null, "s3:GetObject", **{"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is Decision.NONE
    present = cond({"Null": {"aws:TokenIssueTime": "false"}})
    assert verdict(present, "s3:GetObject", **{"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}) is Decision.ALLOW


def test_mfa_example_bool_if_exists() -> None:
    # IAM user guide: "Denies access to AWS based on ... MFA" with BoolIfExists
    p = doc(allow(Action="ec2:*", Resource="*"),
            {"Effect": "Deny", "Action": "ec2:StopInstances", "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    assert verdict(p, "ec2:StopInstances") is Decision.DENY
    assert verdict(p, "ec2:StopInstances", **{"aws:MultiFactorAuthPresent": False}) is Decision.DENY
    assert verdict(p, "ec2:StopInstances", **{"aws:MultiFactorAuthPresent": True}) is Decision.ALLOW


def test_numeric_and_date_operators() -> None:
    assert verdict(cond({"NumericLessThanEquals": {"s3:max-keys": "10"}}), "s3:ListBucket", **{"s3:max-keys": 10}) is Decision.ALLOW
    assert verdict(cond({"NumericLessThanEquals": {"s3:max-keys": "10"}}), "s3:ListBucket", **{"s3:max-keys": "11"}) is Decision.NONE
    assert verdict(cond({"NumericNotEquals": {"s3:max-keys": ["1", "2"]}}), "s3:ListBucket", **{"s3:max-keys": 3}) is Decision.ALLOW
    assert verdict(cond({"NumericGreaterThan": {"s3:max-keys": "1.5"}}), "s3:ListBucket", **{"s3:max-keys": "x"}) is Decision.NONE
    # IAM user guide: "Allows access based on date and time"
    window = cond({"DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                   "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}})
    inside = datetime(2020, 5, 1, tzinfo=timezone.utc)
    assert verdict(window, "s3:GetObject", **{"aws:CurrentTime": inside}) is Decision.ALLOW
    assert verdict(window, "s3:GetObject", **{"aws:CurrentTime": "2020-07-01T00:00:00Z"}) is Decision.NONE
    epoch = cond({"DateLessThan": {"aws:EpochTime": "1600000000"}})
    assert verdict(epoch, "s3:GetObject", **{"aws:EpochTime": 1500000000}) is Decision.ALLOW
    assert verdict(epoch, "s3:GetObject", **{"aws:EpochTime": "2021-01-01T00:00:00Z"}) is Decision.NONE


def test_ip_example_deny_outside_ranges() -> None:
    # IAM user guide: "Denies access to AWS based on the source IP"
    p = doc(allow(Action="*", Resource="*"),
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                           "Bool": {"aws:ViaAWSService": "false"}}})
    assert verdict(p, "s3:GetObject", **{"aws:SourceIp": "192.0.2.7", "aws:ViaAWSService": False}) is Decision.ALLOW
    assert verdict(p, "s3:GetObject", **{"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": False}) is Decision.DENY
    assert verdict(p, "s3:GetObject", **{"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": True}) is Decision.ALLOW
    v6 = cond({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}})
    assert verdict(v6, "s3:GetObject", **{"aws:SourceIp": "2001:db8::1"}) is Decision.ALLOW
    assert verdict(v6, "s3:GetObject", **{"aws:SourceIp": "10.0.0.1"}) is Decision.NONE


def test_arn_and_binary_operators() -> None:
    # the confused-deputy pattern: a service acting for a given source
    p = doc(allow(Action="sqs:SendMessage", Principal={"Service": "sns.amazonaws.com"},
                  Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCT}:alerts-*"}}))
    sns = Principal("sns.amazonaws.com", "", "service", service="sns.amazonaws.com")
    assert verdict(p, "sqs:SendMessage", principal=sns, kind="resource",
                   **{"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCT}:alerts-prod"}) is Decision.ALLOW
    assert verdict(p, "sqs:SendMessage", principal=sns, kind="resource",
                   **{"aws:SourceArn": f"arn:aws:sns:us-east-1:{OTHER}:alerts-prod"}) is Decision.NONE
    assert verdict(p, "sqs:SendMessage", principal=sns, kind="resource") is Decision.NONE
    not_arn = cond({"ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCT}:user/division/*"}})
    assert verdict(not_arn, "s3:GetObject", principal=BOB) is Decision.ALLOW
    assert verdict(not_arn, "s3:GetObject", principal=ALICE) is Decision.NONE
    binary = cond({"BinaryEquals": {"s3:tag": "QUJD"}})
    assert verdict(binary, "s3:GetObject", **{"s3:tag": b"ABC"}) is Decision.ALLOW
    assert verdict(binary, "s3:GetObject", **{"s3:tag": b"ABD"}) is Decision.NONE


def test_set_operators_over_multivalued_keys() -> None:
    # IAM user guide: ForAllValues:StringEquals on aws:TagKeys limits which tag keys may be sent
    all_of = cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}})
    assert verdict(all_of, "s3:PutObject", **{"aws:TagKeys": ["environment"]}) is Decision.ALLOW
    assert verdict(all_of, "s3:PutObject", **{"aws:TagKeys": ["environment", "owner"]}) is Decision.NONE
    assert verdict(all_of, "s3:PutObject") is Decision.ALLOW             # missing key: true
    assert verdict(all_of, "s3:PutObject", **{"aws:TagKeys": []}) is Decision.ALLOW
    any_of = cond({"ForAnyValue:StringLike": {"aws:TagKeys": "env*"}})
    assert verdict(any_of, "s3:PutObject", **{"aws:TagKeys": ["owner", "environment"]}) is Decision.ALLOW
    assert verdict(any_of, "s3:PutObject", **{"aws:TagKeys": ["owner"]}) is Decision.NONE
    assert verdict(any_of, "s3:PutObject") is Decision.NONE               # missing key: false
    none_of = cond({"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}})
    assert verdict(none_of, "s3:PutObject", **{"aws:TagKeys": ["a", "b"]}) is Decision.ALLOW
    assert verdict(none_of, "s3:PutObject", **{"aws:TagKeys": ["a", "secret"]}) is Decision.NONE
    # a multi-valued key under a plain operator: any value may match
    assert verdict(cond({"StringEquals": {"aws:TagKeys": "b"}}), "s3:PutObject",
                   **{"aws:TagKeys": ["a", "b"]}) is Decision.ALLOW


def test_operators_and_keys_and_values_combine_as_documented() -> None:
    # operators AND, keys AND, values OR
    p = cond({"StringEquals": {"aws:PrincipalTag/dept": ["a", "b"], "aws:PrincipalTag/role": "dev"},
              "Bool": {"aws:SecureTransport": "true"}})
    good = {"aws:PrincipalTag/dept": "b", "aws:PrincipalTag/role": "dev", "aws:SecureTransport": True}
    assert verdict(p, "s3:GetObject", **good) is Decision.ALLOW
    assert verdict(p, "s3:GetObject", **{**good, "aws:PrincipalTag/role": "ops"}) is Decision.NONE
    assert verdict(p, "s3:GetObject", **{**good, "aws:SecureTransport": False}) is Decision.NONE


def test_derived_principal_keys() -> None:
    p = cond({"StringEquals": {"aws:PrincipalArn": SESSION.role_arn, "aws:PrincipalType": "AssumedRole"}})
    assert verdict(p, "s3:GetObject", principal=SESSION) is Decision.ALLOW
    assert verdict(p, "s3:GetObject", principal=ALICE) is Decision.NONE


def test_explicit_deny_in_a_policy_beats_its_allow() -> None:
    p = doc(allow(Action="s3:*", Resource="*"), {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"})
    assert verdict(p, "s3:DeleteObject") is Decision.DENY
    assert verdict(p, "s3:GetObject") is Decision.ALLOW


# --- properties -------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="ascii", exclude_characters='"\\*?$:{}', min_codepoint=33), min_size=1, max_size=20)


@given(_text, st.data())
def test_question_marks_and_stars_match_what_they_stand_for(name: str, data: st.DataObject) -> None:
    positions = data.draw(st.sets(st.integers(0, len(name) - 1)))
    pattern = "".join("?" if i in positions else c for i, c in enumerate(name))
    cut = data.draw(st.integers(0, len(name)))
    star = name[:cut] + "*"
    p = doc(allow(Action="s3:*", Resource=[f"arn:aws:s3:::{pattern}"]))
    assert verdict(p, "s3:GetObject", f"arn:aws:s3:::{name}") is Decision.ALLOW
    assert verdict(p, "s3:GetObject", f"arn:aws:s3:::{name}x") is Decision.NONE
    assert verdict(doc(allow(Action="s3:*", Resource=f"arn:aws:s3:::{star}")), "s3:GetObject",
                   f"arn:aws:s3:::{name}") is Decision.ALLOW


@given(_text, _text)
def test_literal_actions_match_only_themselves_in_any_case(a: str, b: str) -> None:
    p = doc(allow(Action=f"svc:{a}", Resource="*"))
    assert verdict(p, f"SVC:{a.swapcase()}") is Decision.ALLOW
    assert (verdict(p, f"svc:{b}") is Decision.ALLOW) == (a.lower() == b.lower())


def test_service_shaped_resource_policies_parse() -> None:
    # SNS's default topic policy (2008 version, upper-case vendor, AWS: keys), an emptied SQS
    # policy, a Lambda AddPermission statement
    topic = f"arn:aws:sns:us-east-1:{ACCT}:t"
    sns = json.dumps({"Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [{
        "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
        "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": topic,
        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCT}}}]})
    assert verdict(sns, "sns:Publish", topic, principal=BOB, kind="resource", **{"aws:SourceOwner": ACCT}) is Decision.ALLOW
    assert verdict(sns, "sns:Publish", topic, principal=BOB, kind="resource", **{"aws:SourceOwner": OTHER}) is Decision.NONE
    empty = json.dumps({"Version": "2012-10-17", "Statement": []})
    assert verdict(empty, "sqs:SendMessage", kind="resource") is Decision.NONE
    with pytest.raises(PolicyError):
        parse_policy(empty, kind="identity")
    fn = f"arn:aws:lambda:us-east-1:{ACCT}:function:f"
    s3 = Principal("s3.amazonaws.com", "", "service", service="s3.amazonaws.com")
    lam = doc(allow(Sid="s3", Principal={"Service": "s3.amazonaws.com"}, Action="lambda:InvokeFunction", Resource=fn,
                    Condition={"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
                               "StringEquals": {"AWS:SourceAccount": ACCT}}))
    good = {"aws:SourceArn": "arn:aws:s3:::uploads", "aws:SourceAccount": ACCT}
    assert verdict(lam, "lambda:InvokeFunction", fn, principal=s3, kind="resource", **good) is Decision.ALLOW
    assert verdict(lam, "lambda:InvokeFunction", fn, principal=s3, kind="resource",
                   **{**good, "aws:SourceAccount": OTHER}) is Decision.NONE
