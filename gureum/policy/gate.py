"""The authorization gate: one call at the edge, after validation and before the handler,
deciding whether the caller may do what the request asks (`authorize(ctx, op, params)`).

Rules (AWS's, see DESIGN.md "Tenancy and trust"):
- every mode: a resource whose ARN names another account than the caller's is reachable
  only when that resource's policy grants the caller (queue, topic, repository, function
  policy, role trust policy); without a reader for that kind of resource, never.
  `--auth open`: the resource policy alone decides (an explicit Deny refuses);
  `--auth strict`: the caller's identity policies must allow too (engine.decide).
- `--auth strict`, same account: the account root may do anything no resource policy
  denies; everyone else goes through `engine.decide` with their identity policies,
  permissions boundary, session policies and the resource's policy.
- handlers called in-process (`service_context`, a service acting for itself) never come
  through here.

Costs: open mode with no foreign ARN returns after `actions.target` (string work only);
the targets of the operations `actions.KEYED_BY` names (Lambda's Invoke) are remembered by
(service, operation, account, region, those parameters' values) with whether every resource
is the caller's account's (bounded; nothing invalidates them, as they are pure functions of
the key); parsed policies are cached by their text (bounded); grants per principal are cached
in iam/authorization.py and dropped on IAM changes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.policy import actions, denials, resource_policies
from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.aws.dispatch import RequestContext
    from gureum.policy.engine import Policy, Principal

MAX_PARSED = 2048
# parsed policy documents by (kind, text), least recently used first (this node's cache)
PARSED: Slot[OrderedDict[tuple[str, str], Policy]] = Slot("policy.parsed")
MAX_TARGETS = 4096
# (service, operation, account, region, *KEYED_BY parameter values) -> (target, whether all of
# its resources are in that account); emptied when full (this node's cache)
TARGETS: Slot[dict[tuple[Any, ...], tuple[actions.Target | None, bool]]] = Slot("policy.targets")


def principal_kind(arn: str) -> str:
    if arn.endswith(":root"):
        return "root"
    if ":assumed-role/" in arn:
        return "assumed-role"
    if ":federated-user/" in arn:
        return "federated-user"
    if ":user/" in arn:
        return "user"
    return "anonymous" if not arn else "user"


def make_principal(arn: str, account: str, role_arn: str = "") -> Principal:
    from gureum.policy.engine import Principal

    kind = principal_kind(arn)
    if kind == "assumed-role" and not role_arn:
        f = arns.fields(arn)
        role_name = f.resource.split("/")[1] if f is not None and "/" in f.resource else ""
        role_arn = arns.iam_role(account, "/", role_name)
    return Principal(arn=arn, account=account, kind=kind, role_arn=role_arn)


def parsed(app: Any, text: str | None, kind: str) -> Policy | None:
    """`text` parsed (cached by text); None for no text or an unparsable one (a stored
    document an older check accepted): it grants nothing — a boundary or session policy
    that fails to parse leaves an empty set, which allows nothing."""
    if not text:
        return None
    from gureum.policy.engine import PolicyError, parse_policy

    cache = app.parts.lazy(PARSED, OrderedDict)
    key = (kind, text)
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    try:
        policy = parse_policy(text, kind=kind)
    except PolicyError:
        return None
    cache[key] = policy
    if len(cache) > MAX_PARSED:
        cache.popitem(last=False)
    return policy


def request_context(ctx: RequestContext, principal: Principal, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The global condition keys gureum knows for this request."""
    now = time.time()
    out: dict[str, Any] = {
        "aws:PrincipalArn": principal.role_arn or principal.arn,
        "aws:PrincipalAccount": principal.account,
        "aws:PrincipalType": {"root": "Account", "user": "User", "assumed-role": "AssumedRole",
                              "federated-user": "FederatedUser"}.get(principal.kind, "Anonymous"),
        "aws:RequestedRegion": ctx.region,
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "aws:EpochTime": str(int(now)),
        "aws:SecureTransport": "false",
    }
    if ctx.request is not None and ctx.request.client:
        out["aws:SourceIp"] = ctx.request.client[0]
    if extra:
        out.update(extra)
    return out


async def authorize(ctx: RequestContext, operation: str, params: Mapping[str, Any]) -> None:
    """Raise the service's AccessDenied unless the caller may perform `operation`."""
    target, local = _target(ctx, operation, params)
    if target is None:
        return
    if target.action.startswith("sts:AssumeRole"):
        # STS decides AssumeRole* whole (iam/trust.py): the role's trust policy with the keys
        # only it has (sts:ExternalId, sts:RoleSessionName, session tags) and, in strict mode,
        # the caller's own policies from `caller_policies`.
        return
    strict = ctx.app.config.auth == "strict"
    if not strict and local:
        return  # the hot path: open mode, nothing in another account
    await check(ctx, target.action, target.resources, strict=strict)
    for action, resource in target.also:
        extra = {"iam:PassedToService": actions.PASSED_TO.get(ctx.service, "")} if action == "iam:PassRole" else None
        await check(ctx, action, [resource], strict=strict, extra_context=extra)


