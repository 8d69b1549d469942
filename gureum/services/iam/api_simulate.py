"""IAM's policy simulator operations: thin handlers over simulate.py and entities.py."""

from __future__ import annotations

import fnmatch
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.policy.engine import Principal
from gureum.services.iam import entities, simulate
from gureum.services.iam.api import iam_op
from gureum.services.iam.model import Iam, page_result

P = dict[str, Any]


def _inputs(p: P, member: str) -> list[simulate.Doc]:
    return [simulate.Doc(f"{member}.{i}", "IAM Policy", text) for i, text in enumerate(p.get(member) or [], 1)]


def _caller(account: str, p: P, default: Principal) -> Principal:
    caller = p.get("CallerArn")
    if not caller:
        return default
    if arns.iam_resource_rest(caller, account, "user") is None:
        raise AwsError.modeled("iam", "InvalidInput", "CallerArn must be the ARN of an IAM user.")
    return Principal(arn=caller, account=account, kind="user")


def _owner(given: str | None, account: str) -> str:
    """ResourceOwner (an account id or an ARN, e.g. arn:aws:iam::123456789012:root) as an account id."""
    if not given:
        return account
    parsed = arns.try_parse(given)
    return parsed.account if parsed is not None and parsed.account else given


def _results(p: P, principal: Principal, identity: list[simulate.Doc], boundaries: list[simulate.Doc] | None,
             account: str) -> P:
    resource_policy = None
    if p.get("ResourcePolicy"):
        resource_policy = simulate.parse([simulate.Doc("ResourcePolicy", "resource", p["ResourcePolicy"])], "resource")[0]
    results = simulate.evaluate(principal, p["ActionNames"], p.get("ResourceArns") or ["*"], simulate.parse(identity),
                                simulate.parse(boundaries) if boundaries is not None else None, resource_policy,
                                _owner(p.get("ResourceOwner"), account), simulate.context_of(p.get("ContextEntries")))
    rows = [(f"{i:06d}", r) for i, r in enumerate(results)]
    filters = {k: v for k, v in p.items() if k not in ("Marker", "MaxItems")}
    return page_result("EvaluationResults", rows, p.get("Marker"), p.get("MaxItems"), filters=filters)


def _excludes(rule: P, s: entities.Source) -> bool:
    """Whether a PolicyExclusionList entry (PolicyType, PolicyArn with `*`, or an inline
    policy's name and owner with `*`/`?`) names the source `s`."""
    kind = rule.get("PolicyType")
    if kind is not None and (kind == "inline" and s.policy_type == "INLINE" or kind == s.source_type):
        return True
    if rule.get("PolicyArn") and s.arn and fnmatch.fnmatchcase(s.arn, rule["PolicyArn"]):
        return True
    inline = rule.get("InlinePolicyIdentifier")
    if inline and s.policy_type == "INLINE":
        return (inline.get("PolicyName") == s.policy_id and inline.get("AttachmentType") == s.entity_type
                and fnmatch.fnmatchcase(s.entity_name or "", inline.get("AttachmentName") or ""))
    return False


@iam_op("SimulateCustomPolicy")
async def simulate_custom_policy(ctx: RequestContext, p: P) -> P:
    account = ctx.account_id
    someone = Principal(arn=arns.iam_user(account, "/", "SimulatedUser"), account=account, kind="user")
    boundaries = _inputs(p, "PermissionsBoundaryPolicyInputList") or None
    return _results(p, _caller(account, p, someone), _inputs(p, "PolicyInputList"), boundaries, account)


@iam_op("SimulatePrincipalPolicy")
async def simulate_principal_policy(ctx: RequestContext, p: P) -> P:
    account = ctx.account_id

    def read(t: Any) -> tuple[str, dict[str, Any], list[simulate.Doc], simulate.Doc | None]:
        iam = Iam(t, account)
        kind, doc = entities.entity_of_arn(iam, p["PolicySourceArn"])
        rules = p.get("PolicyExclusionList") or []
        found = [simulate.Doc(s.policy_id, s.source_type, s.document) for s in entities.sources(iam, kind, doc)
                 if not any(_excludes(r, s) for r in rules)]
        b = entities.boundary(iam, doc)
        if b is None or any(r.get("PolicyType") == "permission-boundary" for r in rules):
            return kind, doc, found, None
        return kind, doc, found, simulate.Doc(b.policy_id, "permissions boundary", b.document)

    kind, doc, found, boundary = await ctx.app.store.read(read)
    if kind == "role":
        default = Principal(arn=doc["Arn"], account=account, kind="assumed-role", role_arn=doc["Arn"])
    else:
        default = Principal(arn=doc["Arn"], account=account, kind="user")
    given = _inputs(p, "PermissionsBoundaryPolicyInputList")
    boundaries = given or ([boundary] if boundary else None)
    return _results(p, _caller(account, p, default), found + _inputs(p, "PolicyInputList"), boundaries, account)
