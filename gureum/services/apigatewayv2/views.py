"""The data plane's cache of APIs (model.data_plane_view per API id: the API, its stages and
their deployments' snapshots), so a request reads no store. An entry is dropped on every
change event of its API (model.TOPIC): this node's at once (in-process subscription), other
nodes' through the component's ChangeFollower when the store is shared. Unknown ids are
cached as absent too (a create publishes the event that drops the entry). An event with
"authorizers" (ResetAuthorizersCache) also drops the API's cached authorizer answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.apigatewayv2 import model
from gureum.services.apigatewayv2.slots import VIEWS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Event

_MAX = 10000  # entries kept (an id scan cannot grow memory without bound)


class Views:
    def __init__(self, app: App) -> None:
        self.app = app
        self._cache: dict[str, dict[str, Any] | None] = {}
        self._generation = 0
        self.unsubscribe = app.store.subscribe(model.TOPIC, self.on_event)

    def on_event(self, event: Event) -> None:
        self._generation += 1
        if event.data.get("reset"):
            self._cache.clear()
        else:
            self._cache.pop(str(event.data.get("api", "")), None)
        if event.data.get("authorizers") or event.data.get("reset"):  # ResetAuthorizersCache, or a reset
            from gureum.services.apigatewayv2.slots import RESULTS

            results = self.app.parts.get(RESULTS)
            if results is not None:
                for key in [k for k in results if event.data.get("reset") or k[0] == event.data.get("api")]:
                    del results[key]

    async def get(self, api_id: str) -> dict[str, Any] | None:
        if api_id in self._cache:
            return self._cache[api_id]
        generation = self._generation
        view = await self.app.store.read(lambda t: model.data_plane_view(t, api_id))
        if generation == self._generation:  # no change arrived while reading: safe to keep
            if len(self._cache) >= _MAX:
                self._cache.clear()
            self._cache[api_id] = view
        return view


def views(app: App) -> Views:
    return app.parts.lazy(VIEWS, lambda: Views(app))
