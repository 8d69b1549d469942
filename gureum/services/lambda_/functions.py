"""Functions: creating and deleting them, $LATEST's configuration and code, layers, tags,
and the image state machine (Pending -> Active | Failed) of container-image functions.

Table lambda.functions, key <fn> = "<account>/<region>/<name>" (document layout in
model.py). Synchronous functions of a store transaction, run by api.py (and images.py)
through `app.store.run(...)`/`read(...)`. Invariants:
- every write publishes exactly one change event (model.changed), in its own transaction;
- every change of $LATEST's configuration, code, tags or state gives it a new RevisionId
  (and configuration or code a new LastModified); a RevisionId the caller sends must be the
  current one. As on AWS, CreateFunction answers the Pending configuration and the stored
  one (Active for a .zip function, in the same write) has another RevisionId; an update
  answers InProgress under a RevisionId other than the settled one's;
- $LATEST is not changed while Pending or while an update is in progress (check_updatable);
- deleting a function deletes its versions, aliases, event invoke configs and URL configs
  (and the URL ids, so the URLs stop answering); deleting a version is refused while an
  alias points at it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from gureum.aws import tags
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import layers, model, versions
from gureum.services.lambda_.runtimes import RUNTIMES, lifecycle
from gureum.services.lambda_.runtimes.lifecycle import recommended
from gureum.store import Txn

# UpdateFunctionConfiguration's members copied as they are.
UPDATABLE = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime", "DeadLetterConfig", "KMSKeyArn", "EphemeralStorage",
             "DurableConfig")


def check_runtime(runtime: str | None, handler: str | None, today: date, *, updating: bool = False) -> None:
    """A runtime a function may be created with (or, `updating`, set or kept by an update)
    on `today`: one of the catalogue, not past its block dates (runtimes/lifecycle.py)."""
    if runtime is None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Runtime is required for .zip deployment packages.", Type="User")
    rt = RUNTIMES.get(runtime)
    if rt is None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set", Type="User")
    if rt.lifecycle.create_blocked(today) if not updating else rt.lifecycle.update_blocked(today):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", deprecated_message(runtime, rt.family, today), Type="User")
    if not handler and not runtime.startswith("provided"):
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Handler is required for .zip deployment packages.", Type="User")


def deprecated_message(runtime: str, family: str, today: date) -> str:
    """AWS's words for a runtime past its block date, naming the family's newest runtime."""
    newer = recommended(family, today)
    advice = f"the new runtime ({newer})" if newer else "a supported runtime"
    return (f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. "
            f"We recommend you use {advice} while creating or updating functions.")


def attach_layers(txn: Txn, doc: dict[str, Any], arns: list[str] | None) -> None:
    """Point the function at these layer versions (None: leave as is, []: none)."""
    if arns is None:
        return
    found = layers.resolve(txn, arns, doc["config"]["FunctionArn"].split(":")[3])
    if found:
        doc["config"]["Layers"] = [{"Arn": d["LayerVersionArn"], "CodeSize": d["Content"]["CodeSize"]} for d in found]
        doc["code"]["layers"] = [d["digest"] for d in found]
    else:
        doc["config"].pop("Layers", None)
        doc["code"].pop("layers", None)


# --- reads ---------------------------------------------------------------------------------
def config_for(txn: Txn, key: str, qualifier: str | None, arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the configuration `qualifier` names: $LATEST, a version or an alias's version; the
    function document). Its FunctionArn carries the qualifier as the request named it (an
    alias's name, ":$LATEST" when asked for by name), as AWS answers."""
    doc = model.get_function(txn, key, arn)
    if qualifier is None:
        return doc["config"], doc
    if qualifier == "$LATEST":
        return model.qualified(doc["config"], qualifier), doc
    if not qualifier.isdigit():
        alias = txn.get(model.ALIASES, f"{key}/{qualifier}")
        if alias is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
        if alias["FunctionVersion"] == "$LATEST":
            return model.qualified(doc["config"], qualifier), doc
        v = versions.get_version(txn, key, alias["FunctionVersion"])
        if v is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
        return model.qualified(v["config"], qualifier), doc
    v = versions.get_version(txn, key, qualifier)
    if v is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
    return v["config"], doc


