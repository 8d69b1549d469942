"""gureum/slots.py: the node's typed registry of live objects."""

from __future__ import annotations

import asyncio

import pytest

from gureum.slots import Parts, Slot

NUMBER: Slot[int] = Slot("number")
WORDS: Slot[list[str]] = Slot("words")


def test_get_put_and_lazy():
    parts = Parts()
    assert parts.get(NUMBER) is None
    parts.put(NUMBER, 4)
    assert parts.get(NUMBER) == 4
    made: list[int] = []

    def factory() -> list[str]:
        made.append(1)
        return ["a"]

    first = parts.lazy(WORDS, factory)
    assert parts.lazy(WORDS, factory) is first and made == [1]
    assert parts.names() == ["number", "words"]


def test_wait_returns_what_is_put_later_and_times_out_otherwise():
    async def main() -> None:
        parts = Parts()
        waiter = asyncio.create_task(parts.wait(NUMBER, timeout=30))
        await asyncio.sleep(0)
        assert not waiter.done()
        parts.put(NUMBER, 7)
        assert await waiter == 7
        assert await parts.wait(NUMBER, timeout=0) == 7  # already there: no waiting
        with pytest.raises(TimeoutError):
            await parts.wait(WORDS, timeout=0.01)

    asyncio.run(main())


def test_lazy_async_makes_one_object_for_concurrent_callers():
    async def main() -> None:
        parts = Parts()
        calls = 0
        release = asyncio.Event()

        async def make() -> int:
            nonlocal calls
            calls += 1
            await release.wait()
            return 42

        tasks = [asyncio.create_task(parts.lazy_async(NUMBER, make)) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        assert await asyncio.gather(*tasks) == [42] * 5
        assert calls == 1

    asyncio.run(main())


def test_lazy_async_failure_leaves_the_slot_empty():
    async def main() -> None:
        parts = Parts()

        async def broken() -> int:
            raise RuntimeError("no")

        with pytest.raises(RuntimeError):
            await parts.lazy_async(NUMBER, broken)
        assert parts.get(NUMBER) is None

        async def good() -> int:
            return 1

        assert await parts.lazy_async(NUMBER, good) == 1

    asyncio.run(main())
