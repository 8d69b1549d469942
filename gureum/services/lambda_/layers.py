"""Lambda layers: immutable, numbered zip versions that functions mount under /opt.

Store tables: lambda.layers "<acct>/<region>/<layer>" -> {next_version};
lambda.layer_versions "<acct>/<region>/<layer>/<version:010d>" -> the version document
(with the zip's blob digest; its permissions in "policy", layer_policy.py). A function's
Layers (up to 5, in order) are extracted once per ordered combination into one directory
(later layers win), mounted read-only at /opt. Another account's layer version is read
(GetLayerVersion, GetLayerVersionByArn, a function's Layers) only where the authorization
gate let the request through: on a grant in that version's policy.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.arn import BadArn, lambda_layer, lambda_layer_version, looks_like_arn, try_parse
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import code_urls, model
from gureum.services.lambda_.code import code_bytes, store_code

LAYERS = "lambda.layers"
VERSIONS = "lambda.layer_versions"


def layer_arn(account: str, region: str, name: str) -> str:
    return lambda_layer(region, account, name)


def _vkey(account: str, region: str, name: str, version: int) -> str:
    return f"{account}/{region}/{name}/{int(version):010d}"


def version_key(account: str, region: str, name: str, version: int) -> str:
    """The lambda.layer_versions key of one layer version."""
    return _vkey(account, region, name, version)


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("digest", "policy", "policy_revision")}


def resolve(txn: model.Txn, arns: list[str], region: str | None = None) -> list[dict[str, Any]]:
    """The layer version documents for a function's Layers, in order; AWS's errors (at most
    5, in the function's `region`, one version per layer, each existing)."""
    if len(arns) > 5:
        raise AwsError.modeled(
            "lambda", "InvalidParameterValueException", "Cannot reference more than 5 layers.", Type="User"
        )
    refs: list[tuple[str, Any]] = []
    for arn in arns:
        try:
            refs.append((arn, lambda_layer_version(arn)))
        except BadArn:
            refs.append((arn, None))
    if region is not None and any(m is not None and m.region != region for _, m in refs):
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               f"Layers are not in the same region as the function. Layers are expected to be in region {region}.",
                               Type="User")
    first: dict[tuple[str, str, str], str] = {}
    for arn, m in refs:
        if m is None:
            continue
        same = first.get((m.account, m.region, m.name))
        first.setdefault((m.account, m.region, m.name), arn)
        if same is not None:  # a second reference to one layer, even to the same version
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   "Two different versions of the same layer are not allowed to be referenced in the same function. "
                                   f"{same} and {arn} are versions of the same layer.", Type="User")
    out = []
    for arn, m in refs:
        doc = txn.get(VERSIONS, _vkey(m.account, m.region, m.name, m.version)) if m else None
        if doc is None:
            raise AwsError.modeled(
                "lambda", "InvalidParameterValueException", f"Layer version {arn} does not exist.", Type="User"
            )
        out.append(doc)
    return out


def _name(ctx: RequestContext, value: str) -> str:
    if looks_like_arn(value):
        a = try_parse(value)
        kind, _, rest = a.resource.partition(":") if a is not None else ("", "", "")
        if a is None or not kind or not rest or a.account != ctx.account_id:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Layer not found: {value}", Type="User")
        return rest.split(":")[0]
    return value


@operation("lambda", "PublishLayerVersion")
async def publish_layer_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _name(ctx, params["LayerName"])
    code = await store_code(ctx, await code_bytes(ctx, params.get("Content")))
    key = f"{ctx.account_id}/{ctx.region}/{name}"

    def publish(txn: model.Txn) -> dict[str, Any]:
        head = txn.get(LAYERS, key) or {"next_version": 1}
        version = int(head["next_version"])
        head["next_version"] = version + 1
        txn.put(LAYERS, key, head)
        arn = layer_arn(ctx.account_id, ctx.region, name)
        doc = {
            "Content": {"Location": "", "CodeSha256": code["sha256"], "CodeSize": code["size"]},
            "LayerArn": arn,
            "LayerVersionArn": lambda_layer(ctx.region, ctx.account_id, name, version),
            "Description": params.get("Description", ""),
            "CreatedDate": model.now_text(),
            "Version": version,
            "digest": code["digest"],
        }
        for field in ("CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures"):
            if params.get(field):
                doc[field] = params[field]
        txn.put(VERSIONS, _vkey(ctx.account_id, ctx.region, name, version), doc)
        return doc

    return await _located(ctx, await ctx.app.store.run(publish))


