"""Lambda's port for other services (gureum/ports.py `FunctionPort`): invoking a function by
ARN as an Event through the durable event queue (async_queue.py), whose retries,
destinations and dead-letter target apply; this node's engine, when it runs here, is woken at
once. `function_tags`: a function's tags, read in the caller's transaction (Cost Explorer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.lambda_.async_queue import enqueue
from gureum.services.lambda_.engine import engine_of
from gureum.services.lambda_.model import FUNCTIONS, fn_key
from gureum.services.lambda_.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def parse_function_arn(arn: str) -> tuple[str, str, str, str | None]:
    """(account, region, name, qualifier) of arn:aws:lambda:<region>:<account>:function:<name>[:<q>];
    ResourceNotFoundException for anything else."""
    try:
        ref = arns.lambda_function_parts(arn)
    except arns.BadArn:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User") from None
    return str(ref.account), str(ref.region), ref.name, ref.qualifier


class Functions:
    """`FunctionPort` on `app`'s Lambda engine and event queue."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def invoke_async(self, arn: str, payload: bytes, *, trace: str | None = None) -> str:
        account, region, name, qualifier = parse_function_arn(arn)
        request_id = await enqueue(self.app, account, region, name, qualifier, payload, missing=lambda: AwsError.modeled(
            "lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User"), trace=trace)
        engine = self.app.parts.get(ENGINE)
        if engine is not None and engine.queue is not None:  # it runs here: no need to wait for its next poll
            engine.queue.wake()
        return request_id

    async def invoke(self, arn: str, payload: bytes) -> tuple[bytes, str | None]:
        account, region, name, qualifier = parse_function_arn(arn)
        engine = await engine_of(self.app)
        target = await engine.resolve(account, region, name, qualifier)
        result = await engine.invoke(account, region, target, payload)
        return result.payload, result.function_error


def function_tags(txn: Txn, arn: str) -> dict[str, str]:
    """The tags of the function `arn` names (any qualifier ignored), in the caller's
    transaction; {} when there is no such function (Cost Explorer's tag dimensions)."""
    try:
        ref = arns.lambda_function_parts(arn)
    except arns.BadArn:
        return {}
    doc = txn.get(FUNCTIONS, fn_key(str(ref.account), str(ref.region), ref.name))
    return dict((doc or {}).get("tags") or {})


def service_may_invoke(txn: Txn, arn: str, service: str, source_arn: str) -> bool:
    """Whether the resource policy of function `arn` (its qualifier's, or the unqualified
    function's) lets AWS service principal `service` invoke it for `source_arn` (an
    `AWS:SourceArn` condition must match, with `*`/`?` wildcards); False when there is no such
    function (Elastic Load Balancing's check when a function is registered as a target)."""
    import fnmatch

    try:
        ref = arns.lambda_function_parts(arn)
    except arns.BadArn:
        return False
    doc = txn.get(FUNCTIONS, fn_key(str(ref.account), str(ref.region), ref.name))
    if doc is None:
        return False
    for st in (doc.get("policies") or {}).get(ref.qualifier or "", []):
        principal = st.get("Principal")
        if st.get("Effect") != "Allow" or not (principal == "*" or (isinstance(principal, dict) and principal.get("Service") == service)):
            continue
        if st.get("Action") not in ("lambda:InvokeFunction", "lambda:*"):
            continue
        want = (st.get("Condition") or {}).get("ArnLike", {}).get("AWS:SourceArn")
        if want is None or fnmatch.fnmatchcase(source_arn, want):
            return True
    return False
