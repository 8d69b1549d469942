"""Cloud Map tags (TagResource, UntagResource, ListTagsForResource) on namespaces and services,
through the kit (gureum/aws/tags.py). A resource's tags live in its own document (sd.namespaces
or sd.services, model.py) as `_tags`, a list of {"Key", "Value"} in the order they were added,
which is also where CreateXxx's `Tags` are kept. A resource is named by its ARN; one of
another account or region, or that does not exist, is ResourceNotFoundException."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.store import Txn


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("servicediscovery", "InvalidInput", message)


def _too_many(resource: str) -> tags.Rules:
    return tags.Rules(invalid=_invalid,
                      too_many=lambda m: AwsError.modeled("servicediscovery", "TooManyTagsException", m, ResourceName=resource),
                      too_many_message="The list of tags on the resource is over the quota. "
                      "The maximum number of tags that can be applied to a resource is {max}.")


def rules(resource: str) -> tags.Rules:
    """Cloud Map's tag rules for the resource `resource` (its ARN, named by TooManyTagsException)."""
    return _too_many(resource)


def _not_found() -> AwsError:
    return AwsError.modeled("servicediscovery", "ResourceNotFoundException",
                            "The operation can't be completed because the resource was not found.")


class ResourceTags:
    """The tags of the namespace or service `arn` of `account`/`region` (a tags.Place)."""

    def __init__(self, account: str, region: str, arn: str) -> None:
        self.account, self.region, self.arn = account, region, arn

    def _where(self, txn: Txn) -> tuple[str, str, dict[str, Any]]:
        parsed = arns.try_parse(self.arn)
        if parsed is None or parsed.service != "servicediscovery":
            raise _invalid(f"Resource ARN {self.arn} is not valid.")
        if parsed.account != self.account or parsed.region != self.region:
            raise _not_found()
        kind, _, rid = parsed.resource.partition("/")
        table = {"namespace": model.NAMESPACES, "service": model.SERVICES}.get(kind)
        if table is None:
            raise _invalid(f"Resource ARN {self.arn} is not valid.")
        key = model.sc(self.account, self.region) + rid
        doc = txn.get(table, key)
        if doc is None:
            raise _not_found()
        return table, key, doc

    def read(self, txn: Txn) -> dict[str, str]:
        return tags.from_pairs(self._where(txn)[2].get("_tags"))

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        table, key, doc = self._where(txn)
        txn.put(table, key, {**doc, "_tags": tags.to_pairs(new)})
