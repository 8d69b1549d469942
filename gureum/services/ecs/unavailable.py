"""ECS operations of features AWS added in its newest API versions that gureum does not offer:
ECS daemons (CreateDaemon, RegisterDaemonTaskDefinition...), ECS gateways and Express Gateway
services. Each answers as AWS does where a feature is not available (UnsupportedFeatureException,
HTTP 400) rather than 501, after the request passed the model's validation, so a client learns
the feature is missing here, not that the call is malformed. The list is the one issue 25's
closing note names; an operation leaves it when it gets a real implementation."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError

DAEMONS = (
    "CreateDaemon", "DeleteDaemon", "DescribeDaemon", "UpdateDaemon", "ListDaemons",
    "DescribeDaemonDeployments", "ListDaemonDeployments", "DescribeDaemonRevisions",
    "RegisterDaemonTaskDefinition", "DescribeDaemonTaskDefinition", "DeleteDaemonTaskDefinition", "ListDaemonTaskDefinitions",
)
GATEWAYS = (
    "CreateGateway", "DeleteGateway", "DescribeGateway", "UpdateGateway", "ListGateways",
    "DescribeGatewayResources", "DescribeGatewayRoute", "ListGatewayRoutes",
    "AssociateGatewayWithCluster", "DisassociateGatewayFromCluster", "ListGatewayClusterAssociations",
    "CreateExpressGatewayService", "DeleteExpressGatewayService", "DescribeExpressGatewayService", "UpdateExpressGatewayService",
)
UNAVAILABLE = DAEMONS + GATEWAYS


def _handler(name: str) -> Handler:
    async def unavailable(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raise AwsError.modeled("ecs", "UnsupportedFeatureException", f"{name} is not supported in this Region.")

    return unavailable


for _name in UNAVAILABLE:
    operation("ecs", _name)(_handler(_name))
