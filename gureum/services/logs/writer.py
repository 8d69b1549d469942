"""Batched log ingestion for gureum's own services (Lambda's log agent, later ECS's awslogs):
`append()` never waits; `run()` flushes everything buffered in one store transaction every
`interval` seconds (and once more when cancelled), creating groups and streams as needed;
a batch the store refuses stays buffered and goes with the next flush.
It also applies retention: events older than their group's retentionInDays (or the account
retention policy's that applies to it, policies.py) are deleted every `expire_every` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import time

from gureum.services.logs import ingest, model, policies
from gureum.store import Store

log = logging.getLogger("gureum.logs")

_Key = tuple[str, str, str, str]  # account, region, group, stream


class LogWriter:
    def __init__(self, store: Store, interval: float = 0.2, expire_every: float = 600.0) -> None:
        self.store = store
        self.interval = interval
        self.expire_every = expire_every
        self._next_expiry = time.monotonic() + expire_every
        self._buffer: dict[_Key, list[tuple[int, str]]] = {}
        self._wake = asyncio.Event()

    def append(self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> None:
        self._buffer.setdefault((account, region, group, stream), []).extend(events)
        self._wake.set()

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, {}

        def write(txn: model.Txn) -> None:
            for (account, region, group, stream), events in batch.items():
                ingest.put_events(txn, account, region, group, stream, events, create=True)

        try:
            await self.store.run(write)
        except Exception:
            # the store is away (PostgreSQL restarting): keep the batch ahead of what came
            # since, and try again at the next flush rather than lose the lines
            log.exception("could not write %d log streams (kept for the next flush)", len(batch))
            for key, events in self._buffer.items():
                batch.setdefault(key, []).extend(events)
            self._buffer = batch
            self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.expire_every)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
                await asyncio.sleep(self.interval)
                await self.flush()
                if time.monotonic() >= self._next_expiry:
                    self._next_expiry = time.monotonic() + self.expire_every
                    try:
                        await self.store.run(lambda t: model.expire(t, retention=policies.retention_of))
                    except Exception:
                        log.exception("log retention pass failed")
        finally:
            await asyncio.shield(self.flush())
