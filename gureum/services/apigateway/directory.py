"""The data plane's view of the store: which account owns a REST API id, custom domain names'
base path mappings, and what a stage serves (its API, stage, deployment, the deployment's
resource tree, and a canary's), cached per node and dropped on every apis.TOPIC /
domains.TOPIC event (the models publish one on each write that changes what is served):
this node's events at once, other nodes' within a second when the store is shared. A request
reads the store only after a change."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.services.apigateway import apis, domains, stages
from gureum.services.apigateway.router import Tree
from gureum.store.follow import ChangeFollower

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event, Txn

Doc = dict[str, Any]


@dataclass(frozen=True)
class Served:
    account: str
    region: str
    api: Doc
    stage: Doc
    deployment: Doc
    tree: Tree
    canary: Served | None = None  # the canary's deployment (canarySettings), with its stage variables

    def pick(self) -> Served:
        """This request's deployment: the canary for canarySettings.percentTraffic % of requests."""
        share = float((self.stage.get("canarySettings") or {}).get("percentTraffic") or 0.0)
        if self.canary is not None and share > 0 and random.random() * 100.0 < share:
            return self.canary
        return self


class Following:
    """Whether a cache fed by `follow` may keep what it reads: only once other nodes' events
    reach this node (`ready`), and only a read begun after that: an event committed between
    a read and the follower's start would never invalidate it."""

    ready = False


def follow(app: App, topic: str, callback: Callable[[Event], None]) -> Following:
    """`callback` for every event of `topic`: this node's at once; when other nodes share the
    store, theirs too, found by polling the change log every second (store/follow.py)."""
    following = Following()
    app.store.subscribe(topic, callback)
    if app.store.shared:
        follower = ChangeFollower(app.store, topic, callback)

        async def run() -> None:
            await follower.start()
            following.ready = True
            await follower.poll_forever(1.0)

        app.spawn(run(), name=f"follow-{topic}")
    else:
        following.ready = True
    return following


class Directory:
    def __init__(self, app: App) -> None:
        self.app = app
        self._owners: dict[str, tuple[str, str] | None] = {}
        self._stages: dict[tuple[str, str], Served | None] = {}
        self._generation = 0  # bumped by every change: a read begun before one is not cached
        self._apis = follow(app, apis.TOPIC, self._on_change)
        self._domains: dict[str, list[Doc]] | None = None
        self._domain_generation = 0
        self._domain_follow = follow(app, domains.TOPIC, self._on_domains)

    def _on_domains(self, event: Event) -> None:
        self._domain_generation += 1
        self._domains = None

    async def domain(self, host: str) -> list[Doc] | None:
        """The base path mappings of custom domain `host`, None when it is not one."""
        if self._domains is None:
            generation, ready = self._domain_generation, self._domain_follow.ready
            table = await self.app.store.read(domains.routing_table)
            if generation != self._domain_generation or not ready:
                return table.get(host)
            self._domains = table
        return self._domains.get(host)

    def _on_change(self, event: Event) -> None:
        self._generation += 1
        api_id = event.data.get("api")
        if not isinstance(api_id, str):
            self._owners.clear()
            self._stages.clear()
            return
        self._owners.pop(api_id, None)
        for key in [k for k in self._stages if k[0] == api_id]:
            del self._stages[key]

    async def owner(self, api_id: str) -> tuple[str, str] | None:
        """(account, region) of REST API `api_id`, None when it is not one."""
        if api_id not in self._owners:
            generation, ready = self._generation, self._apis.ready
            found = await self.app.store.read(lambda t: apis.owner(t, api_id))
            if generation != self._generation or not ready:
                return found
            if len(self._owners) > 10000:
                self._owners.clear()
            self._owners[api_id] = found
        return self._owners[api_id]

    async def stage(self, account: str, region: str, api_id: str, name: str) -> Served | None:
        key = (api_id, name)
        if key not in self._stages:
            def read(t: Txn) -> Served | None:
                found = stages.serving(t, account, region, api_id, name)
                if found is None:
                    return None
                api, st, dep, canary = found
                canary_served = None
                if canary is not None:
                    overrides = (st.get("canarySettings") or {}).get("stageVariableOverrides") or {}
                    canary_stage = {**st, "variables": {**(st.get("variables") or {}), **overrides}}
                    canary_served = Served(account, region, api, canary_stage, canary, Tree(canary["snapshot"]["resources"]))
                return Served(account, region, api, st, dep, Tree(dep["snapshot"]["resources"]), canary_served)

            generation, ready = self._generation, self._apis.ready
            served = await self.app.store.read(read)
            if generation != self._generation or not ready:
                return served
            if len(self._stages) > 10000:
                self._stages.clear()
            self._stages[key] = served
        return self._stages[key]
