"""Returning the node to a fresh state without a restart (`POST /_gureum/reset`).

Each service package names its reset in its manifest (`reset="module:function"`,
`async def reset(app: App) -> None`). A package's reset:
- stops what the package runs on this node (Lambda environments, ECS tasks, pollers, health
  checkers), and lets other nodes sharing the store stop theirs through the change events
  below;
- drops the package's rows from the store in one transaction (`drop_tables`: every key of
  each table it owns; a few rows that are configuration rather than state are kept, each
  package says which), publishing in the same transaction the change events its caches
  already follow (a zone dropped, a function or key gone), so caches on this node and on
  every node sharing a PostgreSQL store forget the state too;
- leaves blobs (S3 bodies, registry layers, function code) to the package's existing
  garbage collector: with their rows gone they are unreferenced.

This module maps AWS service names (botocore's, as `?service=lambda,sqs` names them) to
packages, runs the resets one package at a time in `RESET_ORDER` (what runs code that uses
other services first: functions and tasks stop before the queues, topics, zones and roles
they use go away), and holds one reset at a time per node. Requests served meanwhile see the
old state or the new one (a package's rows go in one transaction). While a package resets,
/_gureum/health shows its services' state as "resetting" (`resetting`); the node stays ready.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gureum.services import registry
from gureum.services.manifest import Manifest

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

# Packages that run code (functions, tasks) are reset first, IAM and STS last; the rest in
# name order (registry.MANIFESTS).
RESET_FIRST: tuple[str, ...] = ("lambda_", "ecs")
RESET_LAST: tuple[str, ...] = ("iam", "sts")


class UnknownService(ValueError):
    """A service name no package of this node serves (or none that can be reset)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        super().__init__(", ".join(self.names))


def resettable() -> dict[str, Manifest]:
    """AWS service name -> the manifest of the package that resets it."""
    return {service: m for m in registry.MANIFESTS if m.reset for service in m.services}


def parse_services(text: str | None) -> list[str] | None:
    """`?service=lambda,sqs` -> ["lambda", "sqs"] (None: every service). Raises
    UnknownService naming what no package resets."""
    if text is None:
        return None
    names = [s.strip().lower() for s in text.split(",") if s.strip()]
    if not names:
        raise UnknownService([text])
    known = resettable()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownService(unknown)
    return list(dict.fromkeys(names))


def plan(services: Iterable[str] | None) -> list[Manifest]:
    """The packages to reset for `services` (None: all), each once, in RESET_ORDER."""
    known = resettable()
    chosen = {m.package: m for m in known.values()} if services is None else {known[s].package: known[s] for s in services}

    def rank(m: Manifest) -> tuple[int, int, str]:
        if m.package in RESET_FIRST:
            return (0, RESET_FIRST.index(m.package), m.package)
        if m.package in RESET_LAST:
            return (2, RESET_LAST.index(m.package), m.package)
        return (1, 0, m.package)

    return sorted(chosen.values(), key=rank)


def drop_tables(txn: Txn, tables: Iterable[str]) -> int:
    """Delete every row of `tables`; how many rows went."""
    return sum(txn.delete_prefix(table, "") for table in tables)


@dataclass
class _NodeResets:
    """Per node: one reset at a time, and the services being reset (for /_gureum/health)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    services: set[str] = field(default_factory=set)


_NODES: weakref.WeakKeyDictionary[App, _NodeResets] = weakref.WeakKeyDictionary()


def resetting(app: App) -> frozenset[str]:
    """The AWS services whose reset is under way on this node."""
    node = _NODES.get(app)
    return frozenset(node.services) if node is not None else frozenset()


async def reset(app: App, services: Sequence[str] | None = None) -> list[str]:
    """Reset `services` (AWS names; None: every service) and return the AWS service names
    whose state was reset, in the order they were."""
    node = _NODES.setdefault(app, _NodeResets())
    done: list[str] = []
    async with node.lock:
        for manifest in plan(services):
            assert manifest.reset is not None
            fn = await asyncio.to_thread(registry.load_entry, manifest.reset)
            node.services.update(manifest.services)
            try:
                await fn(app)
            finally:
                node.services.difference_update(manifest.services)
            done += [s for s in manifest.services if services is None or s in services]
    return done
