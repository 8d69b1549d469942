"""`decide`: AWS's evaluation logic across identity, resource, boundary and session policies,
within one account and across accounts, on plain values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gureum.policy.engine import (
    ANONYMOUS,
    AuthRequest,
    Decision,
    Policy,
    PolicySet,
    Principal,
    decide,
    parse_policy,
)

A = "111122223333"
B = "444455556666"
ALICE = Principal(f"arn:aws:iam::{A}:user/alice", A, "user")
ROOT_A = Principal(f"arn:aws:iam::{A}:root", A, "root")
ROLE = f"arn:aws:iam::{A}:role/app"
SESSION = Principal(f"arn:aws:sts::{A}:assumed-role/app/s1", A, "assumed-role", role_arn=ROLE)
EVE = Principal(f"arn:aws:iam::{B}:user/eve", B, "user")
ROOT_B = Principal(f"arn:aws:iam::{B}:root", B, "root")
QUEUE = f"arn:aws:sqs:us-east-1:{A}:q"


def identity(action: str = "sqs:*", resource: str = "*", effect: str = "Allow") -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Action": action, "Resource": resource}]}))


def resource(principal: Any, action: str = "sqs:*", effect: str = "Allow", kind: str = "resource") -> Policy:
    st_: dict[str, Any] = {"Effect": effect, "Principal": principal, "Action": action}
    if kind == "resource":
        st_["Resource"] = QUEUE
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [st_]}), kind=kind)


def req(principal: Principal, action: str = "sqs:SendMessage", res: str = QUEUE, **ctx: Any) -> AuthRequest:
    return AuthRequest(principal, action, res, ctx)


def test_same_account_identity_or_resource_policy_suffices() -> None:
    assert decide(PolicySet(identity=[identity()]), req(ALICE)) is Decision.ALLOW
    assert decide(PolicySet(resource=resource({"AWS": ALICE.arn})), req(ALICE)) is Decision.ALLOW
    assert decide(PolicySet(), req(ALICE)) is Decision.NONE
    assert decide(PolicySet(identity=[identity("s3:*")]), req(ALICE)) is Decision.NONE


def test_explicit_deny_anywhere_wins() -> None:
    deny = identity(effect="Deny")
    assert decide(PolicySet(identity=[identity(), deny]), req(ALICE)) is Decision.DENY
    assert decide(PolicySet(identity=[identity()], resource=resource("*", effect="Deny")), req(ALICE)) is Decision.DENY
    assert decide(PolicySet(identity=[identity()], boundaries=[deny]), req(ALICE)) is Decision.DENY
    assert decide(PolicySet(identity=[identity()], session=[deny]), req(SESSION)) is Decision.DENY
    assert decide(PolicySet(identity=[deny]), req(ROOT_A)) is Decision.DENY


def test_root_is_allowed_everything_in_its_own_account_only() -> None:
    assert decide(PolicySet(), req(ROOT_A)) is Decision.ALLOW
    assert decide(PolicySet(resource_account=A), req(ROOT_B)) is Decision.NONE
    assert decide(PolicySet(resource=resource({"AWS": B}), resource_account=A), req(ROOT_B)) is Decision.ALLOW


def test_boundary_limits_identity_policies() -> None:
    s3_only = [identity("s3:*")]
    assert decide(PolicySet(identity=[identity()], boundaries=s3_only), req(ALICE)) is Decision.NONE
    assert decide(PolicySet(identity=[identity()], boundaries=[identity("sqs:Send*")]), req(ALICE)) is Decision.ALLOW


def test_boundary_does_not_limit_a_resource_policy_naming_the_user() -> None:
    # same account: a resource policy granting the user's ARN is not limited by an implicit
    # deny in the user's permissions boundary
    ps = PolicySet(resource=resource({"AWS": ALICE.arn}), boundaries=[identity("s3:*")])
    assert decide(ps, req(ALICE)) is Decision.ALLOW


def test_resource_policy_naming_the_role_is_limited_by_boundary_and_session_but_naming_the_session_is_not() -> None:
    by_role = resource({"AWS": ROLE})
    assert decide(PolicySet(resource=by_role), req(SESSION)) is Decision.ALLOW
    assert decide(PolicySet(resource=by_role, boundaries=[identity("s3:*")]), req(SESSION)) is Decision.NONE
    assert decide(PolicySet(resource=by_role, session=[identity("s3:*")]), req(SESSION)) is Decision.NONE
    by_session = resource({"AWS": SESSION.arn})
    assert decide(PolicySet(resource=by_session, boundaries=[identity("s3:*")], session=[identity("s3:*")]),
                  req(SESSION)) is Decision.ALLOW


def test_session_policies_limit_identity_policies() -> None:
    assert decide(PolicySet(identity=[identity()], session=[identity("s3:*")]), req(SESSION)) is Decision.NONE
    assert decide(PolicySet(identity=[identity()], session=[identity("s3:*"), identity("sqs:*")]),
                  req(SESSION)) is Decision.ALLOW
    assert decide(PolicySet(identity=[identity("s3:*")], session=[identity()]), req(SESSION)) is Decision.NONE


def test_account_principal_in_same_account_only_delegates_to_identity_policies() -> None:
    by_account = resource({"AWS": A})
    assert decide(PolicySet(resource=by_account), req(ALICE)) is Decision.NONE
    assert decide(PolicySet(resource=by_account, identity=[identity()]), req(ALICE)) is Decision.ALLOW


def test_cross_account_needs_both_sides() -> None:
    grant_b = resource({"AWS": B})
    assert decide(PolicySet(identity=[identity()], resource_account=A), req(EVE)) is Decision.NONE
    assert decide(PolicySet(resource=grant_b, resource_account=A), req(EVE)) is Decision.NONE
    assert decide(PolicySet(identity=[identity()], resource=grant_b, resource_account=A), req(EVE)) is Decision.ALLOW
    assert decide(PolicySet(identity=[identity()], resource=resource({"AWS": EVE.arn}), resource_account=A),
                  req(EVE)) is Decision.ALLOW
    assert decide(PolicySet(identity=[identity()], resource=grant_b, resource_account=A,
                            boundaries=[identity("s3:*")]), req(EVE)) is Decision.NONE
    assert decide(PolicySet(identity=[identity()], resource=resource({"AWS": A}), resource_account=A),
                  req(EVE)) is Decision.NONE


def test_trust_policies_are_required_even_in_the_same_account() -> None:
    role = f"arn:aws:iam::{A}:role/target"
    assume = dict(action="sts:AssumeRole", res=role)
    trusts_alice = resource({"AWS": ALICE.arn}, action="sts:AssumeRole", kind="trust")
    trusts_account = resource({"AWS": A}, action="sts:AssumeRole", kind="trust")
    admin = identity("*")
    assert decide(PolicySet(identity=[admin], resource=None, resource_required=True), req(ALICE, **assume)) is Decision.NONE
    assert decide(PolicySet(resource=trusts_alice, resource_required=True), req(ALICE, **assume)) is Decision.ALLOW
    assert decide(PolicySet(resource=trusts_account, resource_required=True), req(ALICE, **assume)) is Decision.NONE
    assert decide(PolicySet(identity=[admin], resource=trusts_account, resource_required=True),
                  req(ALICE, **assume)) is Decision.ALLOW
    assert decide(PolicySet(resource=trusts_account, resource_required=True), req(ROOT_A, **assume)) is Decision.ALLOW
    assert decide(PolicySet(resource=trusts_alice, resource_required=True), req(ROOT_A, **assume)) is Decision.NONE


def test_service_and_anonymous_principals_need_the_resource_policy() -> None:
    sns = Principal("sns.amazonaws.com", "", "service", service="sns.amazonaws.com")
    assert decide(PolicySet(), req(sns)) is Decision.NONE
    assert decide(PolicySet(resource=resource({"Service": "sns.amazonaws.com"})), req(sns)) is Decision.ALLOW
    assert decide(PolicySet(resource=resource({"AWS": A})), req(ANONYMOUS)) is Decision.NONE
    assert decide(PolicySet(resource=resource("*")), req(ANONYMOUS)) is Decision.ALLOW


def test_external_id_trust_example() -> None:
    # IAM user guide: a third party assumes a role only with the agreed external id
    trust = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": B}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}}}}), kind="trust")
    ps = PolicySet(resource=trust, resource_account=A, resource_required=True)
    role = f"arn:aws:iam::{A}:role/third-party"
    assert decide(ps, req(ROOT_B, "sts:AssumeRole", role)) is Decision.NONE
    assert decide(ps, req(ROOT_B, "sts:AssumeRole", role, **{"sts:ExternalId": "guess"})) is Decision.NONE
    assert decide(ps, req(ROOT_B, "sts:AssumeRole", role,
                          **{"sts:ExternalId": "Unique ID Assigned by Example Corp"})) is Decision.ALLOW


_actions = st.sampled_from(["sqs:SendMessage", "s3:GetObject", "iam:CreateUser", "sts:AssumeRole"])
_principals = st.sampled_from([ALICE, ROOT_A, SESSION, EVE, ROOT_B])


@given(_actions, _principals, st.sampled_from(["identity", "resource", "boundary", "session"]),
       st.booleans(), st.booleans())
def test_an_applicable_deny_always_wins(action: str, who: Principal, where: str, grant_id: bool, grant_res: bool) -> None:
    deny_all = identity("*", effect="Deny")
    deny_res = resource("*", action="*", effect="Deny")
    ps = PolicySet(
        identity=[identity("*")] if grant_id else [],
        resource=deny_res if where == "resource" else (resource("*", action="*") if grant_res else None),
        resource_account=A,
        boundaries=[deny_all] if where == "boundary" else None,
        session=[deny_all] if where == "session" else None,
    )
    if where == "identity":
        ps = PolicySet(identity=[deny_all], resource=ps.resource, resource_account=A)
    assert decide(ps, req(who, action)) is Decision.DENY


@given(_actions, _principals, st.booleans(), st.booleans())
def test_adding_an_allow_never_turns_an_allow_into_a_refusal(action: str, who: Principal, with_id: bool, with_res: bool) -> None:
    base = PolicySet(identity=[identity("*")] if with_id else [],
                     resource=resource("*", action="*") if with_res else None, resource_account=A)
    wider = PolicySet(identity=[*base.identity, identity("*")], resource=resource("*", action="*"), resource_account=A)
    if decide(base, req(who, action)) is Decision.ALLOW:
        assert decide(wider, req(who, action)) is Decision.ALLOW
