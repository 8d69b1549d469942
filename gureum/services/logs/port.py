"""CloudWatch Logs' port for other services (gureum/ports.py `LogPort`): the batching writer
(writer.py) that Lambda's log agent and Route 53's query logger append to, and
`group_exists`, for a configuration that names a log group, inside the caller's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.logs import model
from gureum.services.logs.writer import LogWriter

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Store, Txn


class Logs:
    """`LogPort` for `app`."""

    def __init__(self, app: App) -> None:
        self.app = app

    def writer(self, store: Store, interval: float = 0.2) -> LogWriter:
        return LogWriter(store, interval)


def group_exists(txn: Txn, account: str, region: str, group: str) -> bool:
    return txn.get(model.GROUPS, model.group_key(account, region, group)) is not None
