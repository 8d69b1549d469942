"""CloudWatch Logs resource policies, account policies and the account's storage tier.

Tables (keys start with "<account>/<region>/"):
  logs.resource_policies  "<acct>/<region>/<policyName>" (policyScope ACCOUNT) or
                          "<acct>/<region>/\\x1e<resourceArn>" (policyScope RESOURCE: one per
                          log group) -> the policy as DescribeResourcePolicies shows it
  logs.account_policies   "<acct>/<region>/<policyType>\\x1f<policyName>" -> the policy as
                          DescribeAccountPolicies shows it
  logs.storage_tier       "<acct>/<region>" -> {"storageTier", "lastUpdatedTime"}

Rules (AWS's): at most MAX_RESOURCE_POLICIES account-scoped resource policies per region; a
revisionId changes with every write and a stale expectedRevisionId is refused; a policy
document must be JSON. Account policies: one DATA_PROTECTION_POLICY and one
SUBSCRIPTION_FILTER_POLICY per account and region, MAX_OTHER_ACCOUNT_POLICIES of each other
type; selectionCriteria only for the types AWS takes it for; dryRun only for RETENTION_POLICY.
An account DATA_PROTECTION_POLICY masks as a group's own does (masking.py); a
SUBSCRIPTION_FILTER_POLICY delivers as a group's own filter does (subscriptions.py); a
RETENTION_POLICY ({"retentionInDays": AWS's values or "NEVER_EXPIRE", "enforcementMode":
NEW_ONLY | RETROACTIVE}, selected by `LogGroupNamePrefix IN [...]`) overrides the retention of
the groups it applies to (`retention_of`: expiry, PutLogEvents, DescribeLogGroups'
retentionPolicyName), NEW_ONLY only for groups created after it (rows keep an internal
"createdTime" for that). FIELD_INDEX, TRANSFORMER and METRIC_EXTRACTION policies are kept and
described here; their effects belong to field indexes and transformers.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.store import Txn

RESOURCE_POLICIES = "logs.resource_policies"
ACCOUNT_POLICIES = "logs.account_policies"
STORAGE_TIER = "logs.storage_tier"
MAX_RESOURCE_POLICIES = 10
MAX_OTHER_ACCOUNT_POLICIES = 20
ONE_PER_ACCOUNT = ("DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY")
SELECTION_TYPES = ("SUBSCRIPTION_FILTER_POLICY", "FIELD_INDEX_POLICY", "TRANSFORMER_POLICY", "RETENTION_POLICY")
_NOT_IN = re.compile(r'^\s*LogGroupName\s+NOT\s+IN\s*\[(.*)\]\s*$', re.S)


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _json(document: str, what: str) -> Any:
    try:
        return json.loads(document)
    except ValueError:
        raise _invalid(f"Invalid {what}: the document is not valid JSON.") from None


# --- resource policies ------------------------------------------------------------------------

def _resource_key(account: str, region: str, name: str | None, resource_arn: str | None) -> str:
    return f"{account}/{region}/" + (f"\x1e{resource_arn}" if resource_arn else str(name))


def put_resource_policy(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> dict[str, Any]:
    name, resource_arn = p.get("policyName"), p.get("resourceArn")
    if not name and not resource_arn:
        raise _invalid("Either policyName or resourceArn must be specified.")
    if not p.get("policyDocument"):
        raise _invalid("A policyDocument is required.")
    doc = _json(p["policyDocument"], "policy document")
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise _invalid("Invalid policy document: it has no Statement.")
    if resource_arn:
        try:
            _, owner, group = arns.logs_group_parts(resource_arn)
        except ValueError:
            raise _invalid(f"Invalid resourceArn: {resource_arn}") from None
        model.get_group(txn, owner, region, group)
    key = _resource_key(account, region, name, resource_arn)
    old = txn.get(RESOURCE_POLICIES, key)
    expected = p.get("expectedRevisionId")
    if expected is not None and (old is None or old.get("revisionId") != expected):
        raise AwsError.modeled("logs", "OperationAbortedException",
                               "The expectedRevisionId does not match the policy's current revisionId.")
    if old is None and not resource_arn:
        count = sum(1 for k, _ in txn.scan(RESOURCE_POLICIES, f"{account}/{region}/") if "\x1e" not in k)
        if count >= MAX_RESOURCE_POLICIES:
            raise AwsError.modeled("logs", "LimitExceededException", "Resource limit exceeded.")
    out: dict[str, Any] = {"policyDocument": p["policyDocument"], "lastUpdatedTime": now,
                           "policyScope": "RESOURCE" if resource_arn else "ACCOUNT", "revisionId": uuid.uuid4().hex}
    if name:
        out["policyName"] = name
    if resource_arn:
        out["resourceArn"] = resource_arn
    txn.put(RESOURCE_POLICIES, key, out)
    return out


def delete_resource_policy(txn: Txn, account: str, region: str, p: dict[str, Any]) -> None:
    name, resource_arn = p.get("policyName"), p.get("resourceArn")
    if not name and not resource_arn:
        raise _invalid("Either policyName or resourceArn must be specified.")
    key = _resource_key(account, region, name, resource_arn)
    old = txn.get(RESOURCE_POLICIES, key)
    if old is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", f"Policy with name [{name or resource_arn}] does not exist")
    expected = p.get("expectedRevisionId")
    if expected is not None and old.get("revisionId") != expected:
        raise AwsError.modeled("logs", "OperationAbortedException",
                               "The expectedRevisionId does not match the policy's current revisionId.")
    txn.delete(RESOURCE_POLICIES, key)


def describe_resource_policies(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    resource_arn, scope = p.get("resourceArn"), p.get("policyScope")
    prefix = f"{account}/{region}/" + (f"\x1e{resource_arn}" if resource_arn else "")

    def keep(doc: dict[str, Any]) -> bool:
        return (not scope or doc["policyScope"] == scope) and (not resource_arn or doc.get("resourceArn") == resource_arn)

    rows, nxt = paging.page(txn, RESOURCE_POLICIES, prefix, token=p.get("nextToken"), limit=p.get("limit"),
                            default_limit=50, max_limit=50, keep=keep, filters={"policyScope": scope},
                            error=lambda: _invalid("The specified nextToken is invalid."))
    return [d for _, d in rows], nxt


def drop_group(txn: Txn, account: str, region: str, group: str) -> None:
    """A deleted group's resource-scoped policy goes with it."""
    txn.delete(RESOURCE_POLICIES, _resource_key(account, region, None, arns.logs_group(region, account, group)))


