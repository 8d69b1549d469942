"""Errors of the json services (CloudWatch Logs, ECR, ECS, Cloud Map), provoked through boto3 and
read raw (tests/aws/shape_check.py's expect_error): `__type`, the message member as the error
shape cases it, the HTTP status the shape declares, the members AWS sends, and that the
operation documents the error."""

from __future__ import annotations

import uuid
from typing import Any

from botocore.config import Config
from shape_check import ShapeRecorder, expect_error

LOOSE = Config(retries={"max_attempts": 1}, parameter_validation=False, inject_host_prefix=False)


def test_logs_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    logs = gureum.client("logs", config=LOOSE)
    rec = ShapeRecorder(logs)
    g = f"/errors/{uuid.uuid4().hex[:8]}"
    expect_error(rec, lambda: logs.describe_log_streams(logGroupName=g), "ResourceNotFoundException")
    expect_error(rec, lambda: logs.create_log_stream(logGroupName=g, logStreamName="s"), "ResourceNotFoundException")
    logs.create_log_group(logGroupName=g)
    expect_error(rec, lambda: logs.create_log_group(logGroupName=g), "ResourceAlreadyExistsException")
    logs.create_log_stream(logGroupName=g, logStreamName="s")
    expect_error(rec, lambda: logs.create_log_stream(logGroupName=g, logStreamName="s"), "ResourceAlreadyExistsException")
    expect_error(rec, lambda: logs.put_retention_policy(logGroupName=g, retentionInDays=8), "InvalidParameterException")
    expect_error(rec, lambda: logs.put_log_events(logGroupName=g, logStreamName="missing",
                                                  logEvents=[{"timestamp": 1, "message": "m"}]), "ResourceNotFoundException")
    expect_error(rec, lambda: logs.get_log_events(logGroupName=g, logStreamName="missing"), "ResourceNotFoundException")
    expect_error(rec, lambda: logs.delete_log_stream(logGroupName=g, logStreamName="missing"), "ResourceNotFoundException")
    expect_error(rec, lambda: logs.create_log_group(logGroupName="bad name*"), "InvalidParameterException")
    logs.delete_log_group(logGroupName=g)
    expect_error(rec, lambda: logs.delete_log_group(logGroupName=g), "ResourceNotFoundException")


def test_ecr_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    ecr = gureum.client("ecr", config=LOOSE)
    rec = ShapeRecorder(ecr)
    repo = f"errors/{uuid.uuid4().hex[:8]}"
    expect_error(rec, lambda: ecr.describe_repositories(repositoryNames=[repo]), "RepositoryNotFoundException")
    expect_error(rec, lambda: ecr.delete_repository(repositoryName=repo), "RepositoryNotFoundException")
    ecr.create_repository(repositoryName=repo)
    expect_error(rec, lambda: ecr.create_repository(repositoryName=repo), "RepositoryAlreadyExistsException")
    expect_error(rec, lambda: ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": "none"}]),
                 "ImageNotFoundException")
    expect_error(rec, lambda: ecr.get_lifecycle_policy(repositoryName=repo), "LifecyclePolicyNotFoundException")
    expect_error(rec, lambda: ecr.get_repository_policy(repositoryName=repo), "RepositoryPolicyNotFoundException")
    expect_error(rec, lambda: ecr.set_repository_policy(repositoryName=repo, policyText="{"), "InvalidParameterException")
    expect_error(rec, lambda: ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText="{"),
                 "InvalidParameterException")
    expect_error(rec, lambda: ecr.upload_layer_part(repositoryName=repo, uploadId=str(uuid.uuid4()), partFirstByte=0,
                                                    partLastByte=0, layerPartBlob=b"x"), "UploadNotFoundException")
    expect_error(rec, lambda: ecr.complete_layer_upload(repositoryName=repo, uploadId=str(uuid.uuid4()),
                                                        layerDigests=["sha256:" + "0" * 64]), "UploadNotFoundException")
    expect_error(rec, lambda: ecr.get_download_url_for_layer(repositoryName=repo, layerDigest="sha256:" + "0" * 64),
                 "LayersNotFoundException")
    arn = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryArn"]
    expect_error(rec, lambda: ecr.tag_resource(resourceArn=arn, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
                 "TooManyTagsException")
    expect_error(rec, lambda: ecr.tag_resource(resourceArn=arn, tags=[{"Key": "aws:x", "Value": "v"}]),
                 "InvalidTagParameterException")
    expect_error(rec, lambda: ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "none"}),
                 "ImageNotFoundException")
    ecr.delete_repository(repositoryName=repo)


