"""Who reads which resource policy: the ARN's service -> the reader in that service's
package (`async def read(app, arn) -> str | None`, the policy text or None), imported on
first use. Resources of a kind without a policy (log groups, ECS clusters, Cloud Map,
Route 53, IAM entities — a role's trust policy is STS's to evaluate) have no reader: no resource
policy applies to them, so another account can never reach them.

What the gate cannot parse it skips (gate.parsed), so a Deny in such a document would be lost:
each service refuses one at write in its own words, asking `unreadable` first (SQS queue and
SNS topic policies, S3 bucket policies, ECR repository policies, Lambda's AddPermission).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from gureum.aws import arn as arns

if TYPE_CHECKING:
    from gureum.app import App

Reader = Callable[["App", str], Awaitable["str | None"]]

# ARN service -> "module:function"
READERS: dict[str, str] = {
    "sqs": "gureum.services.sqs.resource_policy:read",
    "sns": "gureum.services.sns.resource_policy:read",
    "ecr": "gureum.services.ecr.resource_policy:read",
    "lambda": "gureum.services.lambda_.resource_policy:read",
    "s3": "gureum.services.s3.resource_policy:read",
    "secretsmanager": "gureum.services.secretsmanager.resource_policy:read",
    "dynamodb": "gureum.services.dynamodb.resource_policy:read",
    "kinesis": "gureum.services.kinesis.resource_policy:read",
    "lex": "gureum.services.lexv2.resource_policy:read",
}

_loaded: dict[str, Reader] = {}


def _reader(spec: str) -> Reader:
    fn = _loaded.get(spec)
    if fn is None:
        module, name = spec.split(":")
        fn = _loaded[spec] = getattr(importlib.import_module(module), name)
    return fn


def unreadable(text: str) -> str | None:
    """Why the policy engine cannot read `text` as a resource policy (its PolicyError's
    message, IAM's words), or None when it can."""
    from gureum.policy.engine import PolicyError, parse_policy

    try:
        parse_policy(text, kind="resource")
    except PolicyError as e:
        return str(e)
    return None


async def read(app: App, service: str, action: str, arn: str) -> str | None:
    """The policy text attached to resource `arn` for `action`, or None."""
    f = arns.fields(arn)
    if f is None:
        return None
    arn_service = f.service
    # A role's trust policy (the resource policy of sts:AssumeRole*) is STS's to evaluate
    # (iam/trust.py): IAM resources have none here.
    spec = READERS.get(arn_service, "")
    if not spec:
        return None
    return await _reader(spec)(app, arn)
