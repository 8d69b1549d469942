"""The IAM policy engine: parse a policy document once (validated with IAM's messages) into
statements with compiled matchers, decide one policy for one request, and decide a request
against every policy that applies the way AWS documents ("Policy evaluation logic",
"Cross-account policy evaluation logic").

Sans-IO and pure: no store, no app, no clock. Callers parse each document once and cache the
`Policy` (it is immutable); `decide` allocates little beyond the request's normalised context.

Evaluation (`decide`):
  1. An explicit Deny in any policy (identity, resource, boundary, session) wins.
  2. Principals without identity policies (service, web-identity/SAML federated, anonymous):
     allowed only by the resource policy.
  3. Same account (resource_account "" or the principal's):
     - identity allows (the account's root always does) and every boundary and session
       policy given allows -> Allow, unless `resource_required` (role trust policies);
     - the resource policy allows, by how it names the principal:
         the principal's own ARN (user, role session, federated user) or "*" -> Allow, not
           limited by identity, boundary or session policies;
         the role of a role session -> Allow if boundary and session policies allow;
         the account (id or root ARN) -> only delegates: identity must allow as above.
  4. Cross account: identity (root: always) AND boundary AND session AND resource must allow.

Principals in policies: "*"; {"AWS": "*" | account id | "arn:aws:iam::acct:root" | user,
role, assumed-role session or federated-user ARN}; a role ARN also names that role's sessions;
{"Service": ...}; {"Federated": provider}; {"CanonicalUser": id}. NotPrincipal excludes a
principal only when its whole chain is listed (account, role, session), as AWS documents.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from gureum.aws.arn import iam_principal_parts, looks_like_arn
from gureum.policy import errors as E
from gureum.policy.conditions import Context, compile_conditions, conditions_hold, normalise_context
from gureum.policy.errors import PolicyError
from gureum.policy.patterns import AnyOf, Resolver, compile_pattern, resolver

__all__ = [
    "AuthRequest", "Decision", "Policy", "PolicyError", "PolicySet", "Principal",
    "decide", "parse_policy", "principal_context", "statement_decision",
]

VERSIONS = ("2012-10-17", "2008-10-17")
KINDS = ("identity", "resource", "trust")
_STATEMENT_KEYS = frozenset({"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
                             "Principal", "NotPrincipal", "Condition"})
_TOP_KEYS = frozenset({"Version", "Id", "Statement"})
_ACCOUNT = re.compile(r"^\d{12}$")
_IAM_KINDS = frozenset({"root", "user", "assumed-role", "federated-user"})


class Decision(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    NONE = "None"   # no statement applies: an implicit deny


class _Grant(enum.IntEnum):
    """How an Allow in a resource policy named the principal (strongest wins)."""
    NONE = 0
    ACCOUNT = 1
    ROLE = 2
    DIRECT = 3


@dataclass(frozen=True)
class Principal:
    arn: str        # arn:aws:iam::123456789012:root | :user/path/name | arn:aws:sts::acct:assumed-role/R/S | "*"
    account: str    # 12 digits ("" for anonymous / service principals)
    kind: str       # "root" | "user" | "assumed-role" | "federated-user" | "service" | "anonymous"
                    # | "federated" (a web identity or SAML caller: arn = the provider as trust
                    #   policies name it, e.g. "accounts.google.com" or an oidc-provider ARN)
    role_arn: str = ""  # for assumed-role sessions: the role's IAM ARN
    service: str = ""   # for service principals, e.g. "lambda.amazonaws.com"
    canonical_user: str = ""  # S3's canonical user id, when the caller has one


ANONYMOUS = Principal(arn="*", account="", kind="anonymous")


def principal_context(principal: Principal) -> dict[str, str]:
    """The global condition keys AWS derives from the principal (aws:PrincipalArn is the role's
    ARN for a role session); `decide` adds them where the request's context lacks them."""
    ctx: dict[str, str] = {}
    if principal.kind in _IAM_KINDS:
        ctx["aws:principalarn"] = principal.role_arn or principal.arn
        ctx["aws:principalaccount"] = principal.account
        ctx["aws:principaltype"] = {"root": "Account", "user": "User", "assumed-role": "AssumedRole",
                                    "federated-user": "FederatedUser"}[principal.kind]
        if principal.kind == "user":
            ctx["aws:username"] = principal.arn.rsplit("/", 1)[-1]
    elif principal.kind == "service":
        ctx["aws:principalservicename"] = principal.service
    elif principal.kind == "anonymous":
        ctx["aws:principaltype"] = "Anonymous"
    return ctx


