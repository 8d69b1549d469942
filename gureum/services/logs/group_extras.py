"""The per-log-group tables other modules keep, keyed like logs.groups ("<acct>/<region>/
<group>"): a group's transformer (transformers.py) and field index policy
(field_indexes.py). They go when their group goes (model.delete_group calls `drop`)."""

from __future__ import annotations

from gureum.store import Txn

TRANSFORMERS = "logs.transformers"
INDEX_POLICIES = "logs.index_policies"
TABLES = (TRANSFORMERS, INDEX_POLICIES)


def drop(txn: Txn, group_key: str) -> None:
    for table in TABLES:
        txn.delete(table, group_key)
