"""The node's typed registry of live objects (`app.parts`): engines a component publishes for
others, and lazy per-node singletons.

A `Slot[T]` is a typed key declared once by the package that owns the object, e.g. in
`lambda_/slots.py`: `ENGINE: Slot[LambdaEngine] = Slot("lambda")` (the class imported under
TYPE_CHECKING, so declaring the slot imports nothing heavy). Whoever holds the slot gets a `T`
back, and mypy sees it, without importing the owner's module at run time.

`Parts` holds one object per slot name (the name is what /_gureum/health and logs call the
component: "dns", "lambda", "route53-health"...):
- `put(slot, obj)`: publish (wakes every `wait`er); `get(slot)`: the object or None;
- `await wait(slot, timeout)`: until someone puts it (TimeoutError after `timeout`);
- `lazy(slot, factory)`: the object, made by `factory()` on first use (one per node);
  `await lazy_async(slot, factory)` the same for a factory that awaits (concurrent first
  callers share one `factory()` call).

It holds no state of its own beyond this node's process: what it holds is rebuilt on start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class Slot(Generic[T]):
    """A typed key for one object in `Parts`, named for health and logs."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class Parts:
    """One node's live objects, by slot (see the module docstring)."""

    def __init__(self) -> None:
        self._objects: dict[str, Any] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._making: dict[str, asyncio.Lock] = {}

    def get(self, slot: Slot[T]) -> T | None:
        """The object in `slot`, or None while nobody has put one."""
        return cast("T | None", self._objects.get(slot.name))

    def put(self, slot: Slot[T], obj: T) -> None:
        """Publish `obj` in `slot` (replacing what was there) and wake its waiters."""
        self._objects[slot.name] = obj
        ev = self._ready.pop(slot.name, None)
        if ev is not None:
            ev.set()

    async def wait(self, slot: Slot[T], timeout: float | None = None) -> T:
        """The object in `slot`, waiting up to `timeout` seconds for someone to put it."""
        if slot.name in self._objects:  # the common case, on hot paths: no timer to arm
            return cast(T, self._objects[slot.name])
        async with asyncio.timeout(timeout):
            while slot.name not in self._objects:
                ev = self._ready.get(slot.name)
                if ev is None:
                    ev = self._ready[slot.name] = asyncio.Event()
                await ev.wait()
        return cast(T, self._objects[slot.name])

    def lazy(self, slot: Slot[T], factory: Callable[[], T]) -> T:
        """The object in `slot`, made by `factory()` and put there on first use."""
        if slot.name not in self._objects:
            self.put(slot, factory())
        return cast(T, self._objects[slot.name])

    async def lazy_async(self, slot: Slot[T], factory: Callable[[], Awaitable[T]]) -> T:
        """The object in `slot`, made by `await factory()` on first use; callers that arrive
        while it is being made wait for that one (a failed factory leaves the slot empty)."""
        if slot.name not in self._objects:
            lock = self._making.setdefault(slot.name, asyncio.Lock())
            async with lock:
                if slot.name not in self._objects:
                    self.put(slot, await factory())
            self._making.pop(slot.name, None)
        return cast(T, self._objects[slot.name])

    def names(self) -> list[str]:
        """The names of the slots filled so far."""
        return sorted(self._objects)