def _target(ctx: RequestContext, operation: str, params: Mapping[str, Any]) -> tuple[actions.Target | None, bool]:
    """The request's target and whether every resource it names is the caller's account's
    (remembered for the operations of `actions.KEYED_BY` when their parameters are strings)."""
    keyed = actions.KEYED_BY.get((ctx.service, operation))
    key: tuple[Any, ...] | None = None
    if keyed is not None:
        values = tuple(params.get(p) for p in keyed)
        if all(v is None or type(v) is str for v in values):
            key = (ctx.service, operation, ctx.account_id, ctx.region, *values)
            cache = ctx.app.parts.lazy(TARGETS, dict)
            hit = cache.get(key)
            if hit is not None:
                return hit
    target = actions.target(ctx.service, operation, params, ctx.account_id, ctx.region, ctx.principal_arn)
    local = target is None or (
        all(actions.owner(r) in ("", ctx.account_id) for r in target.resources)
        and all(actions.owner(r) in ("", ctx.account_id) for _, r in target.also))
    if key is not None:
        if len(cache) >= MAX_TARGETS:
            cache.clear()
        cache[key] = (target, local)
    return target, local


async def check(
    ctx: RequestContext,
    action: str,
    resources: Sequence[str],
    *,
    strict: bool,
    extra_context: Mapping[str, Any] | None = None,
) -> None:
    """Decide `action` on each of `resources` for the request's caller; raise if refused."""
    from gureum.policy.engine import AuthRequest, Decision, PolicySet, decide, statement_decision
    from gureum.services.iam.authorization import grants_for

    app = ctx.app
    grants = None
    role_arn = ""
    if strict:
        grants = await grants_for(app, ctx.access_key_id, ctx.principal_arn, ctx.account_id)
        role_arn = grants.role_arn
    principal = make_principal(ctx.principal_arn, ctx.account_id, role_arn)
    context = request_context(ctx, principal, extra_context)
    for resource in resources:
        res_account = actions.owner(resource) or ctx.account_id
        foreign = res_account != ctx.account_id
        if not strict and not foreign:
            continue
        req = AuthRequest(principal=principal, action=action, resource=resource, context=context)
        text = await resource_policies.read(app, ctx.service, action, resource)
        rp = parsed(app, text, "resource")
        rp_decision = statement_decision(rp, req) if rp is not None else Decision.NONE
        if rp_decision is Decision.DENY:
            raise _refuse(ctx, principal, action, resource, "resource-deny")
        if not strict:  # open mode, another account: the resource policy alone decides
            if rp_decision is not Decision.ALLOW:
                raise _refuse(ctx, principal, action, resource, "resource")
            continue
        assert grants is not None
        if grants.kind == "root" and grants.session is None:
            if foreign and rp_decision is not Decision.ALLOW:
                raise _refuse(ctx, principal, action, resource, "resource")
            continue
        identity = [p for p in (parsed(app, t, "identity") for t in grants.identity) if p is not None]
        boundaries = None
        if grants.boundary is not None:
            b = parsed(app, grants.boundary, "identity")
            boundaries = [b] if b is not None else []
        session = None
        if grants.session is not None:
            session = [p for p in (parsed(app, t, "identity") for t in grants.session) if p is not None]
        if grants.kind == "root":
            # The root's identity allows everything; only its session policies can narrow it.
            if session is not None and not any(statement_decision(s, req) is Decision.ALLOW for s in session):
                raise _refuse(ctx, principal, action, resource, "session")
            if foreign and rp_decision is not Decision.ALLOW:
                raise _refuse(ctx, principal, action, resource, "resource")
            continue
        policies = PolicySet(identity=tuple(identity), resource=rp, resource_account=res_account,
                             boundaries=boundaries, session=session)
        if decide(policies, req) is not Decision.ALLOW:
            raise _refuse(ctx, principal, action, resource, _reason(policies, req, foreign))


def _reason(policies: Any, req: Any, foreign: bool) -> str:
    """Which layer refused (for the message), in AWS's order of evaluation."""
    from gureum.policy.engine import Decision, statement_decision

    layers: list[tuple[str, Sequence[Any] | None]] = [
        ("identity", policies.identity),
        ("boundary", policies.boundaries),
        ("session", policies.session),
    ]
    for name, group in layers:
        if group and any(statement_decision(p, req) is Decision.DENY for p in group):
            return f"{name}-deny"
    rp_allows = policies.resource is not None and statement_decision(policies.resource, req) is Decision.ALLOW
    id_allows = any(statement_decision(p, req) is Decision.ALLOW for p in policies.identity)
    if foreign and not rp_allows:
        return "resource"
    if not id_allows and not rp_allows:
        return "identity"
    for name, group in layers[1:]:
        if group is not None and not any(statement_decision(p, req) is Decision.ALLOW for p in group):
            return name
    return "identity"


def _refuse(ctx: RequestContext, principal: Principal, action: str, resource: str, reason: str) -> Exception:
    return denials.access_denied(ctx.service, principal.arn, action, resource, reason)


async def caller_policies(ctx: RequestContext) -> tuple[list[Policy], list[Policy] | None, list[Policy] | None] | None:
    """Strict mode, a caller other than an account root: its identity policies, permissions
    boundary and session policies, parsed (None: open mode or a root, whose identity allows
    everything)."""
    from gureum.services.iam.authorization import grants_for

    if ctx.app.config.auth != "strict":
        return None
    grants = await grants_for(ctx.app, ctx.access_key_id, ctx.principal_arn, ctx.account_id)
    if grants.kind == "root":
        return None
    identity = [p for p in (parsed(ctx.app, t, "identity") for t in grants.identity) if p is not None]
    boundaries = None
    if grants.boundary is not None:
        b = parsed(ctx.app, grants.boundary, "identity")
        boundaries = [b] if b is not None else []
    session = None
    if grants.session is not None:
        session = [p for p in (parsed(ctx.app, t, "identity") for t in grants.session) if p is not None]
    return identity, boundaries, session
