"""Pull-time update exclusions (RegisterPullTimeUpdateExclusion...): IAM principals whose
pulls do not move an image's lastRecordedPullTime (AWS: for scanners and CI that must not
keep images alive under lifecycle rules on pull time).

Table `ecr.pullexcl`: "<account>|<region>|<principal ARN>" -> {"principalArn", "createdAt"}.
At most 100 per registry (AWS's quota). Honoured where gureum knows the pulling principal:
BatchGetImage through the ECR API (a role session is matched by its role's ARN). Registry
(/v2/) pulls carry an account token, not a principal, so they always record the pull.
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.store.base import Txn

EXCLUSIONS = "ecr.pullexcl"
MAX_EXCLUSIONS = 100


def register(txn: Txn, scope: str, principal: str, now: float) -> dict[str, Any]:
    if txn.get(EXCLUSIONS, scope + principal) is not None:
        raise AwsError.modeled("ecr", "ExclusionAlreadyExistsException",
                               f"The principal '{principal}' is already excluded from pull time updates")
    if txn.count(EXCLUSIONS, scope) >= MAX_EXCLUSIONS:
        raise AwsError.modeled("ecr", "LimitExceededException",
                               f"The maximum number of pull time update exclusions ({MAX_EXCLUSIONS}) has been reached")
    doc = {"principalArn": principal, "createdAt": now}
    txn.put(EXCLUSIONS, scope + principal, doc)
    return doc


def deregister(txn: Txn, scope: str, principal: str) -> None:
    if not txn.delete(EXCLUSIONS, scope + principal):
        raise AwsError.modeled("ecr", "ExclusionNotFoundException",
                               f"The principal '{principal}' is not excluded from pull time updates")


def principals(txn: Txn, scope: str) -> list[str]:
    return [doc["principalArn"] for _, doc in txn.scan(EXCLUSIONS, prefix=scope)]


def excluded(txn: Txn, scope: str, caller_arn: str) -> bool:
    """Whether a pull by `caller_arn` (a user, a role or a role session) leaves pull times alone."""
    names = principals(txn, scope)
    if not names:
        return False
    if caller_arn in names:
        return True
    caller = arns.try_parse(caller_arn)
    if caller is None or caller.service != "sts" or not caller.resource.startswith("assumed-role/"):
        return False
    role = caller.resource.split("/")[1]
    for n in names:
        a = arns.try_parse(n)
        if a is not None and a.account == caller.account and a.resource.startswith("role/") and a.resource.rsplit("/", 1)[-1] == role:
            return True
    return False
