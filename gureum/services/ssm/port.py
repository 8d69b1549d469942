"""SSM's port for other services (ECS container secrets, CloudFormation's parameter types):
a parameter's value as GetParameter WithDecryption reads it, inside the caller's store
transaction. A missing parameter or version raises SSM's AwsError (ParameterNotFound...)."""

from __future__ import annotations

import time

from gureum.services.ssm import model
from gureum.store import Txn


def parameter_value(txn: Txn, account: str, region: str, ref: str) -> str:
    """The decrypted value of `ref` (a name or parameter ARN, with an optional :version or :label)."""
    return model.value_of(txn, account, region, ref, time.time())
