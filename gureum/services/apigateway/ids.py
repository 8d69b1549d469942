"""Identifiers API Gateway hands out: REST API ids (10 characters of [a-z0-9], unique across
every account and region: execute-api's host names carry them alone) and the shorter ids of
resources, deployments, models and request validators (unique within their API).

Table apigw_ids: "{api_id}" -> {"account", "region"}: who owns an API id (written with the
API, deleted with it); the data plane finds an API by its id through it.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable

from gureum.store import Txn

API_IDS = "apigw_ids"
_ALPHABET = string.ascii_lowercase + string.digits


def random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def claim_api_id(txn: Txn, account: str, region: str) -> str:
    """A fresh REST API id no account holds, claimed for (account, region)."""
    while True:
        api_id = random_id(10)
        if txn.insert(API_IDS, api_id, {"account": account, "region": region}):
            return api_id


def fresh(taken: Callable[[str], bool], length: int = 6) -> str:
    """A child id (resource, deployment, model...) `taken` says is free."""
    while True:
        candidate = random_id(length)
        if not taken(candidate):
            return candidate
