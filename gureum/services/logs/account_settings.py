"""Account- and group-level switches: the account's storage tier policy
(GetStorageTierPolicy, PutStorageTierPolicy) and a log group's bearer token authentication
(PutBearerTokenAuthentication, shown by DescribeLogGroups as
bearerTokenAuthenticationEnabled).

Store table: logs.account_settings "<acct>/<region>" -> {storageTier, lastUpdatedTime};
an account without one is on STANDARD. The bearer token flag lives in the group's doc
(logs.groups)."""

from __future__ import annotations

import time
from typing import Any

from gureum.services.logs import model
from gureum.store import Txn

TABLE = "logs.account_settings"


def storage_tier(txn: Txn, account: str, region: str) -> dict[str, Any]:
    return txn.get(TABLE, f"{account}/{region}") or {"storageTier": "STANDARD"}


def put_storage_tier(txn: Txn, account: str, region: str, tier: str) -> dict[str, Any]:
    doc = {"storageTier": tier, "lastUpdatedTime": int(time.time() * 1000)}
    txn.put(TABLE, f"{account}/{region}", doc)
    return doc


def set_bearer_token(txn: Txn, account: str, region: str, group: str, enabled: bool) -> None:
    doc = model.get_group(txn, account, region, group)
    doc["bearerTokenAuthenticationEnabled"] = enabled
    txn.put(model.GROUPS, model.group_key(account, region, group), doc)
