"""What a resource provider is, and what it gets: a `Provider` creates, updates in place and
deletes one resource type by calling the owning services' own operations in-process
(gureum/aws/internal_call.py) as the stack's caller; it never writes another service's tables
and never repeats its validation. `ResourceContext` carries the stack, the logical id and the
caller; `Done` is what a create or update leaves: the physical id, the Ref value and the
Fn::GetAtt attributes. The registry `PROVIDERS` maps a type name to its provider."""

from __future__ import annotations

import random
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller, call

if TYPE_CHECKING:
    from gureum.app import App


@dataclass(frozen=True)
class Done:
    physical_id: str
    attrs: dict[str, Any] = field(default_factory=dict)
    ref: Any = None  # None: the physical id

    @property
    def ref_value(self) -> Any:
        return self.physical_id if self.ref is None else self.ref


@dataclass(frozen=True)
class ResourceContext:
    app: App
    caller: Caller
    stack_name: str
    stack_id: str
    logical_id: str
    tags: tuple[tuple[str, str], ...] = ()  # the stack's tags, propagated as AWS does
    resource_type: str = ""
    # writes a CREATE_IN_PROGRESS event with this reason (what CloudFormation waits for)
    progress: Callable[[str], Awaitable[None]] | None = None

    async def note(self, reason: str) -> None:
        """An in-progress event with `reason`, as AWS shows what a long create waits for."""
        if self.progress is not None:
            await self.progress(reason)

    @property
    def account(self) -> str:
        return self.caller.account_id

    @property
    def region(self) -> str:
        return self.caller.region

    @property
    def system_tags(self) -> dict[str, str]:
        """The tags AWS puts on a stack's resources of taggable types (reserved `aws:` keys)."""
        if not self.stack_id:
            return {}
        return {"aws:cloudformation:stack-name": self.stack_name, "aws:cloudformation:stack-id": self.stack_id,
                "aws:cloudformation:logical-id": self.logical_id}

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """`operation` as the stack's caller; the resource's system tags may pass (and only they)."""
        with tags.system_tags(self.system_tags):
            return await call(self.app, self.caller, service, operation, params)

    def name(self, max_length: int = 255, *, lower: bool = False, sep: str = "-") -> str:
        """A physical name as AWS generates it: `{stack}-{logical}-{13 random}`, parts cut to fit."""
        suffix = "".join(random.choices(string.ascii_uppercase + string.digits, k=13))
        room = max_length - len(suffix) - 2 * len(sep)
        stack, logical = self.stack_name, self.logical_id
        if len(stack) + len(logical) > room:
            half = max(room // 2, 1)
            stack = stack[:half]
            logical = logical[: max(room - len(stack), 1)]
        out = f"{stack}{sep}{logical}{sep}{suffix}"
        return out.lower() if lower else out

    def tag_list(self, props: dict[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        """The resource's own Tags (a list of {Key, Value}) after the stack's, the resource's
        winning, then the system tags (aws:cloudformation:*) as AWS applies them."""
        merged = {k: v for k, v in self.tags}
        for t in props.get("Tags") or ():
            if isinstance(t, dict) and "Key" in t:
                merged[str(t["Key"])] = str(t.get("Value", ""))
        merged.update(self.system_tags)
        return [{key: k, value: v} for k, v in merged.items()]


Create = Callable[[ResourceContext, dict[str, Any]], Awaitable[Done]]
Update = Callable[[ResourceContext, str, dict[str, Any], dict[str, Any], Done], Awaitable[Done]]
Delete = Callable[[ResourceContext, str, dict[str, Any], Done], Awaitable[None]]


@dataclass(frozen=True)
class Provider:
    type_name: str
    create: Create
    delete: Delete
    update: Update | None = None  # None: every change replaces the resource
    # properties whose change replaces it beyond the schema's createOnlyProperties
    replaces: tuple[str, ...] = ()


PROVIDERS: dict[str, Provider] = {}


class ResourceFailed(Exception):
    """A resource that failed for a reason CloudFormation words itself (not a service's
    error): the event's ResourceStatusReason as it is."""


def provider_for(type_name: str) -> Provider | None:
    """The provider of `type_name`: every `Custom::X` is a custom resource."""
    if type_name.startswith("Custom::"):
        type_name = "AWS::CloudFormation::CustomResource"
    return PROVIDERS.get(type_name)


def provider(type_name: str, *, update: Update | None = None, replaces: tuple[str, ...] = ()
             ) -> Callable[[Create], Create]:
    """Register a create function; its module's `delete_<...>` is given by `deleting`."""

    def register(fn: Create) -> Create:
        PROVIDERS[type_name] = Provider(type_name, fn, _missing_delete, update, replaces)
        return fn

    return register


def deleting(type_name: str) -> Callable[[Delete], Delete]:
    def register(fn: Delete) -> Delete:
        p = PROVIDERS[type_name]
        PROVIDERS[type_name] = Provider(p.type_name, p.create, fn, p.update, p.replaces)
        return fn

    return register


def updating(type_name: str) -> Callable[[Update], Update]:
    def register(fn: Update) -> Update:
        p = PROVIDERS[type_name]
        PROVIDERS[type_name] = Provider(p.type_name, p.create, p.delete, fn, p.replaces)
        return fn

    return register


async def _missing_delete(ctx: ResourceContext, physical_id: str, props: dict[str, Any], done: Done) -> None:
    return None


async def ignore_missing(coro: Awaitable[Any], *missing: str) -> None:
    """Await a delete (or a detach) whose target may be gone already: an AwsError whose code
    contains one of `missing` ("NotFound", "NoSuchEntity", ...) is taken as done."""
    try:
        await coro
    except AwsError as e:
        if not any(m in e.code for m in missing):
            raise


def refuse_unapplied(type_name: str, props: dict[str, Any], applied: tuple[str, ...] | set[str]) -> None:
    """Fail the resource (never a silent success) when it sets properties its provider does
    not apply yet: `applied` are the ones it does."""
    left = sorted(k for k in props if k not in applied)
    if left:
        raise ResourceFailed(f"gureum does not apply {', '.join(left)} of {type_name} yet")


def text(value: Any) -> str:
    """A property value as the string an API takes (numbers and booleans as CloudFormation passes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value)
    return str(value)


def policy_text(value: Any) -> str:
    """A policy document property (an object, or JSON text) as the JSON text APIs take."""
    import json
    return value if isinstance(value, str) else json.dumps(value)


def resource_policy_type(type_name: str, service: str, arn_member: str, policy_property: str) -> None:
    """Register `type_name` as made by `service`'s PutResourcePolicy (`arn_member` naming the
    resource's ARN, the document from `policy_property`): Ref is ResourceArn; the document changes
    in place (put again); delete is DeleteResourcePolicy, an already-gone policy or resource taken as done."""

    async def put(ctx: ResourceContext, props: dict[str, Any]) -> Done:
        refuse_unapplied(type_name, props, ("ResourceArn", policy_property))
        arn = str(props["ResourceArn"])
        await ctx.call(service, "PutResourcePolicy", {arn_member: arn, "Policy": policy_text(props[policy_property])})
        return Done(arn)

    async def update(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
        return await put(ctx, new)

    async def delete(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
        await ignore_missing(ctx.call(service, "DeleteResourcePolicy", {arn_member: physical}), "ResourceNotFound")

    provider(type_name, update=update)(put)
    deleting(type_name)(delete)
