"""Kinesis resource-based policies on data streams and consumers (Put/Get/DeleteResourcePolicy)
and the policy gate's reader of them (gureum/policy/resource_policies.py: `read`): another
account reaches a stream by its ARN only where its policy allows (and a Deny refuses anyone),
and only for the operations AWS shares (streams.get `shared`: DescribeStreamSummary,
ListShards, PutRecord(s), GetShardIterator, GetRecords naming the StreamARN, and a consumer's
DescribeStreamConsumer and SubscribeToShard); management (tags, deletion, the policy itself)
stays the owner's.

Table kinesis_policies: "{stream key}" (a stream's policy) or "{stream key}/{consumer name}"
(a consumer's) -> {"Text": the policy JSON, "Arn": the resource ARN it was put on}. A policy
goes with its resource: DeleteStream drops the stream's and its consumers' (drop_stream),
DeregisterStreamConsumer the consumer's (drop_consumer).

Rules (AWS's): the ARN must name an existing stream or consumer of the caller's account and
Region (ResourceNotFoundException otherwise, InvalidArgumentException for an ARN that is
neither), a consumer ACTIVE for a put (ResourceInUseException while it is CREATING); a document the policy engine cannot read is an InvalidArgumentException, one over
20 KiB a LimitExceededException; GetResourcePolicy of a resource without a policy answers the
empty document "{}"; DeleteResourcePolicy of one without a policy is ResourceNotFoundException.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.resource_policies import unreadable
from gureum.services.kinesis import consumers as C
from gureum.services.kinesis import streams as K
from gureum.services.kinesis.streams import invalid
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

POLICIES = "kinesis_policies"
MAX_BYTES = 20 * 1024
EMPTY = "{}"


def _row(txn: Txn, account: str, region: str, arn: str, *, active: bool = False) -> str:
    """The row key of the stream or consumer `arn` names (which must exist; `active`: a
    consumer must be ACTIVE, as PutResourcePolicy requires)."""
    if "/consumer/" in arn:
        key, doc, c = C.find(txn, account, region, {"ConsumerARN": arn})
        if active and C.view(c, K.now_ms())["ConsumerStatus"] != "ACTIVE":
            raise K.in_use(f"Consumer {c['ConsumerName']} with creation timestamp {c['created']} under stream "
                           f"{doc['StreamName']} and account {account} is not in ACTIVE status.")
        return f"{key}/{c['ConsumerName']}"
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
        raise invalid(f"Invalid ResourceARN: {arn}")
    key, _ = K.get(txn, account, region, {"StreamARN": arn})
    return key


def put(txn: Txn, account: str, region: str, p: dict[str, Any]) -> None:
    text = p["Policy"]
    if len(text.encode()) > MAX_BYTES:
        raise AwsError.modeled("kinesis", "LimitExceededException",
                               f"Resource policy size exceeds the limit of {MAX_BYTES} bytes.")
    row = _row(txn, account, region, p["ResourceARN"], active=True)
    why = unreadable(text)
    if why is not None:
        raise invalid(f"Invalid policy document: {why}")
    txn.put(POLICIES, row, {"Text": text, "Arn": p["ResourceARN"]})


def get(txn: Txn, account: str, region: str, arn: str) -> dict[str, Any]:
    doc = txn.get(POLICIES, _row(txn, account, region, arn))
    return {"Policy": doc["Text"] if doc else EMPTY}


def delete(txn: Txn, account: str, region: str, arn: str) -> None:
    if not txn.delete(POLICIES, _row(txn, account, region, arn)):
        raise AwsError.modeled("kinesis", "ResourceNotFoundException", f"No resource policy found for resource {arn}.")


def drop_stream(txn: Txn, key: str) -> None:
    txn.delete(POLICIES, key)
    txn.delete_prefix(POLICIES, key + "/")


def drop_consumer(txn: Txn, key: str, consumer: str) -> None:
    txn.delete(POLICIES, f"{key}/{consumer}")


async def read(app: App, arn: str) -> str | None:
    """The policy text on the stream or consumer `arn` names exactly (a consumer's policy is
    its own, not its stream's), for the gate."""
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
        return None
    parts = parsed.resource.split("/")
    row = K.stream_key(parsed.account, parsed.region, parts[1])
    if len(parts) >= 4 and parts[2] == "consumer":
        row = f"{row}/{parts[3].rsplit(':', 1)[0]}"

    def txn(t: Txn) -> str | None:
        doc = t.get(POLICIES, row)
        return str(doc["Text"]) if doc else None

    return await app.store.read(txn)
