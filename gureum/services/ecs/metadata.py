"""Inside every task: the task metadata endpoint v4 and the task role credentials endpoint,
served where AWS serves them — 169.254.170.2, an address gureum puts on its task bridge and
routes to from each task namespace.

Several gureum processes may share a host's bridge, so each listens on its own port there
and tells containers the full URLs: `ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2:<port>/v4/<id>`
and `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.2:<port>/v2/credentials/<id>`
(AWS SDKs accept a full URI on that address). Paths carry an unguessable id per container.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import subprocess
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gureum.http.server import HttpServer, Request, Response
from gureum.services.ecs import model
from gureum.services.iam import port as iam
from gureum.store import Store

if TYPE_CHECKING:
    from gureum.services.ecs.taskrun import ContainerRun, TaskRun

log = logging.getLogger("gureum.ecs")
ADDRESS = "169.254.170.2"


def _iso(ts: Any) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(float(ts), UTC).isoformat().replace("+00:00", "Z")


class MetadataServer:
    """Serves the containers registered with it; `subnet` is the task bridge's network (as
    the endpoint reports it)."""

    def __init__(self, store: Store, subnet: str) -> None:
        self.store = store
        self.subnet = subnet
        self.port = 0
        self.ids: dict[str, tuple[TaskRun, ContainerRun]] = {}
        self._http: HttpServer | None = None

    async def start(self, bridge: str) -> bool:
        cmd = ["ip", "addr", "add", f"{ADDRESS}/32", "dev", bridge]
        res = await asyncio.to_thread(subprocess.run, cmd, check=False, capture_output=True, text=True)
        if res.returncode != 0 and "exists" not in res.stderr and "already assigned" not in res.stderr:
            log.warning("task metadata endpoint unavailable: %s", res.stderr.strip())
            return False
        self._http = HttpServer(self.handle)
        try:
            _, self.port = await self._http.start(ADDRESS, 0)
        except OSError as e:
            log.warning("task metadata endpoint unavailable: %s", e)
            self._http = None
            return False
        return True

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.stop(grace=1.0)

    @property
    def available(self) -> bool:
        return self._http is not None

    def register(self, run: TaskRun, c: ContainerRun) -> dict[str, str]:
        """A fresh id for one container; the environment variables that point at it."""
        if not self.available:
            return {}
        cid = secrets.token_hex(16)
        self.ids[cid] = (run, c)
        base = f"http://{ADDRESS}:{self.port}"
        env = {"ECS_CONTAINER_METADATA_URI_V4": f"{base}/v4/{cid}", "ECS_CONTAINER_METADATA_URI": f"{base}/v3/{cid}"}
        if run.role_arn:
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = f"{base}/v2/credentials/{cid}"
        return env

    def forget(self, run: TaskRun) -> None:
        for cid in [k for k, (r, _) in self.ids.items() if r is run]:
            del self.ids[cid]

    async def handle(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/") if p]
        if len(parts) < 2 or parts[0] not in ("v2", "v3", "v4"):
            return _json(404, {"error": "not found"})
        if parts[0] == "v2" and len(parts) == 3 and parts[1] == "credentials":
            return await self.credentials(parts[2])
        found = self.ids.get(parts[1])
        if found is None:
            return _json(404, {"error": "unknown container"})
        run, c = found
        doc = await self.store.read(lambda t: t.get(model.TASKS, run.key))
        if doc is None:
            return _json(404, {"error": "task not found"})
        rest = parts[2:]
        if rest == []:
            return _json(200, container_view(run, c, doc, self.subnet))
        if rest == ["task"]:
            return _json(200, task_view(run, doc, self.subnet))
        if rest in (["stats"], ["task", "stats"]):
            return _json(200, {} if rest == ["stats"] else {x.runtime_id: {} for x in run.containers})
        return _json(404, {"error": "not found"})

    async def credentials(self, cid: str) -> Response:
        found = self.ids.get(cid)
        role_arn = found[0].role_arn if found is not None else None
        if found is None or not role_arn:
            return _json(404, {"code": "NoCredentials", "message": "No task role for this container"})
        run, _ = found

        def txn(t: Any) -> dict[str, Any]:
            # the task role is assumed by ECS's service principal: its trust policy must allow it
            return iam.service_role_credentials(
                t, role_arn, run.task_id, 3600, service="ecs-tasks.amazonaws.com", region=run.region, source="ecs-tasks",
            )

        try:
            creds = await self.store.run(txn)
        except Exception as e:  # noqa: BLE001 - an AwsError: the role is missing
            return _json(400, {"code": "AssumeRoleFailed", "message": str(e)})
        return _json(
            200,
            {
                "AccessKeyId": creds["AccessKeyId"],
                "SecretAccessKey": creds["SecretAccessKey"],
                "Token": creds["SessionToken"],
                "Expiration": creds["Expiration"].isoformat().replace("+00:00", "Z"),
                "RoleArn": run.role_arn,
            },
        )


def _json(status: int, body: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], json.dumps(body).encode())


def container_view(run: TaskRun, c: ContainerRun, doc: dict[str, Any], subnet: str) -> dict[str, Any]:
    cd = next(x for x in doc["containers"] if x["name"] == c.name)
    out: dict[str, Any] = {
        "DockerId": c.runtime_id,
        "Name": c.name,
        "DockerName": f"ecs-{c.name}-{run.task_id[:8]}",
        "Image": c.spec["image"],
        "ImageID": cd.get("imageDigest", ""),
        "Labels": {
            "com.amazonaws.ecs.cluster": doc["clusterArn"],
            "com.amazonaws.ecs.container-name": c.name,
            "com.amazonaws.ecs.task-arn": doc["taskArn"],
            "com.amazonaws.ecs.task-definition-family": run.meta["taskdef"]["family"],
            "com.amazonaws.ecs.task-definition-version": str(run.meta["taskdef"]["revision"]),
        },
        "DesiredStatus": doc["desiredStatus"],
        "KnownStatus": cd["lastStatus"],
        "Limits": {"CPU": int(cd.get("cpu") or 0), **({"Memory": int(cd["memory"])} if cd.get("memory") else {})},
        "CreatedAt": _iso(doc.get("createdAt")),
        "StartedAt": _iso(doc.get("startedAt")),
        "Type": "NORMAL",
        "ContainerARN": cd["containerArn"],
        "Networks": [],
    }
    if run.network is not None:
        out["Networks"] = [
            {
                "NetworkMode": run.network_mode,
                "IPv4Addresses": [run.network.ip],
                "MACAddress": run.network.mac,
                "IPv4SubnetCIDRBlock": subnet,
                "PrivateDNSName": "ip-" + run.network.ip.replace(".", "-") + ".ec2.internal",
                "SubnetGatewayIpv4Address": f"{run.network.gateway}/{run.network.prefix}",
            }
        ]
    lc = c.spec.get("logConfiguration") or {}
    if lc:
        out["LogDriver"] = lc.get("logDriver")
        out["LogOptions"] = lc.get("options") or {}
    if c.exit_code is not None:
        out["ExitCode"] = c.exit_code
    return out


def task_view(run: TaskRun, doc: dict[str, Any], subnet: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Cluster": doc["clusterArn"],
        "TaskARN": doc["taskArn"],
        "Family": run.meta["taskdef"]["family"],
        "Revision": str(run.meta["taskdef"]["revision"]),
        "DesiredStatus": doc["desiredStatus"],
        "KnownStatus": doc["lastStatus"],
        "Limits": {"CPU": int(doc.get("cpu") or 0) / 1024, "Memory": int(doc.get("memory") or 0)},
        "PullStartedAt": _iso(doc.get("pullStartedAt")),
        "PullStoppedAt": _iso(doc.get("pullStoppedAt")),
        "AvailabilityZone": doc.get("availabilityZone"),
        "LaunchType": doc.get("launchType"),
        "Containers": [container_view(run, c, doc, subnet) for c in run.containers],
        "ClockDrift": {"ClockErrorBound": 0.5, "ReferenceTimestamp": _iso(model.now()), "ClockSynchronizationStatus": "SYNCHRONIZED"},
        "EphemeralStorageMetrics": {"Utilized": 0, "Reserved": 20496},
    }
    if doc.get("launchType") == "FARGATE":
        out["TaskTags"] = {}
    return out
