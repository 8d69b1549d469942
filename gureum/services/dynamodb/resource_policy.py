"""DynamoDB resource-based policies on tables (Put/Get/DeleteResourcePolicy) and the policy
gate's reader of them (gureum/policy/resource_policies.py: `read`), so a table's policy is
evaluated like an S3 bucket's: another account reaches a table (by its ARN) only when the
policy allows it, and a Deny applies to everyone.

The table document keeps "Policy": {"Text", "Rev"} (Rev: AWS's revision id, a millisecond
timestamp as a string). The policy of a table also governs its indexes (an index ARN reads
the table's). Policies on stream ARNs are not built (501). Rules (AWS's): a document the policy
engine cannot read is a ValidationException; over 20 KB a LimitExceededException;
ExpectedRevisionId must match the current revision (else PolicyNotFoundException).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.resource_policies import unreadable
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb.values import invalid
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

MAX_BYTES = 20 * 1024


def _table(txn: Txn, arn: str) -> tuple[str, str, dict[str, Any]]:
    parsed = arns.try_parse(arn)
    if parsed is not None and parsed.service == "dynamodb" and "/stream/" in parsed.resource:
        raise AwsError.common("NotImplemented", "gureum's DynamoDB does not implement resource policies on streams yet")
    return T.by_arn(txn, arn)


def _not_found(arn: str, why: str = "") -> AwsError:
    return AwsError.modeled("dynamodb", "PolicyNotFoundException",
                            f"Resource-based policy not found for the provided ResourceArn: {arn}{why}")


def _check_revision(doc: dict[str, Any], arn: str, expected: str | None) -> None:
    if expected is None:
        return
    cur = (doc.get("Policy") or {}).get("Rev")
    if cur != expected:
        raise _not_found(arn, f" with the expected revision id: {expected}" if cur is None else
                         f"; Requested policy revision id {expected} does not match the current revision id {cur}")


def put(txn: Txn, p: dict[str, Any], now: float) -> dict[str, Any]:
    text = p["Policy"]
    if len(text.encode()) > MAX_BYTES:
        raise AwsError.modeled("dynamodb", "LimitExceededException",
                               f"Resource-based policy size exceeds the limit of {MAX_BYTES} bytes")
    why = unreadable(text)
    if why is not None:
        raise invalid(f"Invalid policy document: {why}")
    account, region, doc = _table(txn, p["ResourceArn"])
    _check_revision(doc, p["ResourceArn"], p.get("ExpectedRevisionId"))
    rev = str(max(int(now * 1000), int((doc.get("Policy") or {}).get("Rev") or 0) + 1))
    doc["Policy"] = {"Text": text, "Rev": rev}
    T.put(txn, account, region, doc)
    return {"RevisionId": rev}


def get(txn: Txn, arn: str) -> dict[str, Any]:
    _, _, doc = _table(txn, arn)
    pol = doc.get("Policy")
    if not pol:
        raise _not_found(arn)
    return {"Policy": pol["Text"], "RevisionId": pol["Rev"]}


def delete(txn: Txn, p: dict[str, Any]) -> dict[str, Any]:
    account, region, doc = _table(txn, p["ResourceArn"])
    pol = doc.get("Policy")
    if not pol:
        raise _not_found(p["ResourceArn"])
    _check_revision(doc, p["ResourceArn"], p.get("ExpectedRevisionId"))
    doc["Policy"] = None
    T.put(txn, account, region, doc)
    return {"RevisionId": pol["Rev"]}


async def read(app: App, arn: str) -> str | None:
    """The policy text of the table `arn` names (or of an index's table), for the gate."""
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "dynamodb" or not parsed.resource.startswith("table/"):
        return None
    name = parsed.resource.split("/")[1]

    def txn(t: Txn) -> str | None:
        doc = t.get(T.TABLES, T.table_key(parsed.account, parsed.region, name))
        pol = (doc or {}).get("Policy")
        return str(pol["Text"]) if pol else None

    return await app.store.read(txn)
