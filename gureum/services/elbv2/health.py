"""Target health checks that really probe: HTTP(S) GETs of the group's path judged by its
matcher, or TCP connects, every HealthCheckIntervalSeconds with HealthCheckTimeoutSeconds,
for each registered, non-draining target of each target group a load balancer uses (AWS
probes no unused group). Results move the target's state in the store (targets.record) at
the group's thresholds; draining targets leave when their delay ends (targets.sweep).

One node probes: it holds the lease in table elbv2_health_lead ("checker" -> {"node",
"until"}, renewed on every tick, taken over LEAD_TTL seconds after its holder stops), as
Route 53's health checks share the work; every node's data plane reads the states from the
store."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gureum.services.elbv2 import groups, targets
from gureum.services.elbv2.snapshot import Snapshot
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.elbv2.health")
LEAD = "elbv2_health_lead"
LEAD_TTL = 10.0
Doc = dict[str, Any]


def claim_lead(txn: Txn, node: str, now: float) -> bool:
    row = txn.get(LEAD, "checker")
    if row is not None and row["node"] != node and row["until"] > now:
        return False
    txn.put(LEAD, "checker", {"node": node, "until": now + LEAD_TTL})
    return True


async def probe(address: str, port: int, tg: Doc) -> tuple[bool, tuple[str, str] | None]:
    """One health check of a target: (passed, (reason code, description) when it failed)."""
    timeout = float(tg["HealthCheckTimeoutSeconds"])
    hc_port = tg.get("HealthCheckPort", "traffic-port")
    port = port if hc_port == "traffic-port" else int(hc_port)
    protocol = tg.get("HealthCheckProtocol", "HTTP")
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (asyncio.TimeoutError, TimeoutError):
        return False, ("Target.Timeout", "Request timed out")
    except OSError:
        return False, ("Target.FailedHealthChecks", "Health checks failed")
    try:
        if protocol not in groups.HTTP_PROTOCOLS:
            return True, None
        w.write(f"GET {tg.get('HealthCheckPath', '/')} HTTP/1.1\r\nHost: {address}:{port}\r\n"
                "User-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n".encode())
        try:
            line = await asyncio.wait_for(r.readline(), timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return False, ("Target.Timeout", "Request timed out")
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            return False, ("Target.FailedHealthChecks", "Health checks failed")
        status = int(parts[1])
        if groups.matches(tg.get("Matcher", {}).get("HttpCode", "200"), status):
            return True, None
        return False, ("Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]")
    except OSError:
        return False, ("Target.FailedHealthChecks", "Health checks failed")
    finally:
        w.close()


class Checker:
    """Runs the probes that are due on each tick (while this node holds the lease)."""

    def __init__(self, app: App, snapshot: Callable[[], Snapshot]) -> None:
        self.app = app
        self.snapshot = snapshot
        self.last: dict[str, float] = {}
        self.inflight: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.lead = False  # this node holds the lease (it probes, and meters load balancer hours)

    async def tick(self) -> None:
        now = time.time()
        lead = self.lead = await self.app.store.run(lambda t: claim_lead(t, self.app.node_id, now))
        if not lead:
            return
        await self.app.store.run(lambda t: targets.sweep(t, now))
        snap = self.snapshot()
        mono = time.monotonic()
        seen: set[str] = set()
        for arn, view in snap.groups.items():
            tg = view.doc
            if arn not in snap.used_groups or not tg.get("HealthCheckEnabled", True) or tg["TargetType"] == "lambda":
                continue
            interval = float(tg["HealthCheckIntervalSeconds"])
            for key, address, port, state in view.targets:
                seen.add(key)
                if state == "draining" or key in self.inflight:
                    continue
                if mono - self.last.get(key, -1e9) < interval:
                    continue
                self.last[key] = mono
                self.inflight.add(key)
                task = asyncio.get_running_loop().create_task(self._one(key, address, port, tg))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        for key in list(self.last):
            if key not in seen:
                del self.last[key]

    async def _one(self, key: str, address: str, port: int, tg: Doc) -> None:
        try:
            passed, reason = await probe(address, port, tg)
            healthy_n, unhealthy_n = int(tg["HealthyThresholdCount"]), int(tg["UnhealthyThresholdCount"])
            await self.app.store.run(lambda t: targets.record(t, key, passed, reason, healthy_n, unhealthy_n))
        except Exception:  # noqa: BLE001 - one target's failure must not stop the checker
            log.exception("health check of %s failed", key)
        finally:
            self.inflight.discard(key)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