# --- account policies -------------------------------------------------------------------------

def put_account_policy(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> dict[str, Any]:
    kind, name = p["policyType"], p["policyName"]
    if p.get("selectionCriteria") and kind not in SELECTION_TYPES:
        raise _invalid(f"selectionCriteria is not supported for policy type {kind}.")
    _json(p["policyDocument"], "policy document")  # a data protection policy: masking.check first (api)
    if kind == "SUBSCRIPTION_FILTER_POLICY" and p.get("selectionCriteria") and not _NOT_IN.match(p["selectionCriteria"]):
        raise _invalid("The only selectionCriteria supported for a subscription filter policy is LogGroupName NOT IN [].")
    retention = _retention_doc(p["policyDocument"]) if kind == "RETENTION_POLICY" else None
    if p.get("selectionCriteria") and kind == "RETENTION_POLICY" and _prefixes(p["selectionCriteria"]) is None:
        raise _invalid("The only selectionCriteria supported for a retention policy is LogGroupNamePrefix IN [].")
    if p.get("dryRun"):
        if retention is None:
            raise _invalid("dryRun is only supported for policy type RETENTION_POLICY.")
        candidate = {"policyName": name, "selectionCriteria": p.get("selectionCriteria"), "createdTime": now,
                     "policyDocument": p["policyDocument"]}
        return {"dryRunResult": _impact(txn, account, region, before=None, after=candidate)}
    prefix = f"{account}/{region}/{kind}\x1f"
    key = prefix + name
    old = txn.get(ACCOUNT_POLICIES, key)
    if old is None:
        limit = 1 if kind in ONE_PER_ACCOUNT else MAX_OTHER_ACCOUNT_POLICIES
        if txn.count(ACCOUNT_POLICIES, prefix) >= limit:
            raise AwsError.modeled("logs", "LimitExceededException", "Resource limit exceeded.")
    doc: dict[str, Any] = {"policyName": name, "policyDocument": p["policyDocument"], "lastUpdatedTime": now,
                           "policyType": kind, "scope": p.get("scope") or "ALL", "accountId": account}
    if p.get("selectionCriteria"):
        doc["selectionCriteria"] = p["selectionCriteria"]
    txn.put(ACCOUNT_POLICIES, key, {**doc, "createdTime": old.get("createdTime", now) if old else now})
    if retention is not None:  # applied at once: events past the new retention go now
        model.expire(txn, f"{account}/{region}/", retention=retention_of)
    return {"accountPolicy": doc}


RETENTION_VALUES = (30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
_PREFIX_IN = re.compile(r'^\s*LogGroupNamePrefix\s+IN\s*\[(.*)\]\s*$', re.S)


def _retention_doc(document: str) -> dict[str, Any]:
    """A retention policy document: retentionInDays (AWS's values, or "NEVER_EXPIRE") and
    enforcementMode (NEW_ONLY or RETROACTIVE)."""
    doc = _json(document, "retention policy")
    days = doc.get("retentionInDays") if isinstance(doc, dict) else None
    if days != "NEVER_EXPIRE" and (isinstance(days, bool) or days not in RETENTION_VALUES):
        raise _invalid("Invalid retention policy: retentionInDays must be one of "
                       f"{', '.join(map(str, RETENTION_VALUES))} or NEVER_EXPIRE.")
    if doc.get("enforcementMode") not in ("NEW_ONLY", "RETROACTIVE"):
        raise _invalid("Invalid retention policy: enforcementMode must be NEW_ONLY or RETROACTIVE.")
    return dict(doc)


def _prefixes(criteria: str | None) -> list[str] | None:
    """The prefixes of `LogGroupNamePrefix IN ["a", "b"]` ([""] for no criteria), or None."""
    if not criteria:
        return [""]
    m = _PREFIX_IN.match(criteria)
    if m is None:
        return None
    return [x.strip().strip('"') for x in m.group(1).split(",") if x.strip()]


def _applies(policy: dict[str, Any], group: dict[str, Any]) -> bool:
    doc = json.loads(policy["policyDocument"])
    if doc.get("enforcementMode") == "NEW_ONLY" and int(group.get("creationTime", 0)) < int(policy.get("createdTime", 0)):
        return False
    return any(group["logGroupName"].startswith(pre) for pre in _prefixes(policy.get("selectionCriteria")) or [])


def _governing(txn: Txn, account: str, region: str, group: dict[str, Any]) -> dict[str, Any] | None:
    """The account retention policy that sets `group`'s retention, if any (the first by name)."""
    for _, pol in txn.scan(ACCOUNT_POLICIES, f"{account}/{region}/RETENTION_POLICY\x1f"):
        if _applies(pol, group):
            return pol
    return None


def _days(policy: dict[str, Any]) -> int | None:
    days = json.loads(policy["policyDocument"])["retentionInDays"]
    return None if days == "NEVER_EXPIRE" else int(days)


def retention_of(txn: Txn, gkey: str, group: dict[str, Any]) -> int | None:
    """The retention (days, None: never expire) that applies to a group: the account
    retention policy's where one applies, as it overrides the group's own."""
    account, region, _ = gkey.split("/", 2)
    pol = _governing(txn, account, region, group)
    return _days(pol) if pol is not None else group.get("retentionInDays")


def with_account_retention(txn: Txn, gkey: str, view: dict[str, Any]) -> dict[str, Any]:
    """A group as DescribeLogGroups shows it under an account retention policy: its name in
    retentionPolicyName and its retentionInDays (none for NEVER_EXPIRE), as AWS shows it."""
    account, region, _ = gkey.split("/", 2)
    pol = _governing(txn, account, region, view)
    if pol is None:
        return view
    out = {k: v for k, v in view.items() if k != "retentionInDays"}
    out["retentionPolicyName"] = pol["policyName"]
    days = _days(pol)
    if days is not None:
        out["retentionInDays"] = days
    return out


def _impact(txn: Txn, account: str, region: str, *, before: dict[str, Any] | None,
            after: dict[str, Any] | None) -> dict[str, Any]:
    """What replacing retention policy `before` by `after` (either None) would do to the
    groups either selects (dryRun)."""
    def effective(pol: dict[str, Any] | None, g: dict[str, Any]) -> int | None:
        return _days(pol) if pol is not None and _applies(pol, g) else g.get("retentionInDays")

    inf = 10**9
    more = less = same = total = 0
    for _, g in txn.scan(model.GROUPS, f"{account}/{region}/"):
        if not any(pol is not None and _applies(pol, g) for pol in (before, after)):
            continue
        total += 1
        old, new = effective(before, g) or inf, effective(after, g) or inf
        more, less, same = more + (new > old), less + (new < old), same + (new == old)
    return {"totalMatchedLogGroups": total, "increasedRetentionLogGroupCount": more,
            "decreasedRetentionLogGroupCount": less, "unchangedRetentionLogGroupCount": same, "failedAnalysisCount": 0}


def delete_dry_run(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    """DeleteAccountPolicy with dryRun (retention policies only)."""
    if p["policyType"] != "RETENTION_POLICY":
        raise _invalid("dryRun is only supported for policy type RETENTION_POLICY.")
    pol = txn.get(ACCOUNT_POLICIES, f"{account}/{region}/RETENTION_POLICY\x1f{p['policyName']}")
    if pol is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", f"Policy with name [{p['policyName']}] does not exist")
    return _impact(txn, account, region, before=pol, after=None)


def describe_account_policies(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    kind, name = p["policyType"], p.get("policyName")
    rows = txn.scan(ACCOUNT_POLICIES, f"{account}/{region}/{kind}\x1f")
    return [{k: v for k, v in d.items() if k != "createdTime"} for _, d in rows if not name or d["policyName"] == name]


def delete_account_policy(txn: Txn, account: str, region: str, p: dict[str, Any]) -> None:
    if not txn.delete(ACCOUNT_POLICIES, f"{account}/{region}/{p['policyType']}\x1f{p['policyName']}"):
        raise AwsError.modeled("logs", "ResourceNotFoundException", f"Policy with name [{p['policyName']}] does not exist")


def _selected(criteria: str | None, group: str) -> bool:
    m = _NOT_IN.match(criteria or "")
    if not m:
        return True
    return group not in [s.strip().strip('"') for s in m.group(1).split(",") if s.strip()]


def account_data_protection(txn: Txn, account: str, region: str, group: str) -> list[dict[str, Any]]:
    """The account's data protection policy documents that apply to `group`."""
    rows = txn.scan(ACCOUNT_POLICIES, f"{account}/{region}/DATA_PROTECTION_POLICY\x1f")
    return [json.loads(d["policyDocument"]) for _, d in rows]


def account_subscriptions(txn: Txn, account: str, region: str, group: str) -> list[dict[str, Any]]:
    """The account subscription filter policies that apply to `group`, as subscription
    filter docs (filterName the policy's name)."""
    out = []
    for _, d in txn.scan(ACCOUNT_POLICIES, f"{account}/{region}/SUBSCRIPTION_FILTER_POLICY\x1f"):
        if not _selected(d.get("selectionCriteria"), group):
            continue
        body = json.loads(d["policyDocument"])
        if isinstance(body, dict) and body.get("DestinationArn"):
            out.append({"filterName": d["policyName"], "filterPattern": body.get("FilterPattern") or "",
                        "destinationArn": body["DestinationArn"]})
    return out


# --- storage tier -----------------------------------------------------------------------------

def get_storage_tier(txn: Txn, account: str, region: str) -> dict[str, Any]:
    return dict(txn.get(STORAGE_TIER, f"{account}/{region}") or {"storageTier": "STANDARD"})


def put_storage_tier(txn: Txn, account: str, region: str, tier: str, now: int) -> dict[str, Any]:
    doc = {"storageTier": tier, "lastUpdatedTime": now}
    txn.put(STORAGE_TIER, f"{account}/{region}", doc)
    return doc
