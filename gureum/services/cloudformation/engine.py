"""The stack worker: drives a stack's running operation through AWS's state machine, one
store write per step, so a node that stops mid-way leaves a state `resume` can finish.

CREATE_IN_PROGRESS -> CREATE_COMPLETE, or on a failure ROLLBACK_IN_PROGRESS (every created
resource deleted) -> ROLLBACK_COMPLETE (CREATE_FAILED with DisableRollback).
UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS (removed and replaced resources
deleted) -> UPDATE_COMPLETE, or on a failure UPDATE_ROLLBACK_IN_PROGRESS (in-place changes
undone, previous rows restored) -> UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS (what the
update created deleted) -> UPDATE_ROLLBACK_COMPLETE.
DELETE_IN_PROGRESS -> DELETE_COMPLETE (DELETE_FAILED when a resource cannot go).
A create still running at the stack's TimeoutInMinutes (timeouts.py) has what runs cancelled
and rolls back. An in-place update whose provider answers a new physical id (a custom
resource's new PhysicalResourceId) is treated as a replacement: the old one goes in the cleanup.

Resources whose dependencies are done are created (and deleted, in reverse) concurrently.
Each resource row records what it needs to be undone (`fresh`: created by this operation;
`old`: the row before an in-place update or a replacement). `resume` at start-up: a create or
update that was running fails into its rollback (a resource half-created then is not known);
a rollback, cleanup or delete carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller
from gureum.services.cloudformation import changes, checks, drift, model, notifications, schemas, timeouts
from gureum.services.cloudformation import providers as _providers  # noqa: F401 - registers the types
from gureum.services.cloudformation.intrinsics import NotReady, Scope, evaluate_conditions, resolve
from gureum.services.cloudformation.providers.base import Done, Provider, ResourceContext, ResourceFailed, provider_for
from gureum.services.cloudformation.template import TemplateError, parse

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger("gureum.cloudformation")
Doc = dict[str, Any]

# the property holding a resource's custom name: replacing one that keeps its name cannot work
NAME_PROPERTIES = {
    "AWS::SQS::Queue": "QueueName", "AWS::SNS::Topic": "TopicName", "AWS::S3::Bucket": "BucketName",
    "AWS::SSM::Parameter": "Name", "AWS::SecretsManager::Secret": "Name", "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::DynamoDB::Table": "TableName", "AWS::IAM::Role": "RoleName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Lambda::Function": "FunctionName",
}


CANCEL_CHECK = 0.5  # seconds between looks for CancelUpdateStack while resources run
TIMED_OUT = "timed out"  # in_order's failure past its deadline (the stack's TimeoutInMinutes)


class Failed(Exception):
    """A resource that could not be created, updated or deleted: the event's reason."""


def known_type(type_name: str) -> bool:
    return provider_for(type_name) is not None


def _provider(type_name: str) -> Provider:
    found = provider_for(type_name)
    assert found is not None, type_name  # templates with unknown types are refused up front
    return found


def pseudo(stack: Doc, account: str, region: str) -> dict[str, Any]:
    return {"AWS::AccountId": account, "AWS::Region": region, "AWS::StackId": stack["StackId"],
            "AWS::StackName": stack["StackName"], "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": list(stack.get("NotificationARNs") or [])}


def reason_of(err: AwsError | ResourceFailed) -> str:
    """A service's refusal as CloudFormation words a handler's failure (a ResourceFailed
    carries its own words)."""
    if isinstance(err, ResourceFailed):
        return str(err)
    code = err.code
    kind = ("AlreadyExists" if "AlreadyExists" in code or "Exists" in code else
            "NotFound" if "NotFound" in code or "NoSuch" in code else
            "AccessDenied" if "AccessDenied" in code or "Authorization" in code else
            "InvalidRequest" if "Invalid" in code or "Validation" in code or "Malformed" in code else
            "ServiceLimitExceeded" if "Limit" in code else "GeneralServiceException")
    return f'Resource handler returned message: "{err.message}" (RequestToken: {uuid.uuid4()}, HandlerErrorCode: {kind})'


