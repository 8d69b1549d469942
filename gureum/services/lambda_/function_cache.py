"""The function documents the invoke path reads ($LATEST, versions, aliases), cached per
node and kept current by Lambda's change events (model.TOPIC).

`FunctionCache.get(key, arn)` reads a function from the store once and keeps it until a
change event names its key (`on_change`, or `drop` from the engine that follows the
topic). Invariant: a state read before a change of its function was announced is never
kept: a load that any drop overtook answers its caller but is not cached, so the next
`get` reads again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.services.lambda_ import functions
from gureum.store import Store
from gureum.store.base import Event


@dataclass
class FunctionState:
    """A function as the invoke path needs it: $LATEST, versions and aliases."""

    key: str
    doc: dict[str, Any]
    versions: dict[str, dict[str, Any]]
    aliases: dict[str, dict[str, Any]]


class FunctionCache:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._states: dict[str, FunctionState] = {}
        self._drops = 0  # drops so far: a load that saw this number change is not kept

    async def get(self, key: str, arn: str) -> FunctionState:
        """The function `key` (AWS's ResourceNotFoundException naming `arn` if it is gone)."""
        state = self._states.get(key)
        if state is not None:
            return state
        drops = self._drops
        doc, versions, aliases = await self.store.read(lambda t: functions.state(t, key, arn))
        state = FunctionState(key, doc, versions, aliases)
        if self._drops == drops:  # no change announced while it was read
            self._states[key] = state
        return state

    def drop(self, key: str) -> None:
        """Function `key` changed: read it again next time."""
        self._states.pop(key, None)
        self._drops += 1

    def on_change(self, event: Event) -> None:
        """A store subscriber for model.TOPIC."""
        key = event.data.get("key")
        if key and event.data.get("what") != "url":
            self.drop(key)
