"""The data plane's view of VPC links (vpclinks.py): (account, region, link id, port) -> where
the link's load balancer answers, cached per node and dropped on every VPC link event and
every ELB event (this node's at once, other nodes' through directory.follow), so a request
through a VPC link reads the store only after a change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.apigateway import vpclinks
from gureum.services.apigateway.directory import follow
from gureum.services.apigateway.slots import VPCLINKS
from gureum.services.elbv2 import port as elb

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event

Target = tuple[str, int, bool]  # address, port, TLS
_Key = tuple[str, str, str, int]


class Resolver:
    def __init__(self, app: App) -> None:
        self.app = app
        self._cache: dict[_Key, Target | None] = {}
        self._generation = 0
        self._links = follow(app, vpclinks.TOPIC, self._on_change)
        self._elb = follow(app, elb.TOPICS, self._on_change)

    def _on_change(self, event: Event) -> None:
        self._generation += 1
        self._cache.clear()

    async def target(self, account: str, region: str, link_id: str, port: int) -> Target | None:
        k = (account, region, link_id, port)
        if k in self._cache:
            return self._cache[k]
        generation, ready = self._generation, self._links.ready and self._elb.ready
        found = await self.app.store.run(lambda t: vpclinks.endpoint(t, account, region, link_id, port))
        if generation == self._generation and ready and found is not None:  # a PENDING link is asked again
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[k] = found
        return found


def resolver(app: App) -> Resolver:
    return app.parts.lazy(VPCLINKS, lambda: Resolver(app))


async def connect_to(app: App, account: str, region: str, integration: dict[str, object],
                     stage_variables: dict[str, str], url: str) -> tuple[str, int] | None:
    """Where a VPC_LINK integration's request for `url` goes (its link's load balancer
    listener on the URL's port); None when it cannot go anywhere (AWS's 500)."""
    from urllib.parse import urlsplit

    from gureum.services.apigateway.lambda_invoke import substitute

    link_id = substitute(str(integration.get("connectionId") or ""), stage_variables)
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    found = await resolver(app).target(account, region, link_id, port) if link_id else None
    return None if found is None else (found[0], found[1])
