"""ELBv2's tag rules (AWS's Elastic Load Balancing limits: 50 tags per resource; a key given
twice in one request is DuplicateTagKeys; more than 50 is TooManyTags) and the `Place` of a
resource's tags: the "tags" dict on its own document, whatever table holds it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

RULES = tags.Rules(
    invalid=lambda m: AwsError.modeled("elbv2", "ValidationError", m),
    too_many=lambda m: AwsError.modeled("elbv2", "TooManyTags", m),
    duplicate=lambda k: AwsError.modeled("elbv2", "DuplicateTagKeys", f"Tag key '{k}' is duplicated"),
    too_many_message="The quota for the number of tags that can be assigned to a load balancer has been reached",
)


def checked(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """The tags of a create request ([{"Key", "Value"}]), checked; {} when none."""
    pairs = [(x.get("Key"), x.get("Value") or "") for x in items or []]
    out = tags.check(pairs, RULES)
    return tags.apply({}, out, (), RULES)


@dataclass(frozen=True)
class DocPlace:
    """The tags of the document at `table`/`key` (its "tags" member)."""

    table: str
    key: str

    def read(self, txn: Txn) -> dict[str, str]:
        doc = txn.get(self.table, self.key)
        return dict((doc or {}).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = txn.get(self.table, self.key)
        if doc is not None:
            doc["tags"] = new
            txn.put(self.table, self.key, doc)