def test_ecs_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    ecs = gureum.client("ecs", config=LOOSE)
    rec = ShapeRecorder(ecs)
    n = uuid.uuid4().hex[:8]
    expect_error(rec, lambda: ecs.list_services(cluster=f"missing-{n}"), "ClusterNotFoundException")
    expect_error(rec, lambda: ecs.list_tasks(cluster=f"missing-{n}"), "ClusterNotFoundException")
    cluster = ecs.create_cluster(clusterName=f"ce-{n}")["cluster"]["clusterArn"]
    expect_error(rec, lambda: ecs.describe_task_definition(taskDefinition=f"missing-{n}:1"), "ClientException")
    expect_error(rec, lambda: ecs.update_service(cluster=cluster, service="missing", desiredCount=1),
                 "ServiceNotFoundException")
    expect_error(rec, lambda: ecs.register_task_definition(family=f"f-{n}", containerDefinitions=[]),
                 "ClientException")
    td = ecs.register_task_definition(family=f"f-{n}", containerDefinitions=[
        {"name": "a", "image": "busybox", "memory": 64}])["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="s", taskDefinition=td, desiredCount=0)
    expect_error(rec, lambda: ecs.delete_cluster(cluster=cluster), "ClusterContainsServicesException")
    expect_error(rec, lambda: ecs.create_service(cluster=cluster, serviceName="s", taskDefinition=td, desiredCount=0),
                 "InvalidParameterException")
    expect_error(rec, lambda: ecs.run_task(cluster=cluster, taskDefinition=td, count=11), "InvalidParameterException")
    expect_error(rec, lambda: ecs.put_attributes(cluster=cluster, attributes=[{"name": "a", "targetId": "arn:aws:ecs:us-east-1:000000000000:container-instance/"
                                                                           f"ce-{n}/0123456789abcdef0123456789abcdef"}]),
                 "TargetNotFoundException")
    expect_error(rec, lambda: ecs.list_tags_for_resource(resourceArn=cluster.replace(f"ce-{n}", f"missing-{n}")),
                 "ClusterNotFoundException")
    ecs.delete_service(cluster=cluster, service="s", force=True)
    ecs.deregister_task_definition(taskDefinition=td)


def test_cloud_map_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    sd = gureum.client("servicediscovery", config=LOOSE)
    rec = ShapeRecorder(sd)
    n = uuid.uuid4().hex[:8]
    expect_error(rec, lambda: sd.get_namespace(Id="ns-" + "0" * 16), "NamespaceNotFound")
    expect_error(rec, lambda: sd.get_service(Id="srv-" + "0" * 16), "ServiceNotFound")
    expect_error(rec, lambda: sd.get_operation(OperationId="0" * 32), "OperationNotFound")
    op = sd.create_http_namespace(Name=f"err-{n}")["OperationId"]
    ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    expect_error(rec, lambda: sd.create_http_namespace(Name=f"err-{n}"), "NamespaceAlreadyExists")
    svc = sd.create_service(Name="web", NamespaceId=ns, HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]["Id"]
    expect_error(rec, lambda: sd.create_service(Name="web", NamespaceId=ns), "ServiceAlreadyExists")
    expect_error(rec, lambda: sd.get_instance(ServiceId=svc, InstanceId="missing"), "InstanceNotFound")
    expect_error(rec, lambda: sd.delete_namespace(Id=ns), "ResourceInUse")
    expect_error(rec, lambda: sd.create_service(Name="x", NamespaceId="ns-" + "0" * 16), "NamespaceNotFound")
    expect_error(rec, lambda: sd.discover_instances(NamespaceName=f"missing-{n}", ServiceName="web"), "NamespaceNotFound")
    expect_error(rec, lambda: sd.register_instance(ServiceId=svc, InstanceId="i" * 65, Attributes={"a": "b"}),
                 "InvalidInput")
    sd.delete_service(Id=svc)
    sd.delete_namespace(Id=ns)