def list_configs(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """ListFunctions: one page of the functions' $LATEST configs, read with a range scan from
    the Marker's function; with FunctionVersion=ALL every version after its function (built
    in memory, gureum.aws.paging's documented fallback). (configs, next Marker)."""
    prefix = f"{account}/{region}/"
    if params.get("FunctionVersion") != "ALL":
        docs, nxt = model.page_rows(txn, model.FUNCTIONS, prefix, params)
        return [model.listed(d["config"]) for d in docs], nxt
    out = []
    for key, doc in txn.scan(model.FUNCTIONS, prefix):
        out.append(model.listed(model.qualified(doc["config"], "$LATEST")))  # named so beside its versions
        out += [model.listed(c) for c in versions.configs(txn, key)]
    return model.page(out, lambda c: (c["FunctionName"], model.version_order(c["Version"])), "lambda.functions/" + prefix,
                      params, filters={"FunctionVersion": "ALL"})


def usage(txn: Txn, account: str, region: str) -> tuple[int, int]:
    """GetAccountSettings' AccountUsage: (function count, total code size)."""
    prefix = f"{account}/{region}/"
    count = txn.count(model.FUNCTIONS, prefix)
    size = sum(int(d["config"].get("CodeSize", 0)) for _, d in txn.scan(model.FUNCTIONS, prefix)) if count < 10000 else 0
    return count, size


def state(txn: Txn, key: str, arn: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """What the invoke path caches of a function: (document, versions by number, aliases by name)."""
    doc = model.get_function(txn, key, arn)
    aliases = {k.rsplit("/", 1)[1]: v for k, v in txn.scan(model.ALIASES, key + "/")}
    return doc, versions.by_number(txn, key), aliases


def pending_images(txn: Txn) -> list[tuple[str, str, bool]]:
    """Image functions whose preparation has not finished: (key, resolved image, creating)."""
    out = []
    for key, doc in txn.scan(model.FUNCTIONS, ""):
        image = (doc.get("code") or {}).get("image")
        cfg = doc["config"]
        if image and (cfg.get("State") == "Pending" or cfg.get("LastUpdateStatus") == "InProgress"):
            out.append((key, image["resolved"], cfg.get("State") == "Pending"))
    return out


# --- writes --------------------------------------------------------------------------------
def check_updatable(config: dict[str, Any]) -> None:
    """$LATEST may change only once settled: not while Pending (an image being prepared for
    CreateFunction) nor while an update is in progress (AWS's ResourceConflictException)."""
    if config.get("State") == "Pending":
        raise AwsError.modeled("lambda", "ResourceConflictException",
                               "The operation cannot be performed at this time. The function is currently in the following state: Pending",
                               Type="User")
    if config.get("LastUpdateStatus") == "InProgress":
        raise AwsError.modeled("lambda", "ResourceConflictException",
                               f"The operation cannot be performed at this time. An update is in progress for resource: {config['FunctionArn']}",
                               Type="User")


def create(txn: Txn, key: str, doc: dict[str, Any], layer_arns: list[str] | None, publish: bool) -> dict[str, Any]:
    """CreateFunction: store the new function document; the configuration to answer with.

    `doc` comes Pending (model.new_function) and that is what CreateFunction answers. A .zip
    function is ready in this same write (its code is stored), so it is stored Active under a
    new RevisionId, as AWS's moves on once the function is ready; an image function stays
    Pending until its image is prepared (settle_image)."""
    attach_layers(txn, doc, layer_arns)
    pending = dict(doc["config"])
    if doc["config"].get("PackageType") != "Image":
        model.activate(doc["config"])
    if not txn.insert(model.FUNCTIONS, key, doc):
        raise AwsError.modeled("lambda", "ResourceConflictException", f"Function already exist: {doc['config']['FunctionName']}", Type="User")
    result: dict[str, Any] = pending
    if publish:  # AWS answers the pending $LATEST numbered as the version (its ARN unqualified)
        result = {**pending, "Version": versions.snapshot(txn, key, doc, None)["config"]["Version"]}
    model.changed(txn, key, "function")
    return result


def delete(txn: Txn, key: str, qualifier: str | None, arn: str) -> None:
    """DeleteFunction: the whole function (no qualifier) or one version. A missing function
    is named without the qualifier, as AWS names it."""
    model.get_function(txn, key, arn.rsplit(":", 1)[0] if qualifier else arn)
    url_ids: list[str] = []
    if qualifier in (None, "$LATEST"):
        if qualifier == "$LATEST":
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "$LATEST version cannot be deleted without deleting the function.", Type="User")
        txn.delete(model.FUNCTIONS, key)
        for table in (model.VERSIONS, model.ALIASES, model.EIC, model.URLS):
            for k, v in txn.scan(table, key + "/"):
                if table == model.URLS:
                    txn.delete(model.URL_IDS, v["id"])
                    url_ids.append(v["id"])
                txn.delete(table, k)
    else:
        if not qualifier.isdigit():
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Deletion of aliases is not supported by DeleteFunction; use DeleteAlias.", Type="User")
        referencing = [a["Name"] for _, a in txn.scan(model.ALIASES, key + "/") if a["FunctionVersion"] == str(int(qualifier))]
        if referencing:
            raise AwsError.modeled("lambda", "ResourceConflictException", f"Unable to delete version because the following aliases reference it: {referencing}", Type="User")
        if not txn.delete(model.VERSIONS, model.version_key(key, qualifier)):
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {arn}", Type="User")
        txn.delete(model.EIC, f"{key}/{int(qualifier)}")
        _drop_policy(txn, key, str(int(qualifier)))
    model.changed(txn, key, "deleted", url_ids)


def _drop_policy(txn: Txn, key: str, qualifier: str) -> None:
    """A deleted version's or alias's resource policy (and provisioned concurrency) goes with it."""
    doc = txn.get(model.FUNCTIONS, key)
    if doc is None:
        return
    dropped = (doc.get("policies") or {}).pop(qualifier, None) is not None
    dropped = (doc.get("provisioned") or {}).pop(qualifier, None) is not None or dropped
    if dropped:
        txn.put(model.FUNCTIONS, key, doc)


def update_code(txn: Txn, key: str, arn: str, code: dict[str, Any], revision_id: str | None,
                architectures: list[str] | None, publish: bool, today: date | None = None) -> dict[str, Any]:
    """UpdateFunctionCode of a .zip function (refused past its runtime's "block function
    update" date): the configuration to answer with ($LATEST's update in progress, or with
    `publish` the new version still being created)."""
    doc = model.get_function(txn, key, arn)
    check_updatable(doc["config"])
    model.check_revision(doc["config"]["RevisionId"], revision_id)
    config = doc["config"]
    if config.get("Runtime"):
        check_runtime(config["Runtime"], config.get("Handler"), lifecycle.today(today), updating=True)
    config.update(CodeSha256=code["sha256"], CodeSize=code["size"], LastModified=model.now_text(), RevisionId=model.new_revision())
    if architectures:
        config["Architectures"] = architectures
    doc["code"]["digest"] = code["digest"]
    txn.put(model.FUNCTIONS, key, doc)
    result: dict[str, Any] = model.as_updating(config)
    if publish:
        result = model.as_pending(versions.snapshot(txn, key, doc, None)["config"])
    model.changed(txn, key, "code")
    return result


def update_image(txn: Txn, key: str, arn: str, image: dict[str, str], revision_id: str | None,
                 architectures: list[str] | None, publish: bool) -> dict[str, Any]:
    """UpdateFunctionCode of a container-image function: the update stays InProgress until
    the image is prepared (settle_image)."""
    sha = image["digest"].split(":", 1)[1]
    doc = model.get_function(txn, key, arn)
    check_updatable(doc["config"])
    model.check_revision(doc["config"]["RevisionId"], revision_id)
    config = doc["config"]
    for f in ("LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
        config.pop(f, None)
    config.update(CodeSha256=sha, CodeSize=0, LastModified=model.now_text(), RevisionId=model.new_revision(), LastUpdateStatus="InProgress")
    if architectures:
        config["Architectures"] = architectures
    doc["code"] = {"digest": None, "image": image}
    txn.put(model.FUNCTIONS, key, doc)
    result: dict[str, Any] = model.as_updating(config)
    if publish:
        result = model.as_pending(versions.snapshot(txn, key, doc, None)["config"])
    model.changed(txn, key, "code")
    return result


def update_configuration(txn: Txn, key: str, arn: str, params: Mapping[str, Any], variables: dict[str, str] | None, today: date | None = None) -> dict[str, Any]:
    """UpdateFunctionConfiguration (`params` as the operation takes them, `variables` the
    checked environment or None to keep it; `today` the date runtime dates are compared
    with, None for the real one): $LATEST's new configuration."""
    today = lifecycle.today(today)
    doc = model.get_function(txn, key, arn)
    config: dict[str, Any] = doc["config"]
    check_updatable(config)
    model.check_revision(config["RevisionId"], params.get("RevisionId"))
    before = config.get("Runtime")
    for name in UPDATABLE:
        if params.get(name) is not None:
            config[name] = params[name]
    if config.get("PackageType") != "Image" and before is not None and params.get("Runtime") in (None, before):
        check_runtime(before, config.get("Handler"), today, updating=True)  # the function's own runtime: past "block update"?
    elif "Runtime" in params or "Handler" in params:
        check_runtime(config.get("Runtime"), config.get("Handler"), today)  # a new runtime: as if creating
    if variables is not None:
        config["Environment"] = {"Variables": variables}
    if params.get("ImageConfig") is not None:
        if config.get("PackageType") != "Image":
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "ImageConfig is not supported for .zip deployment packages.", Type="User")
        config["ImageConfigResponse"] = {"ImageConfig": dict(params["ImageConfig"])}
    if params.get("TracingConfig") is not None:
        config["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode", "PassThrough")}
    attach_layers(txn, doc, params.get("Layers"))
    if params.get("LoggingConfig") is not None:
        config["LoggingConfig"] = {**config.get("LoggingConfig", {}), **params["LoggingConfig"]}
    config["LastModified"] = model.now_text()
    config["RevisionId"] = model.new_revision()
    txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "configuration")
    return config


