"""ECR and ECS resource types: AWS::ECR::Repository, AWS::ECS::Cluster,
AWS::ECS::TaskDefinition (every change a new revision: replacement, as AWS does),
AWS::ECS::Service. CloudFormation spells ECS's properties in PascalCase; the API takes them in
camelCase (`_camel`), free-form maps (log options, labels) kept as written."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    policy_text,
    provider,
    updating,
)

FREE_FORM = ("Options", "DockerLabels", "Labels", "DriverOpts", "SecretOptions_", "Attributes_")
INTEGERS = {"cpu", "memory", "memoryReservation", "containerPort", "hostPort", "startPeriod", "interval", "timeout",
            "retries", "startTimeout", "stopTimeout", "desiredCount", "weight", "base", "maximumPercent",
            "minimumHealthyPercent", "healthCheckGracePeriodSeconds", "softLimit", "hardLimit", "sizeInGiB",
            "maxSwap", "swappiness", "sharedMemorySize", "value_"}
BOOLEANS = {"essential", "readonlyRootFilesystem", "privileged", "disableNetworking", "interactive", "pseudoTerminal",
            "readOnly", "enable", "rollback", "enableECSManagedTags", "enableExecuteCommand", "initProcessEnabled"}


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            key = k[:1].lower() + k[1:]
            if k in FREE_FORM:
                out[key] = v
                continue
            v = _camel(v)
            if key in INTEGERS and isinstance(v, str) and v.lstrip("-").isdigit():
                v = int(v)
            elif key in BOOLEANS and isinstance(v, str):
                v = v.lower() == "true"
            out[key] = v
        return out
    if isinstance(value, list):
        return [_camel(v) for v in value]
    return value


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": t["Value"]} for t in ctx.tag_list(props)]


@provider("AWS::ECR::Repository")
async def create_repository(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("RepositoryName") or ctx.name(256, lower=True)
    params: dict[str, Any] = {"repositoryName": name}
    for k in ("ImageTagMutability", "ImageScanningConfiguration", "EncryptionConfiguration"):
        if k in props:
            params[k[:1].lower() + k[1:]] = _camel(props[k])
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in ctx.tag_list(props)]
    if tags:
        params["tags"] = tags
    repo = (await ctx.call("ecr", "CreateRepository", params))["repository"]
    done = Done(name, {"Arn": repo["repositoryArn"], "RepositoryUri": repo["repositoryUri"]})
    try:
        await _repository_policies(ctx, name, {}, props)
    except AwsError:
        await ctx.call("ecr", "DeleteRepository", {"repositoryName": name, "force": True})
        raise
    return done


async def _repository_policies(ctx: ResourceContext, name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    lifecycle = (new.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
    if lifecycle and lifecycle != (old.get("LifecyclePolicy") or {}).get("LifecyclePolicyText"):
        await ctx.call("ecr", "PutLifecyclePolicy", {"repositoryName": name, "lifecyclePolicyText": policy_text(lifecycle)})
    policy = new.get("RepositoryPolicyText")
    if policy and policy != old.get("RepositoryPolicyText"):
        await ctx.call("ecr", "SetRepositoryPolicy", {"repositoryName": name, "policyText": policy_text(policy)})


@updating("AWS::ECR::Repository")
async def update_repository(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("ImageTagMutability") != new.get("ImageTagMutability"):
        await ctx.call("ecr", "PutImageTagMutability", {"repositoryName": physical,
                                                         "imageTagMutability": new.get("ImageTagMutability", "MUTABLE")})
    if old.get("ImageScanningConfiguration") != new.get("ImageScanningConfiguration"):
        await ctx.call("ecr", "PutImageScanningConfiguration", {"repositoryName": physical, "imageScanningConfiguration":
                                                                _camel(new.get("ImageScanningConfiguration") or {"ScanOnPush": False})})
    await _repository_policies(ctx, physical, old, new)
    return done


@deleting("AWS::ECR::Repository")
async def delete_repository(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    force = str(props.get("EmptyOnDelete", "false")).lower() == "true"
    try:
        await ctx.call("ecr", "DeleteRepository", {"repositoryName": physical, "force": force})
    except AwsError as e:
        if e.code != "RepositoryNotFoundException":
            raise


@provider("AWS::ECS::Cluster")
async def create_cluster(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("ClusterName") or ctx.name(255)
    params: dict[str, Any] = {"clusterName": name}
    for k in ("ClusterSettings", "CapacityProviders", "DefaultCapacityProviderStrategy", "Configuration", "ServiceConnectDefaults"):
        if k in props:
            key = "settings" if k == "ClusterSettings" else k[:1].lower() + k[1:]
            params[key] = _camel(props[k])
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    cluster = (await ctx.call("ecs", "CreateCluster", params))["cluster"]
    return Done(name, {"Arn": cluster["clusterArn"]})


@updating("AWS::ECS::Cluster")
async def update_cluster(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    if old.get("ClusterSettings") != new.get("ClusterSettings") and new.get("ClusterSettings"):
        await ctx.call("ecs", "UpdateClusterSettings", {"cluster": physical, "settings": _camel(new["ClusterSettings"])})
    return done


@deleting("AWS::ECS::Cluster")
async def delete_cluster(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("ecs", "DeleteCluster", {"cluster": physical})
    except AwsError as e:
        if e.code != "ClusterNotFoundException":
            raise


_TASK_KEYS = ("ContainerDefinitions", "Cpu", "Memory", "NetworkMode", "RequiresCompatibilities", "ExecutionRoleArn",
              "TaskRoleArn", "Volumes", "PlacementConstraints", "PidMode", "IpcMode", "ProxyConfiguration",
              "RuntimePlatform", "EphemeralStorage", "InferenceAccelerators")


@provider("AWS::ECS::TaskDefinition")
async def create_task_definition(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"family": props.get("Family") or ctx.name(255)}
    for k in _TASK_KEYS:
        if k in props:
            v = _camel(props[k])
            if k in ("Cpu", "Memory"):
                v = str(props[k])
            params[k[:1].lower() + k[1:]] = v
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    td = (await ctx.call("ecs", "RegisterTaskDefinition", params))["taskDefinition"]
    arn = td["taskDefinitionArn"]
    return Done(arn, {"TaskDefinitionArn": arn})


@deleting("AWS::ECS::TaskDefinition")
async def delete_task_definition(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("ecs", "DeregisterTaskDefinition", {"taskDefinition": physical})
    except AwsError as e:
        if e.code not in ("ClientException", "InvalidParameterException"):
            raise


_SERVICE_KEYS = ("TaskDefinition", "DesiredCount", "LaunchType", "NetworkConfiguration", "DeploymentConfiguration",
                 "PlacementConstraints", "PlacementStrategies", "SchedulingStrategy", "ServiceRegistries",
                 "HealthCheckGracePeriodSeconds", "EnableECSManagedTags", "EnableExecuteCommand", "PropagateTags",
                 "CapacityProviderStrategy", "PlatformVersion", "LoadBalancers", "DeploymentController")


def _service_params(props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in _SERVICE_KEYS:
        if k in props:
            key = "placementStrategy" if k == "PlacementStrategies" else k[:1].lower() + k[1:]
            out[key] = _camel(props[k])
    if "desiredCount" in out:
        out["desiredCount"] = int(out["desiredCount"])
    return out


@provider("AWS::ECS::Service")
async def create_ecs_service(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("ServiceName") or ctx.name(255)
    params = {"serviceName": name, "cluster": props.get("Cluster", "default"), **_service_params(props)}
    tags = _tags(ctx, props)
    if tags:
        params["tags"] = tags
    svc = (await ctx.call("ecs", "CreateService", params))["service"]
    return Done(svc["serviceArn"], {"Name": name, "ServiceArn": svc["serviceArn"]})


@updating("AWS::ECS::Service")
async def update_ecs_service(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    params = {k: v for k, v in _service_params(new).items()
              if k in ("taskDefinition", "desiredCount", "networkConfiguration", "deploymentConfiguration",
                       "healthCheckGracePeriodSeconds", "enableExecuteCommand", "placementConstraints",
                       "placementStrategy", "serviceRegistries", "capacityProviderStrategy", "platformVersion",
                       "propagateTags", "enableECSManagedTags")}
    await ctx.call("ecs", "UpdateService", {"cluster": new.get("Cluster", "default"), "service": physical, **params})
    return done


@deleting("AWS::ECS::Service")
async def delete_ecs_service(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("ecs", "DeleteService", {"cluster": props.get("Cluster", "default"), "service": physical, "force": True})
    except AwsError as e:
        if e.code not in ("ServiceNotFoundException", "ClusterNotFoundException"):
            raise
