"""Lambda's control plane, the shared part: store tables, AWS errors, names and keys,
configuration checks, the function document, and the one change event every write publishes.

The writes themselves live in one module per concern, each a set of synchronous functions
of a store transaction that api.py runs through `app.store.run(...)`:
functions.py ($LATEST, code, tags, deletion), versions.py, aliases.py, permissions.py
(resource policy), concurrency.py (reserved concurrency), invoke_configs.py (event invoke
configs), url_configs.py (function URL configs).

Store tables (keys start with "<account>/<region>/<function name>" = <fn>):
  lambda.functions  <fn> -> one doc per function: {"config": $LATEST's configuration,
                    "code": {"digest", "layers"?, "image"?}, "tags", "reserved",
                    "policies": {qualifier or "": [statements]},
                    "next_version", "last_published", "created"}
  lambda.versions   "<fn>/<version:010d>" -> an immutable {"config", "code"} snapshot
  lambda.aliases    "<fn>/<alias>"
  lambda.eic        "<fn>/<qualifier or $LATEST>" -> event invoke config
  lambda.urls       "<fn>/<qualifier or $LATEST>" -> function URL config
  lambda.url_ids    "<url id>" -> {"slot": where that URL's config is in lambda.urls}

Change events: every committed write of any of these tables publishes exactly one event on
TOPIC ("lambda.fn"), from `changed()` and nowhere else, in the write's own transaction:
{"key": <fn>, "what": what changed, "url_ids": [...] when function URLs changed}. The
engine follows TOPIC (in-process at once, other nodes' commits by polling) and drops what
it cached of that function; no caller invalidates anything by hand.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

FUNCTIONS = "lambda.functions"
VERSIONS = "lambda.versions"
ALIASES = "lambda.aliases"
EIC = "lambda.eic"
URLS = "lambda.urls"
URL_IDS = "lambda.url_ids"
T = TypeVar("T")
TOPIC = "lambda.fn"

MAX_ENV_BYTES = 4096
RESERVED_ENV = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
MIN_UNRESERVED = 100
CREATING_REASON = "The function is being created."


# --- names -----------------------------------------------------------------------------
def parse_name(value: str, account: str, region: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """(function name, qualifier) from a name, partial ARN or ARN (qualifier may be in it)."""
    m = arns.lambda_function_ref(value)
    if m is None:
        raise AwsError.modeled(
            "lambda",
            "ValidationException",
            f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy constraint",
            Type="User",
        )
    if m.region and m.region != region:
        raise AwsError.modeled("lambda", "ResourceNotFoundException",
                               f"Functions from '{m.region}' are not reachable in this region ('{region}')", Type="User")
    if m.account and m.account != account:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {value}", Type="User")
    q = m.qualifier
    if q and qualifier and q != qualifier:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "The derived qualifier from the function name does not match the specified qualifier.",
            Type="User",
        )
    return m.name, q or qualifier


def fn_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def function_arn(account: str, region: str, name: str, qualifier: str | None = None) -> str:
    return arns.lambda_function(region, account, name, qualifier)


def now_text() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


# --- configuration checks ----------------------------------------------------------------
def check_environment(env: dict[str, Any] | None) -> dict[str, str]:
    variables = dict((env or {}).get("Variables") or {})
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {', '.join(reserved)}",
            Type="User",
        )
    measured = json.dumps(variables, separators=(",", ":"))
    size = len(measured.encode())
    if size > MAX_ENV_BYTES:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided exceeded the 4KB limit. String measured: {measured}",
            Type="User",
        )
    return {str(k): str(v) for k, v in variables.items()}


def validation_error(value: Any, where: str, constraint: str) -> AwsError:
    """AWS's ValidationException for one member: "1 validation error detected: Value '...' at
    'memberPath' failed to satisfy constraint: ..."."""
    return AwsError.modeled("lambda", "ValidationException",
                            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: {constraint}")


def _check_range(value: int | None, where: str, low: int, high: int) -> None:
    if value is None:
        return
    if value < low:
        raise validation_error(value, where, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise validation_error(value, where, f"Member must have value less than or equal to {high}")


MAX_NAME = 64  # a function's name; its ARN forms may be longer


def check_new_name(name: str) -> None:
    """CreateFunction's name (the model allows 140 characters, for ARNs; a name has 64)."""
    if len(name) > MAX_NAME:
        raise validation_error(name, "functionName", f"Member must have length less than or equal to {MAX_NAME}")


def check_limits(params: dict[str, Any]) -> None:
    _check_range(params.get("Timeout"), "timeout", 1, 900)
    _check_range(params.get("MemorySize"), "memorySize", 128, 10240)
    _check_range((params.get("EphemeralStorage") or {}).get("Size"), "ephemeralStorage.size", 512, 10240)
    layers = params.get("Layers")
    if layers is not None and len(layers) > 5:
        raise AwsError.modeled(
            "lambda", "InvalidParameterValueException", "Cannot reference more than 5 layers.", Type="User"
        )


# --- function documents ------------------------------------------------------------------
def logging_config(name: str, given: dict[str, Any] | None) -> dict[str, Any]:
    """CreateFunction's LoggingConfig with AWS's defaults (JSON brings the INFO log levels)."""
    out: dict[str, Any] = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}", **(given or {})}
    if out["LogFormat"] == "JSON":
        out.setdefault("ApplicationLogLevel", "INFO")
        out.setdefault("SystemLogLevel", "INFO")
    return out


def new_function(account: str, region: str, params: dict[str, Any], code: dict[str, Any], variables: dict[str, str]) -> dict[str, Any]:
    name = params["FunctionName"]
    arch = (params.get("Architectures") or ["x86_64"])
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": function_arn(account, region, name),
        "Runtime": params.get("Runtime"),
        "Role": params["Role"],
        "Handler": params.get("Handler"),
        "CodeSize": code["size"],
        "Description": params.get("Description", ""),
        "Timeout": params.get("Timeout", 3),
        "MemorySize": params.get("MemorySize", 128),
        "LastModified": now_text(),
        "CodeSha256": code["sha256"],
        "Version": "$LATEST",
        "Environment": {"Variables": variables} if params.get("Environment") is not None else None,
        "TracingConfig": {"Mode": (params.get("TracingConfig") or {}).get("Mode", "PassThrough")},
        "RevisionId": new_revision(),
        "State": "Pending",
        "StateReason": CREATING_REASON,
        "StateReasonCode": "Creating",
        "PackageType": "Zip",
        "Architectures": arch,
        "EphemeralStorage": {"Size": (params.get("EphemeralStorage") or {}).get("Size", 512)},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "RuntimeVersionConfig": {"RuntimeVersionArn": arns.lambda_runtime(region, f"gureum-{params.get('Runtime')}")},
        "LoggingConfig": logging_config(name, params.get("LoggingConfig")),
    }
    image = code.get("image")
    if image is not None:  # a container image: no runtime; Pending until pulled
        for k in ("Runtime", "Handler", "RuntimeVersionConfig"):
            config.pop(k, None)
        config["PackageType"] = "Image"
        if params.get("ImageConfig"):
            config["ImageConfigResponse"] = {"ImageConfig": dict(params["ImageConfig"])}
    if params.get("DeadLetterConfig"):
        config["DeadLetterConfig"] = params["DeadLetterConfig"]
    if params.get("KMSKeyArn"):
        config["KMSKeyArn"] = params["KMSKeyArn"]
    if params.get("DurableConfig") is not None:  # a durable function (durable.py)
        config["DurableConfig"] = {"RetentionPeriodInDays": 14, "ExecutionTimeout": 86400, **params["DurableConfig"]}
    return {
        "config": {k: v for k, v in config.items() if v is not None},
        "code": {"digest": code["digest"]} if image is None else {"digest": None, "image": image},
        # CreateFunction's Tags under TagResource's rules (count included)
        "tags": tags.apply({}, tags.check(dict(params.get("Tags") or {}), TAG_RULES), (), TAG_RULES),
        "reserved": None,
        "policy": [],
        "next_version": 1,
        "created": now_text(),
    }


