"""ECS's container agent APIs (SubmitTaskStateChange, SubmitContainerStateChange,
SubmitAttachmentStateChanges, UpdateContainerAgent) and ExecuteCommand.

Every container instance here is run by a gureum node's own task agent (instances.py), which
writes task state itself; a state change submitted through the API is checked as ECS checks it
(the cluster, the task, its container or attachment must exist; statuses PENDING, RUNNING,
STOPPED) and acknowledged ("ACK"); a submitted STOPPED for a task asks the agent running it to
stop it (desiredStatus STOPPED), as ECS then does. UpdateContainerAgent answers
NoUpdateAvailableException: the agent is gureum's own and always at its latest version.

ExecuteCommand needs the SSM Session Manager service (the session's stream URL and token come
from SSM), which gureum does not serve: a task run without enableExecuteCommand gets AWS's
InvalidParameterException; one with it gets TargetNotConnectedException, as AWS answers when
the task's ExecuteCommandAgent has not connected to SSM.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ecs import instances as ci
from gureum.services.ecs import model
from gureum.store import Txn

STATUSES = ("PENDING", "RUNNING", "STOPPED")


def _task(t: Txn, ctx: RequestContext, cluster_ref: str | None, ref: str | None) -> tuple[str, dict[str, Any]]:
    cluster = model.get_cluster(t, ctx.account_id, ctx.region, cluster_ref)
    if not ref:
        raise AwsError.modeled("ecs", "InvalidParameterException", "task must be specified.")
    found = model.get_task(t, ctx.account_id, ctx.region, cluster["clusterName"], ref)
    if found is None:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"The referenced task was not found: {ref}")
    return found


def _status(value: str | None) -> str | None:
    if value is not None and value not in STATUSES:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"status must be one of {', '.join(STATUSES)}.")
    return value


@operation("ecs", "SubmitTaskStateChange")
async def submit_task_state_change(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        key, doc = _task(t, ctx, params.get("cluster"), params.get("task"))
        status = _status(params.get("status"))
        names = {c["name"] for c in doc.get("containers") or []}
        for c in params.get("containers") or []:
            if c.get("containerName") and c["containerName"] not in names:
                raise AwsError.modeled("ecs", "InvalidParameterException", f"The task has no container {c['containerName']}.")
            _status(c.get("status"))
        if status == "STOPPED" and doc["desiredStatus"] != "STOPPED":
            model.request_stop(t, key, doc, params.get("reason") or "Task stopped as its agent reported", "EssentialContainerExited")

    await ctx.app.store.run(txn)
    return {"acknowledgment": "ACK"}


@operation("ecs", "SubmitContainerStateChange")
async def submit_container_state_change(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        _, doc = _task(t, ctx, params.get("cluster"), params.get("task"))
        _status(params.get("status"))
        name = params.get("containerName")
        if name and name not in {c["name"] for c in doc.get("containers") or []}:
            raise AwsError.modeled("ecs", "InvalidParameterException", f"The task has no container {name}.")

    await ctx.app.store.read(txn)
    return {"acknowledgment": "ACK"}


@operation("ecs", "SubmitAttachmentStateChanges")
async def submit_attachment_state_changes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        known = {a["id"] for _, d in t.scan(model.TASKS, f"{model.scope(ctx.account_id, ctx.region)}{cluster['clusterName']}:")
                 for a in d.get("attachments") or []}
        for change in params["attachments"]:
            if change["attachmentArn"].rsplit("/", 1)[-1] not in known:
                raise AwsError.modeled("ecs", "InvalidParameterException",
                                       f"The attachment {change['attachmentArn']} was not found in the cluster.")

    await ctx.app.store.read(txn)
    return {"acknowledgment": "ACK"}


@operation("ecs", "UpdateContainerAgent")
async def update_container_agent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        if ci.find(t, ctx.account_id, ctx.region, cluster["clusterName"], params["containerInstance"]) is None:
            raise AwsError.modeled("ecs", "InvalidParameterException", "The referenced container instance was not found.")

    await ctx.app.store.read(txn)
    raise AwsError.modeled("ecs", "NoUpdateAvailableException",
                           f"There is no update available for your container agent (it runs version {ci.AGENT_VERSION}, the latest).")


@operation("ecs", "ExecuteCommand")
async def execute_command(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return _task(t, ctx, params.get("cluster"), params["task"])[1]

    doc = await ctx.app.store.read(txn)
    if params.get("container") and params["container"] not in {c["name"] for c in doc.get("containers") or []}:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"The task has no container {params['container']}.")
    if not doc.get("enableExecuteCommand"):
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "The execute command failed because execute command was not enabled when the task was run "
                               "or the execute command agent isn't running. Wait and try again or run a new task with "
                               "execute command enabled and try again.")
    raise AwsError.modeled("ecs", "TargetNotConnectedException",
                           "The execute command failed because the task's ExecuteCommandAgent is not connected: "
                           "SSM Session Manager is not served here.")
