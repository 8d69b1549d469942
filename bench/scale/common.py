"""The scale benchmarks' node: bench/common.py's `Gureum` as they start it (loopback, log
level warning, its log beside its data dir, ready once `service` is running), and the
measurement helpers they use, from bench/common.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import LAMBDA_TRUST, ROOT, Gureum, dnsperf, median, pct, ratio, zip_package

__all__ = ["LAMBDA_TRUST", "ROOT", "Node", "dnsperf", "median", "pct", "ratio", "zip_package"]


class Node(Gureum):
    """One `gureum up` subprocess on `data`; `start()` may be called again after `stop()`."""

    def __init__(self, data: Path, settings: list[str] | None = None, service: str = "route53") -> None:
        super().__init__(data, args=["--log-level", "warning"], settings=settings or [], services=[service],
                         log=data.parent / (data.name + ".log"))

    def stop(self, timeout: float = 60.0) -> None:  # a node holding 10k zones takes its time
        super().stop(timeout)

    def client(self, service: str, account: str = "000000000000", **config: Any) -> Any:
        return super().client(service, key=account, **{"read_timeout": 120, "max_pool_connections": 64, **config})
