"""API Gateway (REST APIs) handlers: read the parameters, run the model in one store
transaction, shape the answer as the `apigateway` model's output shapes."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.apigateway import apis, authorizers, cache_cluster, domains, keys, models, resources, stages
from gureum.services.apigateway.slots import USAGE
from gureum.store import Txn

Doc = dict[str, Any]


def _paged(items: list[Doc], position: str | None) -> Doc:
    return {"items": items, **({"position": position} if position else {})}


def _resource_view(doc: Doc, embed: list[str] | None) -> Doc:
    out = {k: v for k, v in doc.items() if k != "methods"}
    if doc["methods"]:
        full = "methods" in (embed or [])
        out["resourceMethods"] = {m: (d if full else {}) for m, d in doc["methods"].items()}
    return out


# --- REST APIs ----------------------------------------------------------------------------

@operation("apigateway", "CreateRestApi")
async def create_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: apis.create(t, ctx.account_id, ctx.region, params, time.time()))


@operation("apigateway", "GetRestApi")
async def get_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: apis.get(t, ctx.account_id, ctx.region, params["restApiId"]))


@operation("apigateway", "GetRestApis")
async def get_rest_apis(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: apis.listing(t, ctx.account_id, ctx.region, params.get("position"),
                                                                 params.get("limit")))
    return _paged(items, nxt)


@operation("apigateway", "UpdateRestApi")
async def update_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: apis.update(t, ctx.account_id, ctx.region, params["restApiId"],
                                                         params.get("patchOperations")))


@operation("apigateway", "DeleteRestApi")
async def delete_rest_api(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: apis.delete(t, ctx.account_id, ctx.region, params["restApiId"]))
    return {}


# --- resources ----------------------------------------------------------------------------

@operation("apigateway", "CreateResource")
async def create_resource(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: resources.create_resource(
        t, ctx.account_id, ctx.region, params["restApiId"], params["parentId"], params["pathPart"]))
    return _resource_view(doc, None)


@operation("apigateway", "GetResource")
async def get_resource(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: resources.resource(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                params["resourceId"]))
    return _resource_view(doc, params.get("embed"))


@operation("apigateway", "GetResources")
async def get_resources(ctx: RequestContext, params: Doc) -> Doc:
    def read(t: Any) -> tuple[list[Doc], str | None]:
        apis.get(t, ctx.account_id, ctx.region, params["restApiId"])
        rows, nxt = apis.page(t, apis.RESOURCES, apis.scope(ctx.account_id, ctx.region, params["restApiId"]) + "/",
                              params.get("position"), params.get("limit"))
        return [d for _, d in rows], nxt

    items, nxt = await ctx.app.store.read(read)
    return _paged([_resource_view(d, params.get("embed")) for d in items], nxt)


@operation("apigateway", "UpdateResource")
async def update_resource(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: resources.update_resource(
        t, ctx.account_id, ctx.region, params["restApiId"], params["resourceId"], params.get("patchOperations")))
    return _resource_view(doc, None)


@operation("apigateway", "DeleteResource")
async def delete_resource(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: resources.delete_resource(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                params["resourceId"]))
    return {}


# --- methods and their responses ----------------------------------------------------------

def _m(params: Doc) -> tuple[str, str, str]:
    return params["restApiId"], params["resourceId"], params["httpMethod"]


@operation("apigateway", "PutMethod")
async def put_method(ctx: RequestContext, params: Doc) -> Doc:
    api, rid, _ = _m(params)
    return await ctx.app.store.run(lambda t: resources.put_method(t, ctx.account_id, ctx.region, api, rid, params))


@operation("apigateway", "GetMethod")
async def get_method(ctx: RequestContext, params: Doc) -> Doc:
    _, doc = await ctx.app.store.read(lambda t: resources.method(t, ctx.account_id, ctx.region, *_m(params)))
    return doc


@operation("apigateway", "UpdateMethod")
async def update_method(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.update_method(t, ctx.account_id, ctx.region, *_m(params),
                                                                     params.get("patchOperations")))


@operation("apigateway", "DeleteMethod")
async def delete_method(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: resources.delete_method(t, ctx.account_id, ctx.region, *_m(params)))
    return {}


@operation("apigateway", "PutMethodResponse")
async def put_method_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.put_method_response(t, ctx.account_id, ctx.region, *_m(params), params))


@operation("apigateway", "GetMethodResponse")
async def get_method_response(ctx: RequestContext, params: Doc) -> Doc:
    _, _, doc = await ctx.app.store.read(lambda t: resources.method_response(t, ctx.account_id, ctx.region, *_m(params),
                                                                             params["statusCode"]))
    return doc


@operation("apigateway", "UpdateMethodResponse")
async def update_method_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.update_method_response(
        t, ctx.account_id, ctx.region, *_m(params), params["statusCode"], params.get("patchOperations")))


@operation("apigateway", "DeleteMethodResponse")
async def delete_method_response(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: resources.delete_method_response(t, ctx.account_id, ctx.region, *_m(params),
                                                                       params["statusCode"]))
    return {}


# --- integrations -------------------------------------------------------------------------

@operation("apigateway", "PutIntegration")
async def put_integration(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.put_integration(t, ctx.account_id, ctx.region, *_m(params), params))


@operation("apigateway", "GetIntegration")
async def get_integration(ctx: RequestContext, params: Doc) -> Doc:
    _, doc = await ctx.app.store.read(lambda t: resources.integration(t, ctx.account_id, ctx.region, *_m(params)))
    return doc


@operation("apigateway", "UpdateIntegration")
async def update_integration(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.update_integration(t, ctx.account_id, ctx.region, *_m(params),
                                                                          params.get("patchOperations")))


@operation("apigateway", "DeleteIntegration")
async def delete_integration(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: resources.delete_integration(t, ctx.account_id, ctx.region, *_m(params)))
    return {}


@operation("apigateway", "PutIntegrationResponse")
async def put_integration_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.put_integration_response(t, ctx.account_id, ctx.region, *_m(params),
                                                                                params))


@operation("apigateway", "GetIntegrationResponse")
async def get_integration_response(ctx: RequestContext, params: Doc) -> Doc:
    _, _, doc = await ctx.app.store.read(lambda t: resources.integration_response(
        t, ctx.account_id, ctx.region, *_m(params), params["statusCode"]))
    return doc


@operation("apigateway", "UpdateIntegrationResponse")
async def update_integration_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: resources.update_integration_response(
        t, ctx.account_id, ctx.region, *_m(params), params["statusCode"], params.get("patchOperations")))


@operation("apigateway", "DeleteIntegrationResponse")
async def delete_integration_response(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: resources.delete_integration_response(t, ctx.account_id, ctx.region, *_m(params),
                                                                            params["statusCode"]))
    return {}


# --- deployments and stages ---------------------------------------------------------------

@operation("apigateway", "CreateDeployment")
async def create_deployment(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: stages.create_deployment(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                     params, time.time()))
    return stages.deployment_view(doc)


@operation("apigateway", "GetDeployment")
async def get_deployment(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: stages.deployment(t, ctx.account_id, ctx.region, params["restApiId"],
                                                               params["deploymentId"]))
    return stages.deployment_view(doc, params.get("embed"))


@operation("apigateway", "GetDeployments")
async def get_deployments(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: stages.list_deployments(
        t, ctx.account_id, ctx.region, params["restApiId"], params.get("position"), params.get("limit")))
    return _paged(items, nxt)


@operation("apigateway", "UpdateDeployment")
async def update_deployment(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: stages.update_deployment(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                     params["deploymentId"], params.get("patchOperations")))
    return stages.deployment_view(doc)


@operation("apigateway", "DeleteDeployment")
async def delete_deployment(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: stages.delete_deployment(t, ctx.account_id, ctx.region, params["restApiId"],
                                                               params["deploymentId"]))
    return {}


@operation("apigateway", "CreateStage")
async def create_stage(ctx: RequestContext, params: Doc) -> Doc:
    now = time.time()
    doc = await ctx.app.store.run(lambda t: stages.create_stage(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                params, now))
    return cache_cluster.view(doc, now)


@operation("apigateway", "GetStage")
async def get_stage(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: stages.stage(t, ctx.account_id, ctx.region, params["restApiId"],
                                                          params["stageName"]))
    return cache_cluster.view(doc, time.time())


@operation("apigateway", "GetStages")
async def get_stages(ctx: RequestContext, params: Doc) -> Doc:
    items = await ctx.app.store.read(lambda t: stages.list_stages(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                  params.get("deploymentId")))
    now = time.time()
    return {"item": [cache_cluster.view(d, now) for d in items]}


@operation("apigateway", "UpdateStage")
async def update_stage(ctx: RequestContext, params: Doc) -> Doc:
    now = time.time()
    doc = await ctx.app.store.run(lambda t: stages.update_stage(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                params["stageName"], params.get("patchOperations"), now))
    return cache_cluster.view(doc, now)


@operation("apigateway", "DeleteStage")
async def delete_stage(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: stages.delete_stage(t, ctx.account_id, ctx.region, params["restApiId"],
                                                          params["stageName"], time.time()))
    return {}


@operation("apigateway", "FlushStageCache")
async def flush_stage_cache(ctx: RequestContext, params: Doc) -> Doc:
    def flush(t: Txn) -> None:
        stages.stage(t, ctx.account_id, ctx.region, params["restApiId"], params["stageName"])
        cache_cluster.flush(t, params["restApiId"], params["stageName"])

    await ctx.app.store.run(flush)
    return {}


# --- models and request validators --------------------------------------------------------

@operation("apigateway", "CreateModel")
async def create_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: models.create_model(t, ctx.account_id, ctx.region, params["restApiId"], params))


@operation("apigateway", "GetModel")
async def get_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: models.model(t, ctx.account_id, ctx.region, params["restApiId"],
                                                           params["modelName"]))


@operation("apigateway", "GetModels")
async def get_models(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: models.list_models(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                       params.get("position"), params.get("limit")))
    return _paged(items, nxt)


@operation("apigateway", "GetModelTemplate")
async def get_model_template(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: models.model(t, ctx.account_id, ctx.region, params["restApiId"],
                                                          params["modelName"]))
    return {"value": models.template(doc)}


@operation("apigateway", "UpdateModel")
async def update_model(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: models.update_model(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                 params["modelName"], params.get("patchOperations")))


@operation("apigateway", "DeleteModel")
async def delete_model(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: models.delete_model(t, ctx.account_id, ctx.region, params["restApiId"],
                                                          params["modelName"]))
    return {}


@operation("apigateway", "CreateRequestValidator")
async def create_request_validator(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: models.create_validator(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                     params))


@operation("apigateway", "GetRequestValidator")
async def get_request_validator(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: models.validator(t, ctx.account_id, ctx.region, params["restApiId"],
                                                               params["requestValidatorId"]))


@operation("apigateway", "GetRequestValidators")
async def get_request_validators(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: models.list_validators(
        t, ctx.account_id, ctx.region, params["restApiId"], params.get("position"), params.get("limit")))
    return _paged(items, nxt)


@operation("apigateway", "UpdateRequestValidator")
async def update_request_validator(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: models.update_validator(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                     params["requestValidatorId"],
                                                                     params.get("patchOperations")))


@operation("apigateway", "DeleteRequestValidator")
async def delete_request_validator(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: models.delete_validator(t, ctx.account_id, ctx.region, params["restApiId"],
                                                              params["requestValidatorId"]))
    return {}


# --- tags ---------------------------------------------------------------------------------

def _tag_place(txn: Any, account: str, resource_arn: str) -> apis.TagPlace:
    """A custom domain name's (domains.py), else an API's, stage's or client certificate's."""
    return domains.tag_place(txn, account, resource_arn) or apis.tag_place(txn, account, resource_arn)


@operation("apigateway", "TagResource")
async def tag_resource(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Any) -> None:
        tags.tag(t, _tag_place(t, ctx.account_id, params["resourceArn"]), dict(params["tags"]), apis.TAG_RULES)

    await ctx.app.store.run(write)
    return {}


@operation("apigateway", "UntagResource")
async def untag_resource(ctx: RequestContext, params: Doc) -> Doc:
    def write(t: Any) -> None:
        tags.untag(t, _tag_place(t, ctx.account_id, params["resourceArn"]), params["tagKeys"], apis.TAG_RULES)

    await ctx.app.store.run(write)
    return {}


@operation("apigateway", "GetTags")
async def get_tags(ctx: RequestContext, params: Doc) -> Doc:
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, _tag_place(t, ctx.account_id, params["resourceArn"])))
    return {"tags": found}


# --- authorizers and gateway responses ----------------------------------------------------

@operation("apigateway", "CreateAuthorizer")
async def create_authorizer(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: authorizers.create_authorizer(t, ctx.account_id, ctx.region,
                                                                           params["restApiId"], params))


@operation("apigateway", "GetAuthorizer")
async def get_authorizer(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: authorizers.authorizer(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                     params["authorizerId"]))


@operation("apigateway", "GetAuthorizers")
async def get_authorizers(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: authorizers.list_authorizers(
        t, ctx.account_id, ctx.region, params["restApiId"], params.get("position"), params.get("limit")))
    return _paged(items, nxt)


@operation("apigateway", "UpdateAuthorizer")
async def update_authorizer(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: authorizers.update_authorizer(
        t, ctx.account_id, ctx.region, params["restApiId"], params["authorizerId"], params.get("patchOperations")))


@operation("apigateway", "DeleteAuthorizer")
async def delete_authorizer(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: authorizers.delete_authorizer(t, ctx.account_id, ctx.region, params["restApiId"],
                                                                    params["authorizerId"]))
    return {}


@operation("apigateway", "PutGatewayResponse")
async def put_gateway_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: authorizers.put_gateway_response(t, ctx.account_id, ctx.region,
                                                                              params["restApiId"], params))


@operation("apigateway", "GetGatewayResponse")
async def get_gateway_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: authorizers.gateway_response(t, ctx.account_id, ctx.region,
                                                                           params["restApiId"], params["responseType"]))


@operation("apigateway", "GetGatewayResponses")
async def get_gateway_responses(ctx: RequestContext, params: Doc) -> Doc:
    items = await ctx.app.store.read(lambda t: authorizers.list_gateway_responses(t, ctx.account_id, ctx.region,
                                                                                  params["restApiId"]))
    return {"items": items}


@operation("apigateway", "UpdateGatewayResponse")
async def update_gateway_response(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: authorizers.update_gateway_response(
        t, ctx.account_id, ctx.region, params["restApiId"], params["responseType"], params.get("patchOperations")))


@operation("apigateway", "DeleteGatewayResponse")
async def delete_gateway_response(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: authorizers.delete_gateway_response(t, ctx.account_id, ctx.region,
                                                                          params["restApiId"], params["responseType"]))
    return {}


# --- API keys, usage plans, usage ---------------------------------------------------------

@operation("apigateway", "CreateApiKey")
async def create_api_key(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: keys.create_key(t, ctx.account_id, ctx.region, params, time.time()))


@operation("apigateway", "GetApiKey")
async def get_api_key(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: keys.api_key(t, ctx.account_id, ctx.region, params["apiKey"]))
    return {k: v for k, v in doc.items() if params.get("includeValue") or k != "value"}


@operation("apigateway", "GetApiKeys")
async def get_api_keys(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: keys.list_keys(t, ctx.account_id, ctx.region, params))
    return _paged(items, nxt)


@operation("apigateway", "UpdateApiKey")
async def update_api_key(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: keys.update_key(t, ctx.account_id, ctx.region, params["apiKey"],
                                                             params.get("patchOperations"), time.time()))


@operation("apigateway", "DeleteApiKey")
async def delete_api_key(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: keys.delete_key(t, ctx.account_id, ctx.region, params["apiKey"]))
    return {}


@operation("apigateway", "CreateUsagePlan")
async def create_usage_plan(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: keys.create_plan(t, ctx.account_id, ctx.region, params))


@operation("apigateway", "GetUsagePlan")
async def get_usage_plan(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: keys.plan(t, ctx.account_id, ctx.region, params["usagePlanId"]))


@operation("apigateway", "GetUsagePlans")
async def get_usage_plans(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: keys.list_plans(t, ctx.account_id, ctx.region, params))
    return _paged(items, nxt)


@operation("apigateway", "UpdateUsagePlan")
async def update_usage_plan(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: keys.update_plan(t, ctx.account_id, ctx.region, params["usagePlanId"],
                                                              params.get("patchOperations")))


@operation("apigateway", "DeleteUsagePlan")
async def delete_usage_plan(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: keys.delete_plan(t, ctx.account_id, ctx.region, params["usagePlanId"]))
    return {}


@operation("apigateway", "CreateUsagePlanKey")
async def create_usage_plan_key(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: keys.create_plan_key(t, ctx.account_id, ctx.region, params["usagePlanId"],
                                                                  params["keyId"], params["keyType"]))


@operation("apigateway", "GetUsagePlanKey")
async def get_usage_plan_key(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: keys.plan_key(t, ctx.account_id, ctx.region, params["usagePlanId"],
                                                            params["keyId"]))


@operation("apigateway", "GetUsagePlanKeys")
async def get_usage_plan_keys(ctx: RequestContext, params: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: keys.list_plan_keys(t, ctx.account_id, ctx.region,
                                                                        params["usagePlanId"], params))
    return _paged(items, nxt)


@operation("apigateway", "DeleteUsagePlanKey")
async def delete_usage_plan_key(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: keys.delete_plan_key(t, ctx.account_id, ctx.region, params["usagePlanId"],
                                                           params["keyId"]))
    return {}


@operation("apigateway", "GetUsage")
async def get_usage(ctx: RequestContext, params: Doc) -> Doc:
    usage = ctx.app.parts.get(USAGE)
    if usage is not None:
        await usage.flush()  # this node's counts not yet written
    return await ctx.app.store.read(lambda t: keys.usage(t, ctx.account_id, ctx.region, params["usagePlanId"], params))