def tag(txn: Txn, key: str, arn: str, new: Mapping[str, str]) -> None:
    """TagResource (AWS's tag rules: gureum.aws.tags)."""
    tags.tag(txn, model.FunctionTags(key, arn), dict(new), model.TAG_RULES)


def untag(txn: Txn, key: str, arn: str, tag_keys: list[str]) -> None:
    """UntagResource."""
    tags.untag(txn, model.FunctionTags(key, arn), tag_keys, model.TAG_RULES)


def list_tags(txn: Txn, key: str, arn: str) -> dict[str, str]:
    """ListTags."""
    return tags.list_tags(txn, model.FunctionTags(key, arn))


def settle_image(txn: Txn, key: str, resolved: str, failure: tuple[str, str] | None, creating: bool) -> bool:
    """The image `resolved` was prepared (failure None) or not ((code, reason)): move $LATEST
    and the versions waiting for it to Active/Successful or Failed. True if any changed."""
    docs: list[tuple[str, str, dict[str, Any]]] = []
    doc = txn.get(model.FUNCTIONS, key)
    if doc is not None:
        docs.append((model.FUNCTIONS, key, doc))
    docs += [(model.VERSIONS, k, v) for k, v in txn.scan(model.VERSIONS, key + "/")]
    changed = False
    for table, k, d in docs:
        if (d.get("code") or {}).get("image", {}).get("resolved") != resolved:
            continue
        cfg = d["config"]
        pending_state = cfg.get("State") == "Pending"
        pending_update = cfg.get("LastUpdateStatus") == "InProgress"
        if not (pending_state or pending_update):
            continue
        for f in ("StateReason", "StateReasonCode", "LastUpdateStatusReason", "LastUpdateStatusReasonCode"):
            cfg.pop(f, None)
        cfg["RevisionId"] = model.new_revision()  # AWS gives every state change a new revision
        if failure is None:
            cfg["State"] = "Active"
            cfg["LastUpdateStatus"] = "Successful"
        else:
            code, reason = failure
            if pending_state or creating:
                cfg.update(State="Failed", StateReasonCode=code, StateReason=reason)
            cfg.update(LastUpdateStatus="Failed", LastUpdateStatusReasonCode=code, LastUpdateStatusReason=reason)
        txn.put(table, k, d)
        changed = True
    if changed:
        model.changed(txn, key, "state")
    return changed
