"""The node roster: every node sharing the store, what it is and whether it is alive.

Table "gureum.roster", key = the node's id (App.node_id, kept in its data dir):
  {node, host, pid, api, dns, version, roles: [components it runs], agent: bool,
   started, heartbeat (wall-clock seconds), state: "up" | "leaving" | "left", runs: {service: {count: n}}}

Every node registers its row when it starts and beats it every `roster.interval` seconds
(`app.every`), writing what each service runs (the manifest's `status` hooks, a few counts).
A row whose heartbeat is older than `roster.misses` intervals is reported `dead` (it is not
rewritten: whoever reads decides, with its own clock; nodes' clocks must agree, NTP). A node
that stops cleanly marks itself `leaving` at once, and once its components have ended it runs
every manifest's `handover` hook in one transaction (the claims it still holds released for
the other nodes, without waiting for their timeouts) and marks itself `left`. Rows of nodes
left or dead for longer than `FORGET_AFTER` seconds are dropped when a node registers. On
SQLite the roster is a roster of one.

Reads: `view(txn, now, timeout)` (GET /_gureum/status, `gureum status`), `is_gone(txn, node,
now, timeout)` for a service asking whether the owner of a claim is dead or gone.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gureum import __version__
from gureum.node_settings import RosterSettings
from gureum.public import WILDCARD, shown_host
from gureum.services import registry
from gureum.store.base import Txn

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.roster")
ROSTER = "gureum.roster"
FORGET_AFTER = 24 * 3600.0  # seconds a left or dead node stays listed


def register(txn: Txn, doc: dict[str, Any], now: float, timeout: float) -> None:
    """Write this node's row (state up, heartbeat now); forget nodes long gone."""
    for key, row in txn.scan(ROSTER):
        if key != doc["node"] and _state(row, now, timeout) in ("left", "dead") and now - row["heartbeat"] > FORGET_AFTER:
            txn.delete(ROSTER, key)
    txn.put(ROSTER, doc["node"], {**doc, "state": "up", "heartbeat": now})


def beat(txn: Txn, node: str, now: float, runs: dict[str, dict[str, int]], dns: str | None = None) -> bool:
    """This node is alive and runs `runs` (its DNS server at `dns`, once bound). False when
    its row is gone (forgotten while this node was cut off): the caller registers again."""
    row = txn.get(ROSTER, node)
    if row is None:
        return False
    row["heartbeat"] = now
    row["runs"] = runs
    if dns is not None:
        row["dns"] = dns
    if row.get("state") == "left":  # a node that comes back under the same id
        row["state"] = "up"
    txn.put(ROSTER, node, row)
    return True


def mark(txn: Txn, node: str, state: str, now: float) -> None:
    """This node is `leaving` (stop began) or has `left` (its work handed over)."""
    row = txn.get(ROSTER, node)
    if row is None:
        return
    row["state"] = state
    row["heartbeat"] = now
    txn.put(ROSTER, node, row)


def _state(row: dict[str, Any], now: float, timeout: float) -> str:
    state = str(row.get("state", "up"))
    if state != "left" and now - float(row["heartbeat"]) > timeout:
        return "dead"
    return state


def view(txn: Txn, now: float, timeout: float) -> list[dict[str, Any]]:
    """Every node in the roster with its state as seen now (up, leaving, left, dead) and its
    heartbeat's age in seconds, oldest start first."""
    out = []
    for _, row in txn.scan(ROSTER):
        out.append({**row, "state": _state(row, now, timeout), "heartbeatAge": round(now - float(row["heartbeat"]), 3)})
    return sorted(out, key=lambda r: (r.get("started", 0), r["node"]))


def is_gone(txn: Txn, node: str, now: float, timeout: float) -> bool:
    """Whether `node` has left or is dead (its claims may be taken at once). A node not in the
    roster is not known gone (an older gureum, or one started before the roster)."""
    row = txn.get(ROSTER, node)
    return row is not None and _state(row, now, timeout) in ("left", "dead")


def timeout_of(settings: RosterSettings) -> float:
    """Seconds of silence after which a node is reported dead."""
    return settings.interval * settings.misses


class Roster:
    """This node's part in the roster: register, beat, leave, hand over."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings(RosterSettings)
        self.timeout = timeout_of(self.settings)
        self.node = app.node_id

    def describe(self) -> dict[str, Any]:
        """What this node's row says about it."""
        app = self.app
        roles = (["agent"] if app.is_agent else ["api"]) + app.running_components()
        host, port = app.http_address  # this node's own listener (an agent's /_gureum/ only)
        return {
            "node": self.node, "host": socket.gethostname(), "pid": os.getpid(), "version": __version__,
            "api": f"http://{_reachable(host)}:{port}", "dns": _dns(app.dns_address),
            "roles": roles, "agent": app.is_agent, "started": app.started,
        }  # fmt: skip

    async def register(self) -> None:
        doc = self.describe()
        now = time.time()
        await self.app.store.run(lambda t: register(t, doc, now, self.timeout))

    async def counts(self) -> dict[str, dict[str, int]]:
        """What each service runs on this node, from the manifests' `status` hooks (a hook
        that fails is left out, logged). A package nobody called here and with no component
        running here runs nothing: its hook is not loaded."""
        out: dict[str, dict[str, int]] = {}
        for package, entry in registry.STATUS_HOOKS.items():
            if not self.app.reached(package):
                continue
            try:
                got = await registry.load_entry(entry)(self.app)
            except Exception:
                log.exception("status hook of %s failed", package)
                continue
            if got:
                out[package.rstrip("_")] = got
        return out

    async def beat(self) -> None:
        runs = await self.counts()
        now = time.time()
        dns = _dns(self.app.dns_address)  # (bound after the node registered)
        if not await self.app.store.run(lambda t: beat(t, self.node, now, runs, dns)):
            await self.register()

    async def mark(self, state: str) -> None:
        now = time.time()
        await self.app.store.run(lambda t: mark(t, self.node, state, now))

    async def hand_over(self) -> dict[str, int]:
        """Release the work this node still holds (every manifest's `handover` hook, one
        transaction) and mark it left. Returns what each package released."""
        hooks: list[tuple[str, Callable[[Txn, str], int]]] = [
            (package, registry.load_entry(entry)) for package, entry in registry.HANDOVERS.items()
        ]
        now = time.time()

        def txn(t: Txn) -> dict[str, int]:
            released = {package.rstrip("_"): fn(t, self.node) for package, fn in hooks}
            mark(t, self.node, "left", now)
            return released

        released: dict[str, int] = await self.app.store.run(txn)
        if any(released.values()):
            log.info("handed over to the other nodes: %s", ", ".join(f"{p} {n}" for p, n in released.items() if n))
        return released


def _reachable(host: str) -> str:
    """How other machines write a listener's bind address: a wildcard bind by this machine's
    name, loopback as "localhost"."""
    return socket.gethostname() if host in WILDCARD - {"localhost"} else shown_host(host)


def _dns(address: tuple[str, int] | None) -> str | None:
    return None if address is None else f"{_reachable(address[0])}:{address[1]}"