@dataclass(frozen=True)
class AuthRequest:
    principal: Principal
    action: str                      # "sqs:SendMessage"
    resource: str                    # an ARN, or "*"
    context: Mapping[str, Any] = field(default_factory=dict)  # matched case-insensitively

    @cached_property
    def _context(self) -> Context:
        ctx: dict[str, tuple[str, ...]] = {k: (v,) for k, v in principal_context(self.principal).items()}
        ctx.update(normalise_context(self.context))
        return ctx

    @cached_property
    def _action(self) -> str:
        return self.action.lower()

    @cached_property
    def _resolve(self) -> Resolver:
        return resolver(self._context)


@dataclass(frozen=True)
class _PrincipalSpec:
    star: bool = False
    accounts: frozenset[str] = frozenset()
    arns: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    federated: frozenset[str] = frozenset()
    canonical: frozenset[str] = frozenset()

    def grant(self, p: Principal) -> _Grant:
        if self.star:
            return _Grant.DIRECT
        if p.kind in _IAM_KINDS:
            if p.arn in self.arns:
                return _Grant.DIRECT
            if p.role_arn and p.role_arn in self.arns:
                return _Grant.ROLE
            if p.account in self.accounts:
                return _Grant.ACCOUNT
        elif p.kind == "service":
            if p.service.lower() in self.services:
                return _Grant.DIRECT
        elif p.kind == "federated":
            if p.arn in self.federated:
                return _Grant.DIRECT
        if p.canonical_user and p.canonical_user in self.canonical:
            return _Grant.DIRECT
        return _Grant.NONE

    def excludes(self, p: Principal) -> bool:
        """NotPrincipal: the principal is excluded only if its whole chain is listed."""
        if self.star:
            return True
        if p.kind in _IAM_KINDS:
            chain_ok = p.account in self.accounts
            if p.role_arn:
                chain_ok = chain_ok and p.role_arn in self.arns
            if p.kind != "root":
                chain_ok = chain_ok and p.arn in self.arns
            return chain_ok
        if p.kind == "service":
            return p.service.lower() in self.services
        if p.kind == "federated":
            return p.arn in self.federated
        if p.canonical_user:
            return p.canonical_user in self.canonical
        return False


@dataclass(frozen=True)
class Statement:
    sid: str | None
    allow: bool
    actions: AnyOf
    not_action: bool
    resources: AnyOf | None                 # None: no Resource element (resource/trust policies)
    not_resource: bool
    principal: _PrincipalSpec | None        # None: no Principal element (identity policies)
    not_principal: bool
    conditions: tuple[Any, ...]

    def grant(self, req: AuthRequest) -> _Grant:
        """How this statement applies to the request (NONE: it does not)."""
        if self.actions.match(req._action) == self.not_action:
            return _Grant.NONE
        if self.resources is not None and self.resources.match(req.resource, req._resolve) == self.not_resource:
            return _Grant.NONE
        how = _Grant.DIRECT
        if self.principal is not None:
            if self.not_principal:
                if self.principal.excludes(req.principal):
                    return _Grant.NONE
            else:
                how = self.principal.grant(req.principal)
                if how is _Grant.NONE:
                    return how
        if self.conditions and not conditions_hold(self.conditions, req._context, req._resolve):
            return _Grant.NONE
        return how


@dataclass(frozen=True)
class Policy:
    """A parsed policy: immutable, safe to cache and share."""
    kind: str
    version: str
    id: str | None
    statements: tuple[Statement, ...]
    document: Mapping[str, Any] = field(compare=False, repr=False)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _strings(value: Any, *, empty: str) -> list[str]:
    items = _list(value)
    if not items:
        raise PolicyError(empty)
    if not all(isinstance(i, str) for i in items):
        raise PolicyError(E.SYNTAX)
    return items


