"""API Gateway handlers for client certificates (client_certs.py), ImportApiKeys
(key_import.py), TestInvokeAuthorizer (authorizer_test.py), documentation parts and versions
(documentation.py), SDK generation (sdk.py): read the parameters, run the model in one store
transaction, shape the answer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.apigateway import apis, authorizer_test, client_certs, documentation, key_import, sdk, stages
from gureum.store import Txn

Doc = dict[str, Any]


@operation("apigateway", "GenerateClientCertificate")
async def generate_client_certificate(ctx: RequestContext, params: Doc) -> Doc:
    now = time.time()
    issued = await asyncio.to_thread(client_certs.issue, now)  # an RSA key: not on the event loop
    return await ctx.app.store.run(lambda t: client_certs.generate(t, ctx.account_id, ctx.region, params, issued, now))


@operation("apigateway", "GetClientCertificate")
async def get_client_certificate(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: client_certs.get(t, ctx.account_id, ctx.region,
                                                               params["clientCertificateId"]))


@operation("apigateway", "GetClientCertificates")
async def get_client_certificates(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: client_certs.listing(t, ctx.account_id, ctx.region,
                                                                         params.get("position"), params.get("limit")))
    return {"items": items, **({"position": nxt} if nxt else {})}


@operation("apigateway", "UpdateClientCertificate")
async def update_client_certificate(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: client_certs.update(t, ctx.account_id, ctx.region, params["clientCertificateId"],
                                                                 params.get("patchOperations")))


@operation("apigateway", "DeleteClientCertificate")
async def delete_client_certificate(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: client_certs.delete(t, ctx.account_id, ctx.region, params["clientCertificateId"]))
    return {}


@operation("apigateway", "ImportApiKeys")
async def import_api_keys(ctx: RequestContext, params: Doc) -> Doc:
    body = params.get("body") or b""
    imported, warnings = await ctx.app.store.run(lambda t: key_import.import_keys(
        t, ctx.account_id, ctx.region, body if isinstance(body, bytes) else str(body).encode(),
        bool(params.get("failOnWarnings")), time.time()))
    return {"ids": imported, **({"warnings": warnings} if warnings else {})}


@operation("apigateway", "TestInvokeAuthorizer")
async def test_invoke_authorizer(ctx: RequestContext, params: Doc) -> Doc:
    return await authorizer_test.run(ctx.app, ctx.account_id, ctx.region, params["restApiId"], params["authorizerId"], params)


# --- documentation parts and versions -----------------------------------------------------

@operation("apigateway", "CreateDocumentationPart")
async def create_documentation_part(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: documentation.create_part(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                      params))


@operation("apigateway", "GetDocumentationPart")
async def get_documentation_part(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: documentation.part(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                params["documentationPartId"]))


@operation("apigateway", "GetDocumentationParts")
async def get_documentation_parts(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: documentation.list_parts(t, ctx.account_id, ctx.region,
                                                                            params["restApiId"], params))
    return {"items": items, **({"position": nxt} if nxt else {})}


@operation("apigateway", "UpdateDocumentationPart")
async def update_documentation_part(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: documentation.update_part(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                      params["documentationPartId"],
                                                                      params.get("patchOperations")))


@operation("apigateway", "DeleteDocumentationPart")
async def delete_documentation_part(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: documentation.delete_part(t, ctx.account_id, ctx.region, params["restApiId"],
                                                               params["documentationPartId"]))
    return {}


@operation("apigateway", "ImportDocumentationParts")
async def import_documentation_parts(ctx: RequestContext, params: Doc) -> Doc:
    body = params.get("body") or b""
    written, warnings = await ctx.app.store.run(lambda t: documentation.import_parts(
        t, ctx.account_id, ctx.region, params["restApiId"], body if isinstance(body, bytes) else str(body).encode(),
        params.get("mode") or "merge", bool(params.get("failOnWarnings"))))
    return {"ids": written, **({"warnings": warnings} if warnings else {})}


@operation("apigateway", "CreateDocumentationVersion")
async def create_documentation_version(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: documentation.create_version(t, ctx.account_id, ctx.region,
                                                                         params["restApiId"], params, time.time()))


@operation("apigateway", "GetDocumentationVersion")
async def get_documentation_version(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: documentation.get_version(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                       params["documentationVersion"]))


@operation("apigateway", "GetDocumentationVersions")
async def get_documentation_versions(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: documentation.list_versions(
        t, ctx.account_id, ctx.region, params["restApiId"], params.get("position"), params.get("limit")))
    return {"items": items, **({"position": nxt} if nxt else {})}


@operation("apigateway", "UpdateDocumentationVersion")
async def update_documentation_version(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: documentation.update_version(
        t, ctx.account_id, ctx.region, params["restApiId"], params["documentationVersion"], params.get("patchOperations")))


@operation("apigateway", "DeleteDocumentationVersion")
async def delete_documentation_version(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: documentation.delete_version(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                  params["documentationVersion"]))
    return {}


# --- SDK generation -----------------------------------------------------------------------

@operation("apigateway", "GetSdkTypes")
async def get_sdk_types(ctx: RequestContext, params: Doc) -> Doc:
    return {"items": list(sdk.SDK_TYPES.values())}


@operation("apigateway", "GetSdkType")
async def get_sdk_type(ctx: RequestContext, params: Doc) -> Doc:
    return sdk.sdk_type(params["id"])


@operation("apigateway", "GetSdk")
async def get_sdk(ctx: RequestContext, params: Doc) -> Doc:
    api_id, stage_name, kind = params["restApiId"], params["stageName"], params["sdkType"]

    def read(t: Txn) -> tuple[Doc, Doc]:
        api = apis.get(t, ctx.account_id, ctx.region, api_id)
        stage = stages.stage(t, ctx.account_id, ctx.region, api_id, stage_name)
        return api, stages.deployment(t, ctx.account_id, ctx.region, api_id, stage["deploymentId"])

    api, dep = await ctx.app.store.read(read)
    sdk.sdk_type(kind)
    if kind != "javascript":
        raise AwsError.common("NotImplemented", f"gureum does not generate {kind} SDKs yet (javascript only)")
    invoke_url = public_url(ctx.app, ctx.request, f"/_aws/execute-api/{api_id}/{stage_name}")
    body = sdk.javascript(api, stage_name, dep["snapshot"], invoke_url, ctx.region)
    return {"contentType": "application/octet-stream", "body": body,
            "contentDisposition": f'attachment; filename="javascript_{int(time.time())}.zip"'}
