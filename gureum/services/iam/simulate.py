"""IAM's policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) on gureum's policy
engine (gureum/policy/engine.py), the engine the authorization gate decides real requests with.

Sans-IO: given the identity policies (`Doc`s: an id, a source type, the JSON), optional
permissions boundaries and a resource policy, every (action, resource) pair is decided with
`engine.decide`; the result says "allowed", "explicitDeny" (a Deny statement applied) or
"implicitDeny", lists the statements that applied (MatchedStatements: SourcePolicyId and
SourcePolicyType), the condition keys that statements for this action and resource test but
the context lacks (MissingContextValues), and whether the boundary allowed it. Context entries become the request's
condition keys; the caller (CallerArn, else the simulated entity) is the principal resource
policies see; ResourceOwner the resource's account. The statements' text positions are not
given (StartPosition/EndPosition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.policy import engine
from gureum.policy.engine import AuthRequest, Decision, Policy, PolicySet, Principal


@dataclass(frozen=True)
class Doc:
    policy_id: str
    source_type: str
    text: str


@dataclass(frozen=True)
class Parsed:
    doc: Doc
    policy: Policy


def parse(docs: Sequence[Doc], kind: str = "identity") -> list[Parsed]:
    out = []
    for d in docs:
        try:
            out.append(Parsed(d, engine.parse_policy(d.text, kind=kind)))
        except engine.PolicyError as exc:
            raise AwsError.modeled("iam", "InvalidInput", f"{d.policy_id}: {exc}") from None
    return out


def context_of(entries: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in entries or []:
        values = [str(v) for v in e.get("ContextKeyValues") or []]
        kind = str(e.get("ContextKeyType") or "string")
        out[e["ContextKeyName"]] = values if kind.endswith("List") or len(values) != 1 else values[0]
    return out


def _matched(parsed: Sequence[Parsed], req: AuthRequest) -> tuple[list[dict[str, str]], bool]:
    """The statements of `parsed` that apply to `req`, and whether one of them is a Deny."""
    out, deny = [], False
    for p in parsed:
        for st in p.policy.statements:
            if st.grant(req):  # a grant other than NONE (0): the statement applies
                out.append({"SourcePolicyId": p.doc.policy_id, "SourcePolicyType": p.doc.source_type})
                deny = deny or not st.allow
    return out, deny


def _missing(parsed: Sequence[Parsed], req: AuthRequest) -> list[str]:
    """Condition keys that statements matching the action and resource test but that the
    request's context lacks (AWS's MissingContextValues), in the policies' spelling."""
    present = {k.lower() for k in req.context} | set(engine.principal_context(req.principal))
    out: list[str] = []
    for p in parsed:
        for st in p.policy.statements:
            if not st.conditions or st.actions.match(req._action) == st.not_action:
                continue
            if st.resources is not None and st.resources.match(req.resource, req._resolve) == st.not_resource:
                continue
            for clause in st.conditions:
                key = getattr(clause, "key", "")
                if key and key not in present and key not in (k.lower() for k in out):
                    out.append(_spelling(p.policy.document, key))
    return out


def _spelling(document: Any, key: str) -> str:
    """`key` as the policy document writes it (condition keys match case-insensitively)."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    for st in statements if isinstance(statements, list) else [statements]:
        for block in ((st or {}).get("Condition") or {}).values() if isinstance(st, dict) else ():
            for name in block if isinstance(block, dict) else ():
                if isinstance(name, str) and name.lower() == key:
                    return name
    return key


def evaluate(principal: Principal, actions: Sequence[str], resources: Sequence[str], identity: Sequence[Parsed],
             boundaries: Sequence[Parsed] | None, resource_policy: Parsed | None, resource_owner: str,
             context: dict[str, Any]) -> list[dict[str, Any]]:
    """One EvaluationResult per action and resource, in that order."""
    results = []
    for action in actions:
        for resource in resources:
            req = AuthRequest(principal, action, resource, context)
            policies = PolicySet(identity=[p.policy for p in identity],
                                 resource=resource_policy.policy if resource_policy else None,
                                 resource_account=resource_owner,
                                 boundaries=[p.policy for p in boundaries] if boundaries is not None else None)
            decision = engine.decide(policies, req)
            matched, denied = _matched([*identity, *([resource_policy] if resource_policy else [])], req)
            b_matched, b_denied = _matched(boundaries or [], req)
            if decision is Decision.ALLOW:
                verdict = "allowed"
            elif denied or b_denied:
                verdict = "explicitDeny"
            else:
                verdict = "implicitDeny"
            result: dict[str, Any] = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": verdict,
                                      "MatchedStatements": matched + b_matched,
                                      "MissingContextValues": _missing([*identity, *(boundaries or [])], req)}
            if boundaries is not None:
                allowed = any(p.policy for p in boundaries) and not b_denied and bool(b_matched)
                result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
            results.append(result)
    return results
