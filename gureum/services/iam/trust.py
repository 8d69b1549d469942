"""Role trust policies: may this principal assume this role? Every path that mints role
credentials asks here (STS AssumeRole*, Lambda execution roles, ECS task roles).

- `caller_principal(arn, account, role_arn)`: the policy engine's Principal for an IAM caller
  (root, user, role session, federated user) from its ARN.
- `service_principal("lambda.amazonaws.com")`, `federated_principal(provider)`.
- `check(role, principal, actions, context, identity=None)`: True when the role's trust
  policy allows every action (sts:AssumeRole, plus sts:TagSession when tags are passed).
  `identity=None` evaluates the trust side only (open mode; strict mode's authorization layer
  checks the caller's identity policies itself, or passes them here to have AWS's whole
  evaluation done: the trust policy must allow, and a trust policy that names only the
  caller's account needs the caller's identity policies to allow too).
- `role_trusts_service(role, service)`: the CreateFunction/RunTask check.

Parsed trust policies are cached by document text (a pure cache: the same text always parses
the same way), so a role's policy is parsed once per process however often it is assumed. A
stored document the engine refuses (IAM validated it at CreateRole, so only documents older
than the engine's rules) trusts no one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gureum.aws import arn as arns
from gureum.policy.engine import (
    AuthRequest,
    Decision,
    Policy,
    PolicyError,
    PolicySet,
    Principal,
    decide,
    parse_policy,
    statement_decision,
)


@functools.lru_cache(maxsize=2048)
def trust_policy(document: str) -> Policy | None:
    try:
        return parse_policy(document, kind="trust")
    except PolicyError:
        return None


def caller_principal(arn: str, account: str, role_arn: str = "") -> Principal:
    """An IAM caller by ARN: ...:root, ...:user/..., sts ...:assumed-role/R/S (give role_arn,
    the role's IAM ARN with its path), sts ...:federated-user/name."""
    parsed = arns.try_parse(arn)
    resource = parsed.resource if parsed is not None else ""
    if resource == "root":
        kind = "root"
    elif resource.startswith("assumed-role/"):
        kind = "assumed-role"
        if not role_arn:
            role_arn = arns.iam_role(account, "/", resource.split("/")[1])
    elif resource.startswith("federated-user/"):
        kind = "federated-user"
    else:
        kind = "user"
    return Principal(arn=arn, account=account, kind=kind, role_arn=role_arn if kind == "assumed-role" else "")


def service_principal(service: str) -> Principal:
    return Principal(arn=service, account="", kind="service", service=service)


def federated_principal(provider: str) -> Principal:
    """A web identity or SAML caller, named as trust policies name its provider (an
    oidc-provider/saml-provider ARN, or accounts.google.com, cognito-identity.amazonaws.com...)."""
    return Principal(arn=provider, account="", kind="federated")


def _role_account(role: Mapping[str, Any]) -> str:
    parsed = arns.try_parse(str(role.get("Arn", "")))
    return parsed.account if parsed is not None else ""


def check(
    role: Mapping[str, Any],
    principal: Principal,
    actions: Sequence[str],
    context: Mapping[str, Any],
    identity: Sequence[Policy] | None = None,
    boundaries: Sequence[Policy] | None = None,
    session: Sequence[Policy] | None = None,
) -> str | None:
    """None when the role's trust policy lets `principal` perform every action on the role
    (and, given the caller's `identity` policies — with its permissions `boundaries` and
    `session` policies — AWS's whole evaluation allows it); else the first action refused."""
    policy = trust_policy(str(role.get("AssumeRolePolicyDocument", "")))
    for action in actions:
        if policy is None:
            return action
        req = AuthRequest(principal, action, str(role.get("Arn", "")), context)
        if identity is None:
            verdict = statement_decision(policy, req)
        else:
            ps = PolicySet(identity=identity, resource=policy, resource_account=_role_account(role),
                           boundaries=boundaries, session=session, resource_required=True)
            verdict = decide(ps, req)
        if verdict is not Decision.ALLOW:
            return action
    return None


def role_trusts_service(role: Mapping[str, Any], service: str) -> bool:
    """Whether the role's trust policy lets `service` (e.g. lambda.amazonaws.com) assume it."""
    return check(role, service_principal(service), ["sts:AssumeRole"], {}) is None