def _principal(value: Any) -> _PrincipalSpec:
    if value == "*":
        return _PrincipalSpec(star=True)
    if not isinstance(value, dict) or not value:
        raise PolicyError(E.SYNTAX)
    star = False
    accounts: set[str] = set()
    arns: set[str] = set()
    services: set[str] = set()
    federated: set[str] = set()
    canonical: set[str] = set()
    for key, raw in value.items():
        items = _strings(raw, empty=E.SYNTAX)
        if key == "AWS":
            for item in items:
                if item == "*":
                    star = True
                elif _ACCOUNT.match(item):
                    accounts.add(item)
                elif (m := iam_principal_parts(item)) and "*" not in item:
                    if m[1] == "root":
                        accounts.add(m[0])
                    else:
                        arns.add(item)
                else:
                    raise PolicyError(f'Invalid principal in policy: "AWS":"{item}"')
        elif key == "Service":
            services.update(i.lower() for i in items)
        elif key == "Federated":
            federated.update(items)
        elif key == "CanonicalUser":
            canonical.update(items)
        else:
            raise PolicyError(E.SYNTAX)
    return _PrincipalSpec(star, frozenset(accounts), frozenset(arns), frozenset(services),
                          frozenset(federated), frozenset(canonical))


def _statement(st: Mapping[str, Any], kind: str, variables: bool) -> Statement:
    if not set(st) <= _STATEMENT_KEYS:
        raise PolicyError(E.SYNTAX)
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(E.SYNTAX)
    sid = st.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(E.SYNTAX)
    if ("Action" in st) == ("NotAction" in st):
        raise PolicyError(E.SYNTAX if "Action" in st else E.NO_ACTIONS)
    if "Resource" in st and "NotResource" in st:
        raise PolicyError(E.SYNTAX)
    if "Principal" in st and "NotPrincipal" in st:
        raise PolicyError(E.SYNTAX)

    actions = _strings(st.get("Action", st.get("NotAction")), empty=E.NO_ACTIONS)
    for action in actions:
        if action != "*" and (":" not in action or not action.split(":", 1)[0]):
            raise PolicyError(E.VENDOR)
        if kind == "trust" and action != "*" and not action.lower().startswith("sts:"):
            raise PolicyError(E.TRUST_ACTIONS)

    has_principal = "Principal" in st or "NotPrincipal" in st
    if kind == "identity" and has_principal:
        raise PolicyError(E.PRINCIPAL_IN_IDENTITY)
    if kind in ("resource", "trust") and not has_principal:
        raise PolicyError(E.NO_PRINCIPAL)
    has_resource = "Resource" in st or "NotResource" in st
    if kind == "trust" and has_resource:
        raise PolicyError("Has prohibited field Resource." if "Resource" in st else "Has prohibited field NotResource.")
    if kind == "identity" and not has_resource:
        raise PolicyError(E.NO_RESOURCES)

    resources: AnyOf | None = None
    if has_resource:
        items = _strings(st.get("Resource", st.get("NotResource")), empty=E.NO_RESOURCES)
        for r in items:
            if r != "*" and not looks_like_arn(r):
                raise PolicyError(f'Resource {r} must be in ARN format or "*".')
        resources = AnyOf([compile_pattern(r, arn=True, variables=variables) for r in items])

    principal = None
    if has_principal:
        principal = _principal(st.get("Principal", st.get("NotPrincipal")))

    conditions: tuple[Any, ...] = ()
    if "Condition" in st:
        conditions = compile_conditions(st["Condition"], variables=variables)

    return Statement(
        sid=sid, allow=effect == "Allow",
        actions=AnyOf([compile_pattern(a.lower()) for a in actions]), not_action="NotAction" in st,
        resources=resources, not_resource="NotResource" in st,
        principal=principal, not_principal="NotPrincipal" in st,
        conditions=conditions,
    )


