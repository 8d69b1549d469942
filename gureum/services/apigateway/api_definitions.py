"""API Gateway handlers for definitions and test calls: ImportRestApi, PutRestApi and GetExport
(openapi.py), TestInvokeMethod (the method as it is now, not as deployed, run through the
data plane's integration without authorization, as AWS's console test does); custom domain
names (domains.py); account settings (table apigw_account: "{account}/{region}" ->
{"cloudwatchRoleArn"}) and the authorizer cache flush."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigateway import apis, documentation, domains, openapi, patch, stages, truststore
from gureum.services.apigateway.apis import ACCOUNT
from gureum.services.apigateway.directory import Served
from gureum.services.apigateway.errors import bad_request, not_found
from gureum.services.apigateway.gateway import integrate
from gureum.services.apigateway.integrations import Failure
from gureum.services.apigateway.proxy import Call
from gureum.services.apigateway.router import Match, Tree
from gureum.services.apigateway.slots import ACCESS
from gureum.store import Txn

Doc = dict[str, Any]


@operation("apigateway", "ImportRestApi")
async def import_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    definition = openapi.parse(params["body"])

    def write(t: Txn) -> Doc:
        title = str((definition.get("info") or {}).get("title") or "")
        if not title:
            raise bad_request("Invalid OpenAPI input: info.title is required")
        api = apis.create(t, ctx.account_id, ctx.region, {"name": title}, time.time())
        return openapi.write(t, ctx.account_id, ctx.region, api["id"], definition, "overwrite")

    return await ctx.app.store.run(write)


@operation("apigateway", "PutRestApi")
async def put_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    definition = openapi.parse(params["body"])
    mode = params.get("mode") or "merge"
    if mode not in ("merge", "overwrite"):
        raise bad_request(f"Invalid mode specified: {mode}. Valid options are merge, overwrite")
    return await ctx.app.store.run(lambda t: openapi.write(t, ctx.account_id, ctx.region, params["restApiId"],
                                                           definition, mode))


@operation("apigateway", "GetExport")
async def get_export(ctx: RequestContext, params: Doc) -> Doc:
    kind = params["exportType"]
    if kind not in ("oas30", "swagger"):
        raise bad_request(f"Invalid export type specified: {kind}. Valid options are oas30, swagger")
    extensions = {e.strip() for e in str((params.get("parameters") or {}).get("extensions") or "").split(",") if e.strip()}

    def read(t: Txn) -> tuple[Doc, Doc, Doc, tuple[str | None, list[Doc]]]:
        api = apis.get(t, ctx.account_id, ctx.region, params["restApiId"])
        stage = stages.stage(t, ctx.account_id, ctx.region, params["restApiId"], params["stageName"])
        dep = stages.deployment(t, ctx.account_id, ctx.region, params["restApiId"], stage["deploymentId"])
        return api, stage, dep, documentation.for_export(t, ctx.account_id, ctx.region, params["restApiId"], stage)

    api, stage, dep, (doc_version, doc_parts) = await ctx.app.store.read(read)
    host = f"{api['id']}.execute-api.{ctx.region}.amazonaws.com"
    doc = openapi.export(api, stage, dep["snapshot"], kind, extensions, host)
    if "documentation" in extensions:
        doc = documentation.annotate(doc, doc_parts, doc_version, kind == "oas30")
    body, content_type = openapi.dump(doc, params.get("accepts"))
    suffix = "yaml" if content_type == "application/yaml" else "json"
    return {"body": body, "contentType": content_type,
            "contentDisposition": f'attachment; filename="{kind}_{int(time.time())}.{suffix}"'}


@operation("apigateway", "TestInvokeMethod")
async def test_invoke_method(ctx: RequestContext, params: Doc) -> Doc:
    api_id, resource_id, verb = params["restApiId"], params["resourceId"], params["httpMethod"].upper()

    def read(t: Txn) -> tuple[Doc, Doc]:
        api = apis.get(t, ctx.account_id, ctx.region, api_id)
        resources = [d for _, d in t.scan(apis.RESOURCES, apis.scope(ctx.account_id, ctx.region, api_id) + "/")]
        return api, stages.snapshot_of(t, ctx.account_id, ctx.region, api_id, api, resources)

    api, snapshot = await ctx.app.store.read(read)
    resource = next((r for r in snapshot["resources"] if r["id"] == resource_id), None)
    if resource is None:
        raise not_found("Invalid Resource identifier specified")
    method = resource["methods"].get(verb)
    if method is None:
        raise not_found("Invalid Method identifier specified")
    if "methodIntegration" not in method:
        raise bad_request("No integration defined for method")
    path_query = params.get("pathWithQueryString") or resource["path"]
    path, _, query = path_query.partition("?")
    tree = Tree(snapshot["resources"])
    found = tree.match(path, verb)
    match = found if found is not None and found.resource["id"] == resource_id else Match(resource, method, {})
    variables = dict(params.get("stageVariables") or {})
    served = Served(ctx.account_id, ctx.region, api, {"stageName": "test-invoke-stage", "variables": variables},
                    {"id": "test-invoke-deployment-id", "snapshot": snapshot}, tree)
    headers = [(k, v) for k, v in (params.get("headers") or {}).items()]
    headers += [(k, v) for k, vs in (params.get("multiValueHeaders") or {}).items() for v in vs]
    request_id = str(uuid.uuid4())
    call = Call(account=ctx.account_id, region=ctx.region, api_id=api_id, stage="test-invoke-stage",
                deployment_id="test-invoke-deployment-id", http_method=verb, path=path, resource_id=resource_id,
                resource_path=resource["path"], headers=headers, query=parse_qsl(query, keep_blank_values=True),
                path_parameters=match.path_parameters, stage_variables=variables,
                body=(params.get("body") or "").encode(), source_ip="test-invoke-source-ip",
                domain_name="testPrefix.testDomainName", request_id=request_id, extended_request_id=request_id,
                binary_media_types=list(api.get("binaryMediaTypes") or []))
    started = time.monotonic()
    log = [f"Execution log for request {request_id}", f"Method request path: {json.dumps(match.path_parameters)}",
           f"Method request query string: {json.dumps(dict(call.query))}"]
    try:
        response = await integrate(ctx.app, served, match, call)
        status, out_headers = response.status, response.headers
        body = response.body if isinstance(response.body, bytes) else b""
        log.append(f"Method completed with status: {status}")
    except Failure as f:
        status, out_headers, body = f.status, [("Content-Type", "application/json")], json.dumps({f.message_key: f.message or None}).encode()
        log.append(f"Execution failed: {f.message}")
        log.append(f"Method completed with status: {status}")
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in out_headers:
        single[k] = v
        multi.setdefault(k, []).append(v)
    return {"status": status, "body": body.decode("utf-8", errors="replace"), "headers": single,
            "multiValueHeaders": multi, "log": "\n".join(log), "latency": int((time.monotonic() - started) * 1000)}


# --- custom domain names and base path mappings -------------------------------------------

@operation("apigateway", "CreateDomainName")
async def create_domain_name(ctx: RequestContext, params: Doc) -> Doc:
    mtls = params.get("mutualTlsAuthentication") or {}
    store = (await truststore.load(ctx.app, ctx.account_id, str(mtls["truststoreUri"]), mtls.get("truststoreVersion"))
             if mtls.get("truststoreUri") else None)
    return await ctx.app.store.run(lambda t: domains.create_domain(t, ctx.account_id, ctx.region, params, store))


@operation("apigateway", "GetDomainName")
async def get_domain_name(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: domains.domain(t, ctx.account_id, ctx.region, params["domainName"]))
    return {k: v for k, v in doc.items() if k not in ("account", "region") and not k.startswith("_")}


@operation("apigateway", "GetDomainNames")
async def get_domain_names(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: domains.list_domains(t, ctx.account_id, ctx.region, params))
    return {"items": items, **({"position": nxt} if nxt else {})}


_MTLS = "/mutualTlsAuthentication/"


@operation("apigateway", "UpdateDomainName")
async def update_domain_name(ctx: RequestContext, params: Doc) -> Doc:
    ops = list(params.get("patchOperations") or [])
    mtls_ops = [o for o in ops if str(o.get("path") or "").startswith(_MTLS)]
    store = None
    if mtls_ops:  # /mutualTlsAuthentication/truststoreUri|truststoreVersion: the truststore read again
        current = await ctx.app.store.read(lambda t: domains.domain(t, ctx.account_id, ctx.region, params["domainName"]))
        fields = dict(current.get("mutualTlsAuthentication") or {})
        for o in mtls_ops:
            field = str(o["path"])[len(_MTLS):]
            if field not in ("truststoreUri", "truststoreVersion") or o.get("op") not in ("replace", "add", "remove"):
                raise bad_request(f"Invalid patch path {o['path']}")
            if o.get("op") == "remove" or not o.get("value"):
                fields.pop(field, None)
            else:
                fields[field] = o["value"]
        if fields.get("truststoreUri"):
            store = await truststore.load(ctx.app, ctx.account_id, str(fields["truststoreUri"]),
                                          fields.get("truststoreVersion"))
    rest = [o for o in ops if o not in mtls_ops]
    return await ctx.app.store.run(lambda t: domains.update_domain(t, ctx.account_id, ctx.region, params["domainName"],
                                                                   rest, (bool(mtls_ops), store)))


@operation("apigateway", "DeleteDomainName")
async def delete_domain_name(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: domains.delete_domain(t, ctx.account_id, ctx.region, params["domainName"]))
    return {}


@operation("apigateway", "CreateBasePathMapping")
async def create_base_path_mapping(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: domains.create_mapping(t, ctx.account_id, ctx.region, params["domainName"],
                                                                    params))


@operation("apigateway", "GetBasePathMapping")
async def get_base_path_mapping(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: domains.mapping(t, ctx.account_id, ctx.region, params["domainName"],
                                                              params["basePath"]))


@operation("apigateway", "GetBasePathMappings")
async def get_base_path_mappings(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: domains.list_mappings(t, ctx.account_id, ctx.region,
                                                                          params["domainName"], params))
    return {"items": items, **({"position": nxt} if nxt else {})}


@operation("apigateway", "UpdateBasePathMapping")
async def update_base_path_mapping(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: domains.update_mapping(t, ctx.account_id, ctx.region, params["domainName"],
                                                                    params["basePath"], params.get("patchOperations")))


@operation("apigateway", "DeleteBasePathMapping")
async def delete_base_path_mapping(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: domains.delete_mapping(t, ctx.account_id, ctx.region, params["domainName"],
                                                             params["basePath"]))
    return {}


# --- account settings, authorizer cache ---------------------------------------------------

def _account_view(doc: Doc | None) -> Doc:
    out: Doc = {"throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0}, "features": ["UsagePlans"],
                "apiKeyVersion": "4"}
    if doc and doc.get("cloudwatchRoleArn"):
        out["cloudwatchRoleArn"] = doc["cloudwatchRoleArn"]
    return out


@operation("apigateway", "GetAccount")
async def get_account(ctx: RequestContext, params: Doc) -> Doc:
    return _account_view(await ctx.app.store.read(lambda t: t.get(ACCOUNT, f"{ctx.account_id}/{ctx.region}")))


@operation("apigateway", "UpdateAccount")
async def update_account(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Txn) -> Doc:
        key = f"{ctx.account_id}/{ctx.region}"
        doc = patch.apply(t.get(ACCOUNT, key) or {}, params.get("patchOperations"),
                          patch.Fields(scalars={"cloudwatchRoleArn": patch.as_str}))
        role = doc.get("cloudwatchRoleArn")
        if role and arns.service_of(str(role)) != "iam":
            raise bad_request("The role ARN is not well formed")
        t.put(ACCOUNT, key, doc)
        return _account_view(doc)

    return await ctx.app.store.run(write)


@operation("apigateway", "FlushStageAuthorizersCache")
async def flush_stage_authorizers_cache(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.read(lambda t: stages.stage(t, ctx.account_id, ctx.region, params["restApiId"], params["stageName"]))
    access = ctx.app.parts.get(ACCESS)
    if access is not None:
        access.flush_authorizer_cache(params["restApiId"])
    return {}