def _check_version(version: int) -> None:
    if version < 1:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", "Layer Version Cannot be less than 1", Type="User")


async def _located(ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
    """A layer version as the API shows it, with its code's download URL."""
    view = _view(doc)
    view["Content"] = dict(view["Content"], Location=await code_urls.location(ctx.app, doc["digest"]))
    return view


async def _get(ctx: RequestContext, name: str, version: int, account: str | None = None) -> dict[str, Any]:
    _check_version(version)
    owner = account or ctx.account_id
    doc = await ctx.app.store.read(lambda t: t.get(VERSIONS, _vkey(owner, ctx.region, name, version)))
    if doc is None:
        raise AwsError.modeled(
            "lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User"
        )
    return await _located(ctx, doc)


@operation("lambda", "GetLayerVersion")
async def get_layer_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    value = params["LayerName"]
    a = try_parse(value) if looks_like_arn(value) else None
    if a is not None and a.account != ctx.account_id and a.region == ctx.region and a.resource.startswith("layer:"):
        # another account's layer: the gate let this through on a grant in its policy
        return await _get(ctx, a.resource.split(":")[1], params["VersionNumber"], a.account)
    return await _get(ctx, _name(ctx, value), params["VersionNumber"])


@operation("lambda", "GetLayerVersionByArn")
async def get_layer_version_by_arn(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        m = lambda_layer_version(params["Arn"])
    except BadArn:
        m = None
    if m is None or m.region != ctx.region:
        raise AwsError.modeled(
            "lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User"
        )
    return await _get(ctx, m.name, m.version, m.account)  # another account's: only through its policy (the gate)


def _matches(doc: dict[str, Any], params: dict[str, Any]) -> bool:
    rt, arch = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
    return (not rt or rt in doc.get("CompatibleRuntimes", [])) and (not arch or arch in doc.get("CompatibleArchitectures", []))


def _list_item(doc: dict[str, Any]) -> dict[str, Any]:
    keep = ("LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleRuntimes", "LicenseInfo", "CompatibleArchitectures")
    return {k: doc[k] for k in keep if k in doc}


@operation("lambda", "ListLayerVersions")
async def list_layer_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _name(ctx, params["LayerName"])
    prefix = f"{ctx.account_id}/{ctx.region}/{name}/"
    rows = await ctx.app.store.read(lambda t: t.scan(VERSIONS, prefix, reverse=True))
    items = [_list_item(d) for _, d in rows if _matches(d, params)]
    # newest first (a reverse scan), so the page key runs high to low
    page, nxt = model.page(items, lambda d: int(d["Version"]), "lambda.layer-versions/" + prefix, params, descending=True,
                           filters={"CompatibleRuntime": params.get("CompatibleRuntime"), "CompatibleArchitecture": params.get("CompatibleArchitecture")})
    out: dict[str, Any] = {"LayerVersions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "ListLayers")
async def list_layers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = f"{ctx.account_id}/{ctx.region}/"

    def read(txn: model.Txn) -> list[dict[str, Any]]:
        latest: dict[str, dict[str, Any]] = {}
        for key, doc in txn.scan(VERSIONS, prefix):
            name = key[len(prefix) :].rsplit("/", 1)[0]
            if _matches(doc, params):
                latest[name] = doc  # keys ascend by version: the last one wins
        return [{"LayerName": n, "LayerArn": d["LayerArn"], "LatestMatchingVersion": _list_item(d)} for n, d in sorted(latest.items())]

    page, nxt = model.page(await ctx.app.store.read(read), lambda d: d["LayerName"], "lambda.layers/" + prefix, params,
                           filters={"CompatibleRuntime": params.get("CompatibleRuntime"), "CompatibleArchitecture": params.get("CompatibleArchitecture")})
    out: dict[str, Any] = {"Layers": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "DeleteLayerVersion")
async def delete_layer_version(ctx: RequestContext, params: dict[str, Any]) -> None:
    name = _name(ctx, params["LayerName"])
    _check_version(params["VersionNumber"])  # a missing version is no error: AWS answers 204
    await ctx.app.store.run(lambda t: t.delete(VERSIONS, _vkey(ctx.account_id, ctx.region, name, params["VersionNumber"])))