def parse_policy(text: str | Mapping[str, Any], *, kind: str = "identity") -> Policy:
    """Parse and validate a policy document; raises PolicyError with IAM's message."""
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}")
    if isinstance(text, (str, bytes)):
        try:
            doc = json.loads(text)
        except ValueError:
            raise PolicyError(E.INVALID_JSON) from None
        except RecursionError:  # nested deeper than the parser goes: JSON, but no policy
            raise PolicyError(E.SYNTAX) from None
    else:
        doc = text
    if not isinstance(doc, Mapping):
        raise PolicyError(E.INVALID_JSON)
    version = doc.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError(E.LEGACY)
    if not set(doc) <= _TOP_KEYS:
        raise PolicyError(E.SYNTAX)
    statements = doc.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, Mapping) for s in statements):
        raise PolicyError(E.SYNTAX)
    if not statements and kind != "resource":  # a service's resource policy may be emptied (SQS)
        raise PolicyError(E.SYNTAX)
    policy_id = doc.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise PolicyError(E.SYNTAX)
    variables = version == "2012-10-17"
    sids: set[str] = set()
    parsed = []
    for st in statements:
        s = _statement(st, kind, variables)
        if s.sid is not None:
            if s.sid in sids:
                raise PolicyError(E.DUPLICATE_SID)
            sids.add(s.sid)
        parsed.append(s)
    return Policy(kind, version, policy_id, tuple(parsed), doc)


def _evaluate(policy: Policy, req: AuthRequest) -> tuple[Decision, _Grant]:
    allow = _Grant.NONE
    for st in policy.statements:
        how = st.grant(req)
        if how is _Grant.NONE:
            continue
        if not st.allow:
            return Decision.DENY, _Grant.NONE
        allow = max(allow, how)
    return (Decision.ALLOW if allow else Decision.NONE), allow


def statement_decision(policy: Policy, req: AuthRequest) -> Decision:
    """One policy's verdict: DENY if a Deny statement applies, else ALLOW if an Allow does."""
    return _evaluate(policy, req)[0]


@dataclass(frozen=True)
class PolicySet:
    identity: Sequence[Policy] = ()          # user + groups (or role) inline and managed policies
    resource: Policy | None = None           # the resource's policy, if any
    resource_account: str = ""               # account that owns the resource ("" = same as principal / unknown)
    boundaries: Sequence[Policy] | None = None  # permissions boundary (None = no boundary)
    session: Sequence[Policy] | None = None  # session policies (None = none given)
    resource_required: bool = False          # the resource policy must allow (role trust policies, KMS key policies)


def _union(policies: Sequence[Policy], req: AuthRequest) -> Decision:
    result = Decision.NONE
    for p in policies:
        d = statement_decision(p, req)
        if d is Decision.DENY:
            return d
        if d is Decision.ALLOW:
            result = d
    return result


def decide(policies: PolicySet, req: AuthRequest) -> Decision:
    """AWS's evaluation logic over every policy that applies (see the module docstring)."""
    p = req.principal
    resource, grant = (_evaluate(policies.resource, req) if policies.resource is not None
                       else (Decision.NONE, _Grant.NONE))
    if resource is Decision.DENY:
        return Decision.DENY
    identity = _union(policies.identity, req)
    boundary = _union(policies.boundaries, req) if policies.boundaries is not None else Decision.ALLOW
    session = _union(policies.session, req) if policies.session is not None else Decision.ALLOW
    if Decision.DENY in (identity, boundary, session):
        return Decision.DENY

    if p.kind not in _IAM_KINDS:
        return Decision.ALLOW if resource is Decision.ALLOW else Decision.NONE

    is_root = p.kind == "root"
    identity_ok = is_root or identity is Decision.ALLOW
    ceiling = is_root or (boundary is Decision.ALLOW and session is Decision.ALLOW)
    same_account = not policies.resource_account or policies.resource_account == p.account

    if not same_account:
        ok = resource is Decision.ALLOW and identity_ok and ceiling
        return Decision.ALLOW if ok else Decision.NONE

    if identity_ok and ceiling and not policies.resource_required:
        return Decision.ALLOW
    if resource is Decision.ALLOW:
        if grant is _Grant.DIRECT:
            return Decision.ALLOW
        if grant is _Grant.ROLE and ceiling:
            return Decision.ALLOW
        if grant is _Grant.ACCOUNT and identity_ok and ceiling:
            return Decision.ALLOW
    return Decision.NONE
