"""gureum/periodic.py (`app.every`): periodic loops with jitter, cancellation and one log line
per streak of errors; driven by a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from gureum.periodic import delay, run_every


class FakeClock:
    """`sleep` records the delay and yields; the test decides how many runs happen."""

    def __init__(self, stop_after: int) -> None:
        self.sleeps: list[float] = []
        self.stop_after = stop_after

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.stop_after:
            raise asyncio.CancelledError
        await asyncio.sleep(0)


def run(clock: FakeClock, fn, **kw) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        with pytest.raises(asyncio.CancelledError):
            await run_every(kw.pop("interval", 10.0), fn, name="test-loop", sleep=clock.sleep, **kw)

    asyncio.run(main())


def test_runs_once_per_interval_with_jitter_in_bounds():
    calls: list[int] = []
    clock = FakeClock(stop_after=5)
    values = iter([0.0, 1.0, 0.5, 0.25, 0.75, 0.1])
    run(clock, lambda: calls.append(1), jitter=0.1, rand=lambda: next(values))
    assert len(calls) == 5
    assert clock.sleeps == pytest.approx([9.0, 11.0, 10.0, 9.5, 10.5, 9.2])
    assert delay(1.0, 0.5, lambda: 0.0) == 0.5 and delay(1.0, 2.0, lambda: 0.0) == 0.0


def test_first_run_after_first_seconds_and_async_functions_are_awaited():
    done: list[str] = []

    async def job() -> None:
        await asyncio.sleep(0)
        done.append("x")

    clock = FakeClock(stop_after=2)
    run(clock, job, first=0.0, jitter=0.0)
    assert clock.sleeps[:2] == [0.0, 10.0] and done == ["x", "x"]


def test_an_error_is_logged_once_per_streak_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture):
    outcomes = iter(["boom", "boom", "ok", "boom", "other", "ok"])
    ran: list[str] = []

    def job() -> None:
        o = next(outcomes)
        ran.append(o)
        if o != "ok":
            raise RuntimeError(o)

    caplog.set_level(logging.INFO, logger="gureum.every")
    run(FakeClock(stop_after=6), job, jitter=0.0)
    assert ran == ["boom", "boom", "ok", "boom", "other", "ok"]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 3  # boom (twice in a row: once), boom, other
    assert all("test-loop" in r.getMessage() and r.exc_info for r in failures)
    assert sum("recovered" in r.getMessage() for r in caplog.records) == 2


def test_cancellation_stops_the_loop_at_once():
    async def main() -> None:
        started = asyncio.Event()
        calls = 0

        def job() -> None:
            nonlocal calls
            calls += 1
            started.set()

        task = asyncio.create_task(run_every(0.01, job, name="t", first=0.0))
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled() and calls >= 1

    asyncio.run(main())


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="t"):
        asyncio.run(run_every(0, lambda: None, name="t"))