def activate(config: dict[str, Any]) -> dict[str, Any]:
    """`config` (Pending after CreateFunction) made Active, as AWS moves it once the function is
    ready: the Pending state's fields go, LastUpdateStatus appears, and the RevisionId changes."""
    for f in ("StateReason", "StateReasonCode"):
        config.pop(f, None)
    config.update(State="Active", LastUpdateStatus="Successful", RevisionId=new_revision())
    return config


def as_updating(config: dict[str, Any]) -> dict[str, Any]:
    """What UpdateFunctionCode/Configuration answer: the update in progress. A configuration
    stored still InProgress (an image being prepared) is answered as it is; one the write
    already settled (stored Successful) is answered under the RevisionId it had while the
    update was in progress, as AWS gives the settled configuration a new one."""
    out = dict(config)
    if config.get("LastUpdateStatus") != "InProgress":
        out["RevisionId"] = new_revision()
    out.update(LastUpdateStatus="InProgress", LastUpdateStatusReason=CREATING_REASON, LastUpdateStatusReasonCode="Creating")
    return out


# What ListFunctions and ListVersionsByFunction leave out of a configuration: AWS lists a
# subset and documents GetFunction for these.
NOT_LISTED = ("State", "StateReason", "StateReasonCode", "LastUpdateStatus", "LastUpdateStatusReason",
              "LastUpdateStatusReasonCode", "RuntimeVersionConfig")


def listed(config: dict[str, Any]) -> dict[str, Any]:
    """`config` as the listings show it."""
    return {k: v for k, v in config.items() if k not in NOT_LISTED}


