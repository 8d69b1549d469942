"""Capacity providers (Lambda Managed Instances) and function scaling configs, answered as
AWS answers where what they need does not exist.

A capacity provider runs functions on EC2 instances Lambda launches in the caller's VPC
subnets (VpcConfig.SubnetIds, SecurityGroupIds) with an operator role. gureum serves no
EC2: no subnet exists here, so CreateCapacityProvider fails the way Lambda fails for a subnet
EC2 does not know (InvalidParameterValueException naming EC2's InvalidSubnetID.NotFound).
Hence no capacity provider ever exists: Get/Update/Delete and
ListFunctionVersionsByCapacityProvider answer ResourceNotFoundException, ListCapacityProviders
an empty list, a function naming one in CapacityProviderConfig cannot be created, and
Put/GetFunctionScalingConfig (the scaling of a function on a capacity provider) answer for
an existing function that it runs on no capacity provider. Nothing is stored.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import functions, model


def _no_subnet(subnet: str) -> AwsError:
    return AwsError.modeled("lambda", "InvalidParameterValueException",
                            f"Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. "
                            f"EC2 Error Message: The subnet ID '{subnet}' does not exist", Type="User")


def _not_found(name: str) -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", f"Capacity provider not found: {name}", Type="User")


def check_function_config(params: dict[str, Any]) -> None:
    """CreateFunction/UpdateFunctionConfiguration naming a capacity provider: none exists."""
    config = (params.get("CapacityProviderConfig") or {}).get("LambdaManagedInstancesCapacityProviderConfig") or {}
    if config.get("CapacityProviderArn"):
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               f"Capacity provider {config['CapacityProviderArn']} does not exist.", Type="User")


@operation("lambda", "CreateCapacityProvider")
async def create_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    subnets = params["VpcConfig"]["SubnetIds"]
    raise _no_subnet(subnets[0])


@operation("lambda", "GetCapacityProvider")
async def get_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(params["CapacityProviderName"])


@operation("lambda", "UpdateCapacityProvider")
async def update_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(params["CapacityProviderName"])


@operation("lambda", "DeleteCapacityProvider")
async def delete_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(params["CapacityProviderName"])


@operation("lambda", "ListCapacityProviders")
async def list_capacity_providers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    none: list[dict[str, Any]] = []  # no capacity provider can exist here (see the module docstring)
    items, nxt = model.page(none, lambda d: d["CapacityProviderArn"], f"capacity-providers/{ctx.account_id}/{ctx.region}", params)
    out: dict[str, Any] = {"CapacityProviders": items}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "ListFunctionVersionsByCapacityProvider")
async def list_function_versions_by_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise _not_found(params["CapacityProviderName"])


async def _not_on_a_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> AwsError:
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    key, arn = model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name, qualifier)
    q = None if qualifier in (None, "$LATEST.PUBLISHED") else qualifier
    await ctx.app.store.read(lambda t: functions.config_for(t, key, q, arn))  # ResourceNotFoundException first
    return AwsError.modeled("lambda", "InvalidParameterValueException",
                            f"Function scaling configuration is supported only for functions that use a capacity provider: {arn}",
                            Type="User")


@operation("lambda", "PutFunctionScalingConfig")
async def put_function_scaling_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise await _not_on_a_capacity_provider(ctx, params)


@operation("lambda", "GetFunctionScalingConfig")
async def get_function_scaling_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    raise await _not_on_a_capacity_provider(ctx, params)
