"""CloudWatch Logs destinations: the receiving end of cross-account subscriptions.

Table logs.destinations "<acct>/<region>/<destinationName>" -> the destination as
DescribeDestinations shows it (destinationName, targetArn, roleArn, accessPolicy, arn,
creationTime) and "tags".

A destination's target is a Kinesis Data Stream or a Firehose stream (AWS accepts nothing
else); gureum serves neither yet (issue 18), so a destination is kept and described, and a
subscription filter naming one is refused by subscriptions.py as AWS refuses a destination it
cannot deliver to. Another account may subscribe only when the destination's access policy
allows it logs:PutSubscriptionFilter (`usable_by`, AWS's rule).
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.store import Txn

DESTINATIONS = "logs.destinations"
TARGET_SERVICES = ("kinesis", "firehose")


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _missing() -> AwsError:
    return AwsError.modeled("logs", "ResourceNotFoundException", "The specified destination does not exist.")


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def put(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> dict[str, Any]:
    """PutDestination: create, or change the target and role of, a destination."""
    if arns.service_of(p["targetArn"]) not in TARGET_SERVICES:
        raise _invalid("Invalid destination target ARN: it must be a Kinesis stream or a Firehose delivery stream.")
    if arns.service_of(p["roleArn"]) != "iam":
        raise _invalid("Invalid role ARN.")
    k = key(account, region, p["destinationName"])
    doc = txn.get(DESTINATIONS, k) or {
        "destinationName": p["destinationName"], "arn": arns.logs_destination(region, account, p["destinationName"]),
        "creationTime": now, "tags": dict(p.get("tags") or {})}
    doc.update({"targetArn": p["targetArn"], "roleArn": p["roleArn"]})
    txn.put(DESTINATIONS, k, doc)
    return view(doc)


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "tags"}


def put_policy(txn: Txn, account: str, region: str, name: str, policy: str) -> None:
    """PutDestinationPolicy."""
    try:
        parsed = json.loads(policy)
    except ValueError:
        raise _invalid("Invalid access policy: it is not valid JSON.") from None
    if not isinstance(parsed, dict) or "Statement" not in parsed:
        raise _invalid("Invalid access policy: it has no Statement.")
    k = key(account, region, name)
    doc = txn.get(DESTINATIONS, k)
    if doc is None:
        raise _missing()
    doc["accessPolicy"] = policy
    txn.put(DESTINATIONS, k, doc)


def delete(txn: Txn, account: str, region: str, name: str) -> None:
    if not txn.delete(DESTINATIONS, key(account, region, name)):
        raise _missing()


def describe(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    rows, nxt = paging.page(txn, DESTINATIONS, key(account, region, p.get("DestinationNamePrefix") or ""),
                            token=p.get("nextToken"), limit=p.get("limit"), default_limit=50, max_limit=50,
                            error=lambda: _invalid("The specified nextToken is invalid."))
    return [view(d) for _, d in rows], nxt


def usable_by(txn: Txn, arn: str, account: str) -> dict[str, Any]:
    """The destination `arn` names, when `account` may subscribe to it (its own, or one whose
    access policy allows that account logs:PutSubscriptionFilter)."""
    a = arns.try_parse(arn)
    if a is None or a.service != "logs" or not a.resource.startswith("destination:"):
        raise _invalid("Invalid destination ARN.")
    doc = txn.get(DESTINATIONS, key(a.account, a.region, a.resource.split(":", 1)[1]))
    if doc is None:
        raise _missing()
    if a.account != account and not _policy_allows(doc.get("accessPolicy"), account, arn):
        raise AwsError.modeled("logs", "AccessDeniedException", f"User with accountId: {account} is not authorized to perform: "
                              f"logs:PutSubscriptionFilter on resource: {arn}")
    return doc


def _policy_allows(text: str | None, account: str, arn: str) -> bool:
    if not text:
        return False
    from gureum.policy.engine import AuthRequest, Decision, PolicyError, Principal, parse_policy, statement_decision

    try:
        policy = parse_policy(text, kind="resource")
    except PolicyError:
        return False
    who = Principal(arn=arns.iam_root(account), account=account, kind="root")
    return statement_decision(policy, AuthRequest(who, "logs:PutSubscriptionFilter", arn)) is Decision.ALLOW


class Tags:
    """A destination's tags (TagResource and friends on its ARN): the doc's "tags". Only the
    caller's own destinations in the caller's region are found (`account`, `region`)."""

    def __init__(self, arn: str, account: str, region: str) -> None:
        a = arns.try_parse(arn)
        mine = a is not None and a.account == account and a.region == region
        self.key = key(account, region, a.resource.split(":", 1)[1]) if a is not None and mine else ""

    def read(self, txn: Txn) -> dict[str, str]:
        doc = txn.get(DESTINATIONS, self.key) if self.key else None
        if doc is None:
            raise _missing()
        return dict(doc.get("tags") or {})

    def write(self, txn: Txn, tags: dict[str, str]) -> None:
        doc = txn.get(DESTINATIONS, self.key) if self.key else None
        if doc is None:
            raise _missing()
        doc["tags"] = tags
        txn.put(DESTINATIONS, self.key, doc)


def is_destination_arn(arn: str) -> bool:
    a = arns.try_parse(arn)
    return a is not None and a.service == "logs" and a.resource.startswith("destination:")
