"""Budgets tags: a budget's ResourceTags (CreateBudget) and TagResource, UntagResource,
ListTagsForResource on its ARN (`arn:...:budgets::{account}:budget/{name}`), through the shared
tag kit (gureum/aws/tags.py).

Where they live: the budget's row (model.py's budgets.budgets) under "tags", `{key: value}`
(absent: none). Rules: AWS's tag rules with Budgets' InvalidParameterException; at most 200
tags (Budgets' ResourceTagList; more is ServiceQuotaExceededException); `aws:` keys are
reserved. An ARN that is not a budget of the caller's account is NotFoundException."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.budgets import model
from gureum.store import Txn

RULES = tags.Rules(invalid=model.invalid, max_tags=200,
                   too_many=lambda m: AwsError.modeled("budgets", "ServiceQuotaExceededException", m))


@dataclass(frozen=True)
class BudgetTags:
    account: str
    name: str

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(model.get(txn, self.account, self.name).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = model.get(txn, self.account, self.name)
        txn.put(model.BUDGETS, model.key(self.account, self.name), {**doc, "tags": new})


def place(account: str, resource_arn: str) -> BudgetTags:
    parts = arns.try_parse(resource_arn)
    kind, _, name = (parts.resource if parts is not None else "").partition("/")
    if parts is None or parts.service != "budgets" or parts.account != account or kind != "budget" or not name \
            or "/" in name:
        raise model.not_found(f"Unable to find the resource {resource_arn}.")
    return BudgetTags(account, name)


def checked(given: list[dict[str, Any]] | None) -> dict[str, str]:
    """CreateBudget's ResourceTags by the same rules as TagResource's."""
    return tags.apply({}, tags.check([(t.get("Key"), t.get("Value", "")) for t in given or ()], RULES), (), RULES)
