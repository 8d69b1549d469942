"""CloudFormation's store layout and the rules on it (stacks, events, resources, exports).

Tables:
- cfn_stacks: "{account}/{region}/{uuid}" -> the stack: {"StackId", "StackName", "Description",
  "StackStatus", "StackStatusReason", "CreationTime", "LastUpdatedTime", "DeletionTime",
  "DisableRollback", "EnableTerminationProtection", "Tags", "Capabilities",
  "NotificationARNs", "TimeoutInMinutes", "RoleARN", "StackPolicyBody", "Parameters" (as
  DescribeStacks shows them), "Outputs", "template" (the body), "given" (raw parameter
  values), "caller" {"account", "principal", "key"}, "op" (the running operation, or None:
  {"kind": create|update|delete, "node", "run" (the process that last wrote it: RUN),
  "previous" (update: the template, given, outputs and parameters before)}), "imports"
  [export names]}.
- cfn_stack_names: "{account}/{region}/{name}" -> {"uuid"}: the live (not DELETE_COMPLETE)
  stack of that name; a name has at most one.
- cfn_resources: "{account}/{region}/{uuid}/{logical}" -> {"LogicalResourceId",
  "PhysicalResourceId", "ResourceType", "ResourceStatus", "ResourceStatusReason",
  "Timestamp", "props" (resolved properties it was created/updated with), "attrs", "ref",
  "DeletionPolicy", "UpdateReplacePolicy", "old" (update: the row before, until cleanup),
  "fresh" (created by the running operation)}.
- cfn_events: "{account}/{region}/{uuid}/{seq:010d}" -> one StackEvent (newest last).
- cfn_exports: "{account}/{region}/{name}" -> {"ExportingStackId", "Name", "Value"}.

Invariants: an export name is unique per account and region; a stack whose export another
stack imports can neither delete it nor change its value; a stack name maps to one live
stack. Writes publish "cloudformation.stack" {"key"}. A stack's running operation carries
the RUN of the process that wrote it last: at start-up, a node resumes only operations a
previous process of it left (not one this process began while the resuming component woke).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.store import Txn

STACKS = "cfn_stacks"
NAMES = "cfn_stack_names"
RESOURCES = "cfn_resources"
EVENTS = "cfn_events"
EXPORTS = "cfn_exports"
TOPIC = "cloudformation.stack"
TABLES = (STACKS, NAMES, RESOURCES, EVENTS, EXPORTS)
RUN = uuid.uuid4().hex  # this process, as stacks' running operations name it ("op" "run")

Doc = dict[str, Any]

IN_PROGRESS_KINDS = ("CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS",
                     "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS",
                     "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "REVIEW_IN_PROGRESS")


def stack_key(account: str, region: str, uuid: str) -> str:
    return f"{account}/{region}/{uuid}"


def uuid_of(stack_id: str) -> str:
    return stack_id.rsplit("/", 1)[-1]


def validation(message: str) -> AwsError:
    return AwsError.modeled("cloudformation", "ValidationError", message)


def find(txn: Txn, account: str, region: str, name_or_id: str, *, deleted: bool = True) -> Doc | None:
    """A stack by name (the live one) or by id (deleted ones too when `deleted`)."""
    if arns.looks_like_arn(name_or_id):
        doc = txn.get(STACKS, stack_key(account, region, uuid_of(name_or_id)))
        if doc is None or doc["StackId"] != name_or_id:
            return None
        if not deleted and doc["StackStatus"] == "DELETE_COMPLETE":
            return None
        return doc
    row = txn.get(NAMES, f"{account}/{region}/{name_or_id}")
    return None if row is None else txn.get(STACKS, stack_key(account, region, row["uuid"]))


def must_find(txn: Txn, account: str, region: str, name_or_id: str, *, deleted: bool = True) -> Doc:
    doc = find(txn, account, region, name_or_id, deleted=deleted)
    if doc is None:
        raise validation(f"Stack with id {name_or_id} does not exist")
    return doc


def save(txn: Txn, account: str, region: str, doc: Doc) -> None:
    if doc.get("op"):
        doc["op"]["run"] = RUN  # (this process drives it from here on)
    key = stack_key(account, region, uuid_of(doc["StackId"]))
    txn.put(STACKS, key, doc)
    txn.publish(TOPIC, {"key": key})


def add_event(txn: Txn, account: str, region: str, stack: Doc, logical: str, physical: str, rtype: str,
              status: str, reason: str, now: float, properties: str | None = None) -> Doc:
    uuid = uuid_of(stack["StackId"])
    seq = txn.next_id(f"cfn_events/{uuid}")
    event: Doc = {"StackId": stack["StackId"], "EventId": f"{logical}-{status}-{seq}", "StackName": stack["StackName"],
                  "LogicalResourceId": logical, "PhysicalResourceId": physical, "ResourceType": rtype,
                  "Timestamp": now, "ResourceStatus": status}
    if reason:
        event["ResourceStatusReason"] = reason
    if properties is not None:
        event["ResourceProperties"] = properties
    txn.put(EVENTS, f"{stack_key(account, region, uuid)}/{seq:010d}", event)
    return event


def set_status(txn: Txn, account: str, region: str, stack_id: str, status: str, reason: str, now: float,
               **changes: Any) -> Doc:
    """The stack's status (and an event for it), plus `changes` to its document; the document
    returned carries the event as "_event" (for notifications)."""
    doc = txn.get(STACKS, stack_key(account, region, uuid_of(stack_id)))
    assert doc is not None
    doc.update(changes)
    doc["StackStatus"] = status
    if reason:
        doc["StackStatusReason"] = reason
    else:
        doc.pop("StackStatusReason", None)
    save(txn, account, region, doc)
    event = add_event(txn, account, region, doc, doc["StackName"], doc["StackId"], "AWS::CloudFormation::Stack",
                      status, reason, now)
    return {**doc, "_event": event}  # a copy: the stored document has no "_event"


def resources(txn: Txn, account: str, region: str, stack_id: str) -> Iterator[tuple[str, Doc]]:
    prefix = stack_key(account, region, uuid_of(stack_id)) + "/"
    for key, doc in txn.scan(RESOURCES, prefix):
        yield key[len(prefix):], doc


def put_resource(txn: Txn, account: str, region: str, stack: Doc, logical: str, row: Doc, *, event: bool = True,
                 now: float = 0.0) -> Doc | None:
    """The row written, and its event (returned) unless `event` is False."""
    key = f"{stack_key(account, region, uuid_of(stack['StackId']))}/{logical}"
    txn.put(RESOURCES, key, row)
    if not event:
        return None
    return add_event(txn, account, region, stack, logical, row.get("PhysicalResourceId", ""), row["ResourceType"],
                     row["ResourceStatus"], row.get("ResourceStatusReason", ""), now, row.get("event_props"))


def get_resource(txn: Txn, account: str, region: str, stack_id: str, logical: str) -> Doc | None:
    return txn.get(RESOURCES, f"{stack_key(account, region, uuid_of(stack_id))}/{logical}")


def drop_resource(txn: Txn, account: str, region: str, stack_id: str, logical: str) -> None:
    txn.delete(RESOURCES, f"{stack_key(account, region, uuid_of(stack_id))}/{logical}")


def exports(txn: Txn, account: str, region: str) -> Iterator[Doc]:
    for _, doc in txn.scan(EXPORTS, f"{account}/{region}/"):
        yield doc


def export_value(txn: Txn, account: str, region: str, name: str) -> str | None:
    doc = txn.get(EXPORTS, f"{account}/{region}/{name}")
    return None if doc is None else str(doc["Value"])


def importers(txn: Txn, account: str, region: str, name: str) -> list[str]:
    """Names of the live stacks importing export `name`."""
    out = []
    for _, doc in txn.scan(STACKS, f"{account}/{region}/"):
        if doc["StackStatus"] != "DELETE_COMPLETE" and name in (doc.get("imports") or ()):
            out.append(str(doc["StackName"]))
    return out


def check_exports(txn: Txn, account: str, region: str, stack_id: str, new: dict[str, str]) -> None:
    """Refuse exports another stack already exports, and removing or changing an export in use."""
    for name in new:
        doc = txn.get(EXPORTS, f"{account}/{region}/{name}")
        if doc is not None and doc["ExportingStackId"] != stack_id:
            raise validation(f"Export with name {name} is already exported by stack {doc['ExportingStackId'].split('/')[1]}")
    for doc in list(exports(txn, account, region)):
        if doc["ExportingStackId"] != stack_id:
            continue
        name = doc["Name"]
        users = importers(txn, account, region, name)
        if not users:
            continue
        if name not in new:
            raise validation(f"Cannot delete export {name} as it is in use by {', '.join(users)}.")
        if new[name] != doc["Value"]:
            raise validation(f"Cannot update export {name} as it is in use by {', '.join(users)}.")


def set_exports(txn: Txn, account: str, region: str, stack_id: str, new: dict[str, str]) -> None:
    for doc in list(exports(txn, account, region)):
        if doc["ExportingStackId"] == stack_id and doc["Name"] not in new:
            txn.delete(EXPORTS, f"{account}/{region}/{doc['Name']}")
    for name, value in new.items():
        txn.put(EXPORTS, f"{account}/{region}/{name}", {"ExportingStackId": stack_id, "Name": name, "Value": value})
