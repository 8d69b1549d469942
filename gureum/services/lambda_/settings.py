"""Lambda's settings (`gureum up --set lambda.KEY=VALUE` or GUREUM_LAMBDA_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from gureum.settings import SettingError, parse_bool

DEFAULT_ACCOUNT_CONCURRENCY = 1000


@dataclass(frozen=True)
class LambdaSettings:
    PREFIX: ClassVar[str] = "lambda"
    isolation: str = "auto"
    """auto (namespaces + cgroups when root) | on | off (plain processes); on/off take any
    boolean word"""
    idle_timeout: float = 300.0
    """seconds an idle environment stays warm"""
    concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    """the account's ConcurrentExecutions"""
    async_retry_delays: tuple[float, ...] = (60.0, 120.0)
    """seconds before the retries of failed Event invokes"""
    url_port: int | None = None
    """the function URL listener's port (default: API port + 1)"""
    prewarm: int = 0
    """environments started for $LATEST whenever a function is created or changed, before
    any invoke (0: on demand only, as AWS)"""
    spares: int = 1
    """pre-initialised sandboxes (namespaces, cgroup, runtime started, no code) kept per
    runtime a cold start used lately, taken by the next cold start of that runtime
    (lambda_/spares.py; 0: none)"""
    task_network: bool = True
    """isolated environments get an address on the task network (ecs.bridge / ecs.subnet),
    to reach task addresses"""
    insecure_registries: tuple[str, ...] = ()
    """registries (host:port) pulled from over plain HTTP for container-image functions"""
    follow_interval: float = 0.5
    """seconds between reads of other nodes' function changes (shared store)"""
    concurrency_share_interval: float = 0.5
    """seconds between exchanges of in-use concurrency with other nodes (shared store)"""

    freeze_grace: float = 0.005
    """seconds an idle environment's tree stays unfrozen after its runtime polls for the next
    invocation (back-to-back invokes then skip a freeze and a thaw each; 0: frozen at once)"""

    runtime_fallback: str = "nearest"
    """nearest (a runtime whose declared version cannot be had here runs on the nearest
    installed one, said in INIT_START) | refuse (its init fails with Runtime.Unavailable)"""
    runtime_date: str = ""
    """the date (YYYY-MM-DD) runtime deprecation dates are compared with (empty: today, UTC)"""

    def __post_init__(self) -> None:
        _ = self.isolate  # a bad lambda.isolation stops the start, naming the setting
        if self.runtime_fallback.strip().lower() not in ("nearest", "refuse"):
            raise SettingError(f"setting lambda.runtime_fallback: expected nearest or refuse, got {self.runtime_fallback!r}")
        _ = self.pinned_date

    @property
    def pinned_date(self) -> date | None:
        """lambda.runtime_date as a date (None: the real date)."""
        if not self.runtime_date.strip():
            return None
        # (the runtimes package loads the sandbox's modules: only for a pinned date)
        from gureum.services.lambda_.runtimes.lifecycle import parse_date

        try:
            return parse_date("lambda.runtime_date", self.runtime_date)
        except ValueError as exc:
            raise SettingError(str(exc)) from None

    @property
    def refuse_fallback(self) -> bool:
        return self.runtime_fallback.strip().lower() == "refuse"

    @property
    def isolate(self) -> bool | None:
        """lambda.isolation as the sandbox host takes it: None for auto."""
        word = self.isolation.strip().lower()
        return None if word == "auto" else parse_bool("lambda.isolation", self.isolation)
