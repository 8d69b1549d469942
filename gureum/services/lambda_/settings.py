"""Lambda's settings (`gureum up --set lambda.KEY=VALUE` or GUREUM_LAMBDA_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from gureum.settings import parse_bool

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
    task_network: bool = True
    """isolated environments get an address on the task network (ecs.bridge / ecs.subnet),
    to reach task addresses"""
    insecure_registries: tuple[str, ...] = ()
    """registries (host:port) pulled from over plain HTTP for container-image functions"""
    follow_interval: float = 0.5
    """seconds between reads of other nodes' function changes (shared store)"""
    concurrency_share_interval: float = 0.5
    """seconds between exchanges of in-use concurrency with other nodes (shared store)"""

    def __post_init__(self) -> None:
        _ = self.isolate  # a bad lambda.isolation stops the start, naming the setting

    @property
    def isolate(self) -> bool | None:
        """lambda.isolation as the sandbox host takes it: None for auto."""
        word = self.isolation.strip().lower()
        return None if word == "auto" else parse_bool("lambda.isolation", self.isolation)
