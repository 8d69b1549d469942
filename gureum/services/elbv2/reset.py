"""ELBv2's reset (POST /_gureum/reset, gureum/reset.py): every load balancer, listener, rule,
target group, target and address dropped in one transaction; the data plane follows the
published events and closes what it had bound."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.elbv2 import auth_keys, balancers, groups, listeners, targets

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

TABLES = (balancers.LBS, balancers.LB_NAMES, balancers.ADDRESSES, groups.TGS, groups.TG_NAMES,
          listeners.LISTENERS, listeners.RULES, targets.TARGETS, "elbv2_health_lead",
          auth_keys.KEYS, auth_keys.PUBLIC)


def reset_txn(txn: Txn) -> int:
    listeners.release_certificates(txn)  # ACM's InUseBy
    n = drop_tables(txn, TABLES)
    txn.publish(balancers.TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