def qualified(config: dict[str, Any], qualifier: str) -> dict[str, Any]:
    """`config` (of $LATEST or a version) as named through `qualifier` ($LATEST or an alias):
    its FunctionArn carries that qualifier."""
    base = config["FunctionArn"]
    if config.get("Version", "$LATEST") != "$LATEST":
        base = base.rsplit(":", 1)[0]
    return {**config, "FunctionArn": f"{base}:{qualifier}"}


def as_pending(config: dict[str, Any]) -> dict[str, Any]:
    """A version as AWS answers it the moment it is published with an update (Publish=true):
    still being created, under the revision it had then."""
    out = {k: v for k, v in config.items() if not k.startswith("LastUpdateStatus")}
    out.update(State="Pending", StateReason=CREATING_REASON, StateReasonCode="Creating", RevisionId=new_revision())
    return out


def snapshot_version(doc: dict[str, Any], version: int, description: str | None) -> dict[str, Any]:
    config = dict(doc["config"])
    config["Version"] = str(version)
    config["FunctionArn"] = f"{config['FunctionArn']}:{version}"
    config["RevisionId"] = new_revision()
    config["LastModified"] = now_text()
    if description is not None:
        config["Description"] = description
    return {"config": config, "code": dict(doc["code"])}


def version_key(key: str, version: str) -> str:
    return f"{key}/{int(version):010d}"


# --- reads shared by the API and the invoke path ---------------------------------------
def get_function(txn: Txn, key: str, arn: str) -> dict[str, Any]:
    doc = txn.get(FUNCTIONS, key)
    if doc is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
    return doc


def changed(txn: Txn, key: str, what: str, url_ids: list[str] | None = None) -> None:
    """Announce, in this transaction, that function `key` changed (`what`: function, code,
    configuration, state, tags, version, alias, policy, concurrency, invoke-config, url,
    deleted). The only publisher of TOPIC: call it once per write."""
    data: dict[str, Any] = {"key": key, "what": what}
    if url_ids:
        data["url_ids"] = url_ids
    txn.publish(TOPIC, data)


def check_revision(current: str, given: str | None) -> None:
    """A RevisionId the caller sent must be the current one."""
    if given is not None and given != current:
        raise AwsError.modeled("lambda", "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id", Type="User")


def reserved_total(txn: Txn, account: str, region: str, exclude: str | None = None) -> int:
    total = 0
    for key, doc in txn.scan(FUNCTIONS, f"{account}/{region}/"):
        if key != exclude and doc.get("reserved") is not None:
            total += int(doc["reserved"])
    return total


MAX_ITEMS = 10000


def version_order(version: str) -> int:
    """Where a version sorts in listings: $LATEST first, then published versions by number."""
    return -1 if version == "$LATEST" else int(version)


def _bad_marker() -> AwsError:
    return AwsError.modeled("lambda", "InvalidParameterValueException", "Invalid value for Marker.", Type="User")


def page(items: Sequence[T], key: Callable[[T], paging.Sortable], listing: str, params: dict[str, Any], default: int = 50,
         *, descending: bool = False, filters: dict[str, Any] | None = None) -> tuple[list[T], str | None]:
    """One page of a listing built in memory (sorted by `key`) and the next Marker (None on
    the last page): a key token of gureum.aws.paging, never an offset."""
    return paging.page_items(items, key, listing=listing, token=params.get("Marker"), limit=params.get("MaxItems"),
                             default_limit=default, max_limit=MAX_ITEMS, descending=descending, filters=filters,
                             error=_bad_marker)


def page_rows(txn: Txn, table: str, prefix: str, params: dict[str, Any], default: int = 50, *,
              keep: Callable[[dict[str, Any]], bool] | None = None,
              filters: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a prefix range of `table`, read with a range scan from the Marker's key."""
    rows, nxt = paging.page(txn, table, prefix, token=params.get("Marker"), limit=params.get("MaxItems"), default_limit=default,
                            max_limit=MAX_ITEMS, keep=keep, filters=filters, error=_bad_marker)
    return [d for _, d in rows], nxt


# --- tags: Lambda answers every tag rule violation with InvalidParameterValueException ----
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("lambda", "InvalidParameterValueException", m, Type="User"), too_many_message="Number of tags exceeds resource tag limit.")


class FunctionTags:
    """Where a function's tags live: a {key: value} dict in its FUNCTIONS doc ("tags")."""

    def __init__(self, key: str, arn: str) -> None:
        self.key, self.arn = key, arn

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(get_function(txn, self.key, self.arn).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = get_function(txn, self.key, self.arn)
        doc["tags"] = new
        doc["config"]["RevisionId"] = new_revision()  # AWS gives a tag change a new revision too
        txn.put(FUNCTIONS, self.key, doc)
        changed(txn, self.key, "tags")


def url_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(32))