class Run:
    """One operation on one stack (the store holds everything; this holds the loop's view)."""

    def __init__(self, app: App, account: str, region: str, stack: Doc) -> None:
        self.app, self.account, self.region, self.stack = app, account, region, stack
        c = stack["caller"]
        self.caller = Caller(account, region, c["principal"], c.get("key", ""))
        self.tags = tuple((t["Key"], t["Value"]) for t in stack.get("Tags") or ())

    # --- store helpers -------------------------------------------------------------
    async def _txn(self, fn: Any) -> Any:
        return await self.app.store.run(fn)

    async def status(self, status: str, reason: str = "", **changes: Any) -> None:
        now = time.time()
        doc = await self._txn(lambda t: model.set_status(t, self.account, self.region, self.stack["StackId"],
                                                          status, reason, now, **changes))
        event = doc.pop("_event", None)
        self.stack = doc
        if event is not None and doc.get("NotificationARNs"):
            await notifications.notify(self.app, self.caller, doc, event)

    async def rows(self) -> dict[str, Doc]:
        return dict(await self.app.store.read(lambda t: list(model.resources(t, self.account, self.region,
                                                                               self.stack["StackId"]))))

    async def put_row(self, logical: str, row: Doc, event: bool = True) -> None:
        now = time.time()
        row["Timestamp"] = now
        written = await self._txn(lambda t: model.put_resource(t, self.account, self.region, self.stack, logical, row,
                                                               event=event, now=now))
        if written is not None and self.stack.get("NotificationARNs"):
            await notifications.notify(self.app, self.caller, self.stack, written)

    def ctx(self, logical: str, rtype: str = "") -> ResourceContext:
        async def progress(reason: str) -> None:
            now = time.time()
            await self._txn(lambda t: model.add_event(t, self.account, self.region, self.stack, logical, "", rtype,
                                                      "CREATE_IN_PROGRESS", reason, now))
        return ResourceContext(self.app, self.caller, self.stack["StackName"], self.stack["StackId"], logical, self.tags,
                               rtype, progress)

    # --- the template's view --------------------------------------------------------
    async def scope_for(self, template: str, values: dict[str, Any]) -> tuple[Doc, Scope, set[str]]:
        doc = parse(template)
        exported = await self.app.store.read(lambda t: {d["Name"]: d["Value"] for d in model.exports(t, self.account, self.region)})

        def imports(name: str) -> str:
            if name not in exported:
                raise TemplateError(f"No export named {name} found.")
            return str(exported[name])

        resources = doc.get("Resources") or {}
        scope = Scope(params={**pseudo(self.stack, self.account, self.region), **values},
                      mappings=doc.get("Mappings") or {}, resources=frozenset(resources), region=self.region,
                      imports=imports)
        scope.conditions = evaluate_conditions(doc.get("Conditions") or {}, scope)
        active = {n for n, r in resources.items() if r.get("Condition") is None or scope.conditions.get(r["Condition"])}
        scope.resources = frozenset(active)
        return doc, scope, active

    # --- one resource ----------------------------------------------------------------
    def properties(self, doc: Doc, logical: str, scope: Scope) -> dict[str, Any]:
        r = doc["Resources"][logical]
        try:
            props = resolve(r.get("Properties") or {}, scope)
        except NotReady as e:
            raise Failed(f"Template error: resource {e.args[0]} is not yet available") from None
        except TemplateError as e:
            raise Failed(str(e)) from None
        try:
            schemas.check(logical, r["Type"], props)
        except TemplateError as e:
            raise Failed(str(e)) from None
        return dict(props)

    async def create_one(self, doc: Doc, logical: str, scope: Scope, fresh: bool = True, old: Doc | None = None) -> Done:
        r = doc["Resources"][logical]
        rtype = r["Type"]
        row: Doc = {"LogicalResourceId": logical, "ResourceType": rtype, "ResourceStatus": "CREATE_IN_PROGRESS",
                    "PhysicalResourceId": "", "DeletionPolicy": r.get("DeletionPolicy", "Delete"),
                    "UpdateReplacePolicy": r.get("UpdateReplacePolicy", "Delete"), "fresh": fresh}
        if old is not None:
            row["old"] = old
        try:
            props = self.properties(doc, logical, scope)
        except Failed as e:
            await self.put_row(logical, {**row, "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": str(e)})
            raise
        row["props"] = props
        row["event_props"] = json.dumps(props, default=str)
        await self.put_row(logical, row)
        row.pop("event_props")
        try:
            done = await _provider(rtype).create(self.ctx(logical, rtype), props)
        except (AwsError, ResourceFailed) as e:
            reason = reason_of(e)
            await self.put_row(logical, {**row, "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": reason})
            raise Failed(reason) from None
        except Exception as e:
            log.exception("creating %s (%s) failed", logical, rtype)
            reason = f"Internal failure: {type(e).__name__}"
            await self.put_row(logical, {**row, "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": reason})
            raise Failed(reason) from None
        await self.put_row(logical, {**row, "ResourceStatus": "CREATE_COMPLETE", "PhysicalResourceId": done.physical_id,
                                     "attrs": done.attrs, "ref": done.ref_value})
        return done

    async def delete_one(self, logical: str, row: Doc, *, replaced: bool = False) -> None:
        """Delete `row`'s resource (its DeletionPolicy or, when `replaced`, UpdateReplacePolicy)."""
        policy = row.get("UpdateReplacePolicy" if replaced else "DeletionPolicy", "Delete")
        physical = row.get("PhysicalResourceId") or ""
        if row.get("ResourceStatus") == "DELETE_COMPLETE":
            return
        if policy in ("Retain", "Snapshot", "RetainExceptOnCreate") and not (policy == "RetainExceptOnCreate" and row.get("fresh")):
            if not replaced:
                await self.put_row(logical, {**row, "ResourceStatus": "DELETE_SKIPPED"})
            return
        if not physical:  # never created
            if not replaced:
                await self.put_row(logical, {**row, "ResourceStatus": "DELETE_COMPLETE"})
            return
        if not replaced:
            await self.put_row(logical, {**row, "ResourceStatus": "DELETE_IN_PROGRESS"})
        done = Done(physical, row.get("attrs") or {}, row.get("ref"))
        try:
            await _provider(row["ResourceType"]).delete(self.ctx(logical, row["ResourceType"]), physical, row.get("props") or {}, done)
        except (AwsError, ResourceFailed) as e:
            reason = reason_of(e)
            if not replaced:
                await self.put_row(logical, {**row, "ResourceStatus": "DELETE_FAILED", "ResourceStatusReason": reason})
            raise Failed(reason) from None
        if not replaced:
            await self.put_row(logical, {**row, "ResourceStatus": "DELETE_COMPLETE"})

    # --- graphs ----------------------------------------------------------------------
    async def cancelled(self) -> bool:
        """CancelUpdateStack asked this update to stop (op.cancel in the store)."""
        sid = self.stack["StackId"]
        doc = await self.app.store.read(lambda t: model.find(t, self.account, self.region, sid))
        return bool(doc and (doc.get("op") or {}).get("cancel"))

    async def in_order(self, names: set[str], deps: dict[str, set[str]], step: Any, *, cancellable: bool = False,
                       deadline: float | None = None) -> str | None:
        """Run `step(name)` for each of `names` once its dependencies (in `deps`, among
        `names`) are done, concurrently; after a failure (or a cancel, when `cancellable`)
        start nothing new. The first failure's reason (TIMED_OUT past `deadline`, a
        time.time(): what runs is stopped, its rows CREATE_FAILED "Resource creation cancelled")."""
        done: set[str] = set()
        pending = set(names)
        running: dict[asyncio.Task[Any], str] = {}
        failure: str | None = None
        while pending or running:
            if failure is None and cancellable and await self.cancelled():
                failure = "User Initiated"
            if failure is None:
                for n in sorted(pending):
                    if (deps.get(n, set()) & names) <= done:
                        pending.discard(n)
                        running[asyncio.ensure_future(step(n))] = n
            else:
                pending.clear()
            if not running:
                if pending and failure is None:  # cannot happen with an acyclic graph
                    failure = "Circular dependency between resources: [" + ", ".join(sorted(pending)) + "]"
                break
            wait = CANCEL_CHECK if cancellable else None
            if deadline is not None:
                wait = max(0.0, min(wait or deadline, deadline - time.time()))
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED, timeout=wait)
            if deadline is not None and not finished and failure is None and time.time() >= deadline:
                await _stop(self, running, "CREATE_FAILED", "Resource creation cancelled")
                pending.clear()
                failure = TIMED_OUT
                break
            if cancellable and not finished and failure is None and await self.cancelled():
                for task in running:  # a wait condition or a slow resource: stopped where it is
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                running.clear()
                pending.clear()
                await _cancel_in_progress(self, None)
                failure = "User Initiated"
                break
            for task in finished:
                n = running.pop(task)
                exc = task.exception()
                if exc is None:
                    done.add(n)
                elif isinstance(exc, Failed):
                    failure = failure or str(exc)
                else:
                    log.error("stack step %s failed", n, exc_info=exc)
                    failure = failure or f"Internal failure: {type(exc).__name__}"
        return failure

    async def delete_all(self, rows: dict[str, Doc], deps: dict[str, set[str]], *, only: set[str] | None = None) -> str | None:
        names = set(rows) if only is None else only
        rev = checks.reverse(deps)
        return await self.in_order(names, rev, lambda n: self.delete_one(n, rows[n]))

    def stored_deps(self, template: str, names: set[str]) -> dict[str, set[str]]:
        try:
            doc = parse(template)
            return checks.graph(doc.get("Resources") or {}, names & set(doc.get("Resources") or {}))
        except TemplateError:
            return {}

    # --- outputs ------------------------------------------------------------------------
    def outputs(self, doc: Doc, scope: Scope) -> tuple[list[Doc], dict[str, str]]:
        outs: list[Doc] = []
        exports: dict[str, str] = {}
        for key, o in (doc.get("Outputs") or {}).items():
            if o.get("Condition") and not scope.conditions.get(o["Condition"]):
                continue
            try:
                value = resolve(o["Value"], scope)
            except NotReady as e:
                raise Failed(f"Template error: resource {e.args[0]} is not available") from None
            except TemplateError as e:
                raise Failed(str(e)) from None
            text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
            out: Doc = {"OutputKey": key, "OutputValue": text}
            if o.get("Description"):
                out["Description"] = str(o["Description"])
            if isinstance(o.get("Export"), dict):
                try:
                    name = str(resolve(o["Export"].get("Name"), scope))
                except TemplateError as e:
                    raise Failed(str(e)) from None
                out["ExportName"] = name
                exports[name] = text
            outs.append(out)
        return outs, exports

    async def finish_exports(self, exports: dict[str, str]) -> None:
        sid = self.stack["StackId"]

        def txn(t: Txn) -> None:
            try:
                model.check_exports(t, self.account, self.region, sid, exports)
            except AwsError as e:
                raise Failed(e.message) from None
            model.set_exports(t, self.account, self.region, sid, exports)
        await self._txn(txn)

    def refs_of(self, rows: dict[str, Doc], scope: Scope) -> None:
        for n, row in rows.items():
            if row.get("PhysicalResourceId") and row.get("ResourceStatus") not in ("DELETE_COMPLETE", "CREATE_FAILED"):
                scope.refs[n] = row.get("ref", row["PhysicalResourceId"])
                scope.attrs[n] = row.get("attrs") or {}

    # --- operations ------------------------------------------------------------------------
    async def create(self) -> None:
        doc, scope, active = await self.scope_for(self.stack["template"], self.stack.get("values") or {})
        deps = checks.graph(doc["Resources"], active)

        async def step(n: str) -> None:
            done = await self.create_one(doc, n, scope)
            scope.refs[n], scope.attrs[n] = done.ref_value, done.attrs

        failure = await self.in_order(active, deps, step, deadline=timeouts.create_deadline(self.app, self.stack))
        if failure is None:
            try:
                outs, exports = self.outputs(doc, scope)
                await self.finish_exports(exports)
            except Failed as e:
                failure = str(e)
            else:
                await self.settle_rows()
                await self.status("CREATE_COMPLETE", Outputs=outs, imports=list(scope.imported), op=None)
                return
        names = await self.failed_names("CREATE_FAILED")
        reason = f"The following resource(s) failed to create: [{', '.join(names)}]. " if names else f"{failure} "
        if failure == TIMED_OUT:
            reason = timeouts.CREATE_TIMED_OUT
        if self.stack.get("DisableRollback"):
            await self.status("CREATE_FAILED", reason, op=None)
            return
        await self.status("ROLLBACK_IN_PROGRESS", reason + "Rollback requested by user.")
        await self.rollback_create()

    async def failed_names(self, status: str) -> list[str]:
        return sorted(n for n, r in (await self.rows()).items() if r.get("ResourceStatus") == status)

    async def rollback_create(self) -> None:
        rows = await self.rows()
        deps = self.stored_deps(self.stack["template"], set(rows))
        failure = await self.delete_all(rows, deps)
        if failure is None:
            if self.stack.get("OnFailure") == "DELETE":
                await self.status("ROLLBACK_COMPLETE")
                await self.status("DELETE_IN_PROGRESS", op={"kind": "delete", "node": self.app.node_id})
                await self.delete()
                return
            await self.status("ROLLBACK_COMPLETE", op=None)
        else:
            await self.status("ROLLBACK_FAILED", f"The following resource(s) failed to delete: "
                              f"[{', '.join(await self.failed_names('DELETE_FAILED'))}]. ", op=None)

    async def delete(self) -> None:
        rows = {n: r for n, r in (await self.rows()).items() if r.get("ResourceStatus") not in ("DELETE_COMPLETE", "DELETE_SKIPPED")}
        deps = self.stored_deps(self.stack["template"], set(rows))
        failure = await self.delete_all(rows, deps)
        if failure is not None:
            await self.status("DELETE_FAILED", f"The following resource(s) failed to delete: "
                              f"[{', '.join(await self.failed_names('DELETE_FAILED'))}]. ", op=None)
            return
        sid, name = self.stack["StackId"], self.stack["StackName"]

        def txn(t: Txn) -> None:
            model.set_exports(t, self.account, self.region, sid, {})
            changes.drop_all(t, self.account, self.region, sid)
            t.delete(model.NAMES, f"{self.account}/{self.region}/{name}")
        await self._txn(txn)
        await self.status("DELETE_COMPLETE", DeletionTime=time.time(), op=None)

    async def update(self) -> None:
        doc, scope, active = await self.scope_for(self.stack["template"], self.stack.get("values") or {})
        rows = await self.rows()
        live = {n: r for n, r in rows.items() if r.get("ResourceStatus") not in ("DELETE_COMPLETE",)}
        self.refs_of({n: r for n, r in live.items() if n in active}, scope)
        deps = checks.graph(doc["Resources"], active)

        async def step(n: str) -> None:
            row = live.get(n)
            if row is None or not row.get("PhysicalResourceId"):
                done = await self.create_one(doc, n, scope)
            else:
                done = await self.update_one(doc, n, row, scope)
            scope.refs[n], scope.attrs[n] = done.ref_value, done.attrs

        failure = await self.in_order(active, deps, step, cancellable=True)
        if failure is None:
            try:
                outs, exports = self.outputs(doc, scope)
                await self.finish_exports(exports)
            except Failed as e:
                failure = str(e)
            else:
                await self.status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Outputs=outs, imports=list(scope.imported))
                await self.cleanup()
                return
        names = sorted(await self.failed_names("UPDATE_FAILED") + await self.failed_names("CREATE_FAILED"))
        reason = f"The following resource(s) failed to update: [{', '.join(names)}]. " if names else str(failure)
        if failure == "User Initiated":
            reason = "User Initiated"  # CancelUpdateStack
        if (self.stack.get("op") or {}).get("disable_rollback") and failure != "User Initiated":
            await self.status("UPDATE_FAILED", reason)  # op kept: RollbackStack or another update goes on
            return
        await self.status("UPDATE_ROLLBACK_IN_PROGRESS", reason)
        await self.update_rollback()

    async def update_one(self, doc: Doc, logical: str, row: Doc, scope: Scope) -> Done:
        r = doc["Resources"][logical]
        rtype = r["Type"]
        current = Done(row["PhysicalResourceId"], row.get("attrs") or {}, row.get("ref"))
        policies = {"DeletionPolicy": r.get("DeletionPolicy", "Delete"), "UpdateReplacePolicy": r.get("UpdateReplacePolicy", "Delete")}
        if rtype != row["ResourceType"]:
            reason = f"Update of resource type is not permitted. The new template modifies resource type of resource {logical}."
            await self.put_row(logical, {**row, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": reason})
            raise Failed(reason)
        try:
            props = self.properties(doc, logical, scope)
        except Failed as e:
            await self.put_row(logical, {**row, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": str(e)})
            raise
        old_props = row.get("props") or {}
        if props == old_props:
            if {k: row.get(k) for k in policies} != policies:
                await self.put_row(logical, {**row, **policies}, event=False)
            return current
        provider = _provider(rtype)
        changed = {k for k in set(props) | set(old_props) if props.get(k) != old_props.get(k)}
        replace = provider.update is None or schemas.replaces(rtype, old_props, props) or bool(changed & set(provider.replaces))
        base = {k: v for k, v in row.items() if k not in ("old", "fresh", "ResourceStatusReason")}
        if replace:
            name_prop = NAME_PROPERTIES.get(rtype)
            if name_prop and props.get(name_prop) and props.get(name_prop) == old_props.get(name_prop):
                reason = (f"CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                          f"Rename {props[name_prop]} and update the stack again.")
                await self.put_row(logical, {**row, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": reason})
                raise Failed(reason)
            await self.put_row(logical, {**base, "ResourceStatus": "UPDATE_IN_PROGRESS", "ResourceStatusReason":
                                         "Requested update requires the creation of a new physical resource; hence creating one."})
            try:
                done = await provider.create(self.ctx(logical, rtype), props)
            except (AwsError, ResourceFailed) as e:
                reason = reason_of(e)
                await self.put_row(logical, {**base, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": reason})
                raise Failed(reason) from None
            await self.put_row(logical, {**base, **policies, "ResourceStatus": "UPDATE_COMPLETE", "props": props,
                                         "PhysicalResourceId": done.physical_id, "attrs": done.attrs,
                                         "ref": done.ref_value, "old": {**base, "replaced": True}})
            return done
        await self.put_row(logical, {**base, "ResourceStatus": "UPDATE_IN_PROGRESS"})
        assert provider.update is not None
        try:
            done = await provider.update(self.ctx(logical, rtype), current.physical_id, old_props, props, current)
        except (AwsError, ResourceFailed) as e:
            reason = reason_of(e)
            await self.put_row(logical, {**base, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": reason,
                                         "old": base, "props": props})
            raise Failed(reason) from None
        # a provider that answers a new physical id (a custom resource's new PhysicalResourceId)
        # made a new resource: the old one is deleted in the cleanup, as a replaced one is
        moved = done.physical_id != current.physical_id
        await self.put_row(logical, {**base, **policies, "ResourceStatus": "UPDATE_COMPLETE", "props": props,
                                     "PhysicalResourceId": done.physical_id, "attrs": done.attrs, "ref": done.ref_value,
                                     "old": {**base, "replaced": True} if moved else base})
        return done

    async def cleanup(self) -> None:
        """After a successful update: resources the template dropped and replaced ones' old
        physical resources go; the rows forget what an undo would have needed."""
        doc = parse(self.stack["template"])
        rows = await self.rows()
        previous = (self.stack.get("op") or {}).get("previous") or {}
        active = await self._active_names(doc)
        gone = {n for n in rows if n not in (doc.get("Resources") or {}) or n not in active}
        deps = self.stored_deps(str(previous.get("template") or self.stack["template"]), set(rows))
        await self.delete_all(rows, deps, only={n for n in gone if rows[n].get("ResourceStatus") != "DELETE_COMPLETE"})
        for n, r in rows.items():
            old = r.get("old")
            if isinstance(old, dict) and old.get("replaced") and n not in gone:
                try:
                    await self.delete_one(n, old, replaced=True)
                except Failed:
                    pass  # AWS reports the cleanup failure and completes the update
        for n in gone:
            await self._txn(lambda t, n=n: model.drop_resource(t, self.account, self.region, self.stack["StackId"], n))
        await self.settle_rows()
        await self.status("UPDATE_COMPLETE", op=None)

    async def settle_rows(self) -> None:
        """The operation succeeded: no row is `fresh` (made by a running operation) or keeps its
        `old` any more. A row left fresh would be deleted by a later update's rollback as if
        that update had made it, and deleted despite RetainExceptOnCreate."""
        for n, r in (await self.rows()).items():
            if "old" in r or "fresh" in r:
                row = {k: v for k, v in r.items() if k not in ("old", "fresh")}
                await self.put_row(n, row, event=False)

    async def _active_names(self, doc: Doc) -> set[str]:
        _, _, active = await self.scope_for(self.stack["template"], self.stack.get("values") or {})
        return active

    async def update_rollback(self) -> None:
        """Undo what the update did, with the previous template's values."""
        previous = (self.stack.get("op") or {}).get("previous") or {}
        rows = await self.rows()
        for n, r in rows.items():
            old = r.get("old")
            if not isinstance(old, dict) or r.get("fresh"):
                continue
            if old.get("replaced"):
                # back to the old physical resource; the new one goes in the cleanup
                await self.put_row(n, {**{k: v for k, v in old.items() if k != "replaced"}, "ResourceStatus": "UPDATE_COMPLETE",
                                       "discard": {k: v for k, v in r.items() if k != "old"}})
                continue
            provider = _provider(r["ResourceType"])
            await self.put_row(n, {**r, "ResourceStatus": "UPDATE_IN_PROGRESS"})
            try:
                if provider.update is not None:
                    await provider.update(self.ctx(n, r["ResourceType"]), r["PhysicalResourceId"], r.get("props") or {}, old.get("props") or {},
                                          Done(old["PhysicalResourceId"], old.get("attrs") or {}, old.get("ref")))
            except (AwsError, ResourceFailed) as e:
                await self.put_row(n, {**r, "ResourceStatus": "UPDATE_FAILED", "ResourceStatusReason": reason_of(e)})
                await self.status("UPDATE_ROLLBACK_FAILED", f"The following resource(s) failed to update: [{n}]. ")  # op kept: ContinueUpdateRollback goes on from it
                return
            await self.put_row(n, {**old, "ResourceStatus": "UPDATE_COMPLETE"})
        op = {**(self.stack.get("op") or {}), "new_template": self.stack["template"]}
        await self.status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", op=op, template=previous.get("template", self.stack["template"]),
                          original=previous.get("original", self.stack.get("original")),
                          values=previous.get("values", self.stack.get("values")), given=previous.get("given", self.stack.get("given")),
                          Parameters=previous.get("Parameters", self.stack.get("Parameters")),
                          Outputs=previous.get("Outputs", self.stack.get("Outputs")),
                          Description=previous.get("Description", self.stack.get("Description")))
        await self.rollback_cleanup()

    async def rollback_cleanup(self) -> None:
        rows = await self.rows()
        fresh = {n: r for n, r in rows.items() if r.get("fresh")}
        deps = self.stored_deps(str((self.stack.get("op") or {}).get("new_template") or self.stack["template"]), set(fresh))
        await self.delete_all(fresh, deps)
        for n, r in rows.items():
            if isinstance(r.get("discard"), dict):
                try:
                    await self.delete_one(n, r["discard"], replaced=True)
                except Failed:
                    pass
        for n in fresh:
            await self._txn(lambda t, n=n: model.drop_resource(t, self.account, self.region, self.stack["StackId"], n))
        for n, r in (await self.rows()).items():
            if {"old", "fresh", "discard"} & set(r):
                await self.put_row(n, {k: v for k, v in r.items() if k not in ("old", "fresh", "discard")}, event=False)
        await self.status("UPDATE_ROLLBACK_COMPLETE", op=None)


async def run(app: App, account: str, region: str, stack_id: str, *, resumed: bool = False) -> None:
    """Drive the stack's operation to its end (the task `start` spawns)."""
    stack = await app.store.read(lambda t: model.find(t, account, region, stack_id))
    if stack is None or stack.get("op") is None:
        return
    r = Run(app, account, region, stack)
    status = stack["StackStatus"]
    try:
        if status == "CREATE_IN_PROGRESS":
            if resumed:
                await _cancel_in_progress(r, "CREATE_FAILED", "Resource creation cancelled")
                if stack.get("DisableRollback"):
                    await r.status("CREATE_FAILED", "Stack creation was interrupted", op=None)
                    return
                await r.status("ROLLBACK_IN_PROGRESS", "Stack creation was interrupted. Rollback requested.")
                await r.rollback_create()
            else:
                await r.create()
        elif status == "ROLLBACK_IN_PROGRESS":
            await r.rollback_create()
        elif status == "DELETE_IN_PROGRESS":
            await r.delete()
        elif status == "UPDATE_IN_PROGRESS":
            if resumed:
                await _cancel_in_progress(r, "UPDATE_FAILED", "Resource update cancelled")
                await r.status("UPDATE_ROLLBACK_IN_PROGRESS", "Stack update was interrupted. Rollback requested.")
                await r.update_rollback()
            else:
                await r.update()
        elif status == "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS":
            await r.cleanup()
        elif status == "UPDATE_ROLLBACK_IN_PROGRESS":
            await r.update_rollback()
        elif status == "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS":
            await r.rollback_cleanup()
    except asyncio.CancelledError:
        raise
    except Exception as e:  # a bug here must not leave the stack in progress forever
        log.exception("stack %s: %s failed", stack_id, status)
        failed = {"CREATE_IN_PROGRESS": "CREATE_FAILED", "ROLLBACK_IN_PROGRESS": "ROLLBACK_FAILED",
                  "DELETE_IN_PROGRESS": "DELETE_FAILED", "UPDATE_IN_PROGRESS": "UPDATE_FAILED"}.get(
            r.stack["StackStatus"], "UPDATE_ROLLBACK_FAILED")
        await r.status(failed, f"Internal failure: {type(e).__name__}", op=None)


async def _stop(r: Run, running: dict[asyncio.Task[Any], str], status: str, reason: str) -> None:
    """Cancel the running resource steps and mark their rows `status` with `reason`."""
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)
    running.clear()
    await _cancel_in_progress(r, status, reason)


async def _cancel_in_progress(r: Run, status: str | None, reason: str = "") -> None:
    """Rows left in progress (a restart, a cancel) marked failed; `status` None: each as its
    own operation words it (CREATE_FAILED "Resource creation cancelled", UPDATE_FAILED "Resource
    update cancelled")."""
    for n, row in (await r.rows()).items():
        current = row.get("ResourceStatus", "")
        if current.endswith("_IN_PROGRESS"):
            kind = current.split("_", 1)[0]
            failed = status or f"{kind}_FAILED"
            why = reason or ("Resource creation cancelled" if kind == "CREATE" else "Resource update cancelled")
            await r.put_row(n, {**row, "ResourceStatus": failed, "ResourceStatusReason": why})


def start(app: App, account: str, region: str, stack_id: str) -> None:
    app.spawn(run(app, account, region, stack_id), name=f"cloudformation {stack_id.rsplit('/', 2)[-2]}")


async def resume(app: App) -> None:
    """Component: carry on (or fail cleanly) the operations this node was running when it stopped."""
    node = app.node_id

    def mine(t: Txn) -> list[tuple[str, str, str]]:
        out = []
        for key, doc in t.scan(model.STACKS, ""):
            op = doc.get("op")
            # (an operation this process began is already being driven: the first call to
            # CloudFormation wakes this component while its handler starts one)
            if op and op.get("node") == node and op.get("run") != model.RUN and doc["StackStatus"] in model.IN_PROGRESS_KINDS:
                account, region, _ = key.split("/", 2)
                out.append((account, region, str(doc["StackId"])))
        return out

    for account, region, sid in await app.store.read(mine):
        app.spawn(run(app, account, region, sid, resumed=True), name=f"cloudformation resume {sid.rsplit('/', 2)[-2]}")
    now = time.time()
    await app.store.run(lambda t: drift.fail_interrupted(t, node, now))
    app.set_status("cloudformation", "running")
