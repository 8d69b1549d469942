"""The scheduler's warm pool, fed stand-in environments (no sandbox): an environment is
not reused once its role credentials could expire during an invocation."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path
from types import SimpleNamespace

from waiting import wait_for_async

from gureum.services.lambda_.environment import CREDENTIALS_MARGIN, EnvConfig
from gureum.services.lambda_.scheduler import Scheduler


def _cfg(**kw) -> EnvConfig:
    base = dict(
        account_id="000000000000", region="us-east-1", function_name="f", function_arn="arn:aws:lambda:us-east-1:000000000000:function:f",
        version="$LATEST", runtime="python3.12", handler="app.handler", memory_mb=128, timeout_s=30, ephemeral_mb=512,
        code_dir=Path("/nonexistent"), code_sha="", pool_key="k",
    )
    base.update(kw)
    return EnvConfig(**base)


def _env(usable_until: float) -> SimpleNamespace:
    return SimpleNamespace(alive=True, sandbox=SimpleNamespace(returncode=None), usable_until=usable_until, last_used=time.monotonic())


def test_usable_until_leaves_the_timeout_and_a_margin_before_the_credentials_expire() -> None:
    assert _cfg().usable_until() == math.inf  # the account's own key does not expire
    assert _cfg(credentials_expire=10_000.0, timeout_s=900).usable_until() == 10_000.0 - 900 - CREDENTIALS_MARGIN


def test_an_idle_environment_whose_credentials_are_due_is_retired_not_reused() -> None:
    sched = Scheduler(host=None, sink=lambda *a: None)  # type: ignore[arg-type]
    fresh, due = _env(time.time() + 3600), _env(time.time() - 1)
    sched._idle["k"] = [fresh, due]  # most recently used last
    assert sched._take_idle("k") is fresh  # `due` was skipped...
    assert sched._retired == [due]  # ...and handed to the reaper
    assert sched._take_idle("k") is None


def test_the_reaper_retires_idle_environments_whose_credentials_are_due() -> None:
    async def scenario() -> list[object]:
        sched = Scheduler(host=None, sink=lambda *a: None, idle_timeout=3600)  # type: ignore[arg-type]
        destroyed: list[object] = []
        fresh, due = _env(time.time() + 3600), _env(time.time() - 1)
        for env in (fresh, due):
            env.destroy = lambda env=env: _record(destroyed, env)
        sched._idle["k"] = [fresh, due]
        task = asyncio.ensure_future(sched.run_reaper(interval=0.05))
        await wait_for_async("the reaper to destroy the environment whose credentials are due", lambda: destroyed, timeout=10)
        task.cancel()
        assert sched._idle["k"] == [fresh]
        return destroyed

    destroyed = asyncio.run(scenario())
    assert len(destroyed) == 1


async def _record(out: list[object], env: object) -> None:
    out.append(env)
