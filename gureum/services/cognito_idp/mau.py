"""Monthly active users, for the usage ledger (gureum/billing/ledger.py): AWS bills a user pool
per user with an identity operation in a calendar month (sign-in or token refresh here: every
token issue, flows.py `issue`), at the pool's feature plan's price (UserPoolTier: LITE,
ESSENTIALS, PLUS), above the account's free MAUs (the price table's bands, pricing.py).

Ledger rows (table `billing.usage`), one per user, pool and month, written in the transaction
that issues the tokens:
  "<account>/cognito/<month start ms:013d>.<pool id>.<sub>" -> {"service": "cognito", "region",
   "resource": pool ARN, "tier", "quantity": 1, "ts": ms of the month's first activity}
The key names the month, the pool and the user, so a user is counted once a month however
often (and on however many nodes) they sign in: later activity finds the row and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gureum.billing.ledger import USAGE
from gureum.store import Txn


def row_key(account: str, pool_id: str, sub: str, now: float) -> str:
    month = datetime.fromtimestamp(now, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return f"{account}/cognito/{int(month.timestamp() * 1000):013d}.{pool_id}.{sub}"


def seen(txn: Txn, pool: dict[str, Any], sub: str, now: float) -> bool:
    """Count `sub` as active in `pool` this month; True when this is the month's first activity."""
    return txn.insert(USAGE, row_key(pool["account"], pool["Id"], sub, now), {
        "service": "cognito", "region": pool["region"], "resource": pool["Arn"],
        "tier": pool.get("UserPoolTier") or "ESSENTIALS", "quantity": 1, "ts": int(now * 1000)})
