"""Secrets Manager's port for other services (ECS container secrets and registry
credentials, CloudFormation's dynamic references): a secret's value as GetSecretValue reads
it, inside the caller's store transaction (a writing one: the read is recorded in
LastAccessedDate). A missing secret, version or stage raises Secrets Manager's AwsError."""

from __future__ import annotations

import time

from gureum.services.secretsmanager import model
from gureum.store import Txn


def secret_value(txn: Txn, account: str, region: str, ref: str, stage: str | None = None, version_id: str | None = None) -> str:
    """The SecretString of `ref` (a name or ARN, full or partial) at `stage` (default
    AWSCURRENT) or `version_id`; a binary secret's bytes decoded as UTF-8."""
    got = model.get_value(txn, account, region, ref, version_id, stage, time.time())
    if "SecretString" in got:
        return str(got["SecretString"])
    return bytes(got["SecretBinary"]).decode("utf-8", errors="replace")


def secret_policy(txn: Txn, arn: str) -> str | None:
    """The resource policy of the secret `arn` (any account's), or None."""
    return model.policy_of_arn(txn, arn, time.time())
