"""ECR, ECS and Cloud Map responses walked against botocore's output shapes
(tests/aws/shape_check.py): repositories and images pushed through the layer API, clusters,
task definitions, services and attributes, namespaces, services and instances."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from botocore.config import Config
from shape_check import ShapeRecorder

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _push(ecr: Any, repo: str, blob: bytes) -> str:
    uid = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=0, partLastByte=len(blob) - 1,
                          layerPartBlob=blob)
    ecr.complete_layer_upload(repositoryName=repo, uploadId=uid, layerDigests=[_sha(blob)])
    return _sha(blob)


def test_ecr_responses_match_the_model(gureum: Any) -> None:
    ecr = gureum.client("ecr")
    rec = ShapeRecorder(ecr)
    repo = f"shape/{uuid.uuid4().hex[:8]}"
    arn = ecr.create_repository(repositoryName=repo, tags=[{"Key": "k", "Value": "v"}],
                                imageScanningConfiguration={"scanOnPush": False})["repository"]["repositoryArn"]
    ecr.describe_repositories(repositoryNames=[repo])
    ecr.describe_registry()
    ecr.get_authorization_token()
    layer = b"layer bytes " * 100
    cfg = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=[_sha(layer), "bad"])
    digest = _push(ecr, repo, layer)
    cdigest = _push(ecr, repo, cfg)
    ecr.batch_check_layer_availability(repositoryName=repo, layerDigests=[digest])
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                      "digest": cdigest, "size": len(cfg)},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                                       "digest": digest, "size": len(layer)}]})
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="v1")
    ecr.describe_images(repositoryName=repo)
    ecr.list_images(repositoryName=repo)
    ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}, {"imageTag": "none"}])
    ecr.get_download_url_for_layer(repositoryName=repo, layerDigest=digest)
    ecr.list_image_referrers(repositoryName=repo, subjectId={"imageDigest": _sha(manifest.encode())})
    ecr.put_image_tag_mutability(repositoryName=repo, imageTagMutability="MUTABLE")
    ecr.put_image_scanning_configuration(repositoryName=repo, imageScanningConfiguration={"scanOnPush": True})
    ecr.start_image_scan(repositoryName=repo, imageId={"imageTag": "v1"})
    ecr.describe_image_scan_findings(repositoryName=repo, imageId={"imageTag": "v1"})
    ecr.describe_image_replication_status(repositoryName=repo, imageId={"imageTag": "v1"})
    ecr.batch_get_repository_scanning_configuration(repositoryNames=[repo])
    ecr.get_registry_scanning_configuration()
    policy = json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                                                     "countNumber": 1}, "action": {"type": "expire"}}]})
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=policy)
    ecr.get_lifecycle_policy(repositoryName=repo)
    ecr.start_lifecycle_policy_preview(repositoryName=repo)
    ecr.get_lifecycle_policy_preview(repositoryName=repo)
    ecr.delete_lifecycle_policy(repositoryName=repo)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "s", "Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"}]}))
    ecr.get_repository_policy(repositoryName=repo)
    ecr.delete_repository_policy(repositoryName=repo)
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "b"}])
    ecr.list_tags_for_resource(resourceArn=arn)
    ecr.untag_resource(resourceArn=arn, tagKeys=["a"])
    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}, {"imageTag": "none"}])
    ecr.delete_repository(repositoryName=repo, force=True)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 30, sorted(rec.operations)


def test_ecs_responses_match_the_model(gureum: Any) -> None:
    ecs = gureum.client("ecs")
    rec = ShapeRecorder(ecs)
    n = uuid.uuid4().hex[:8]
    cluster = ecs.create_cluster(clusterName=f"c-{n}", tags=[{"key": "k", "value": "v"}],
                                 settings=[{"name": "containerInsights", "value": "disabled"}])["cluster"]
    carn = cluster["clusterArn"]
    ecs.describe_clusters(clusters=[carn, "missing"], include=["SETTINGS", "TAGS"])
    ecs.list_clusters()
    ecs.update_cluster(cluster=carn, settings=[{"name": "containerInsights", "value": "enabled"}])
    ecs.update_cluster_settings(cluster=carn, settings=[{"name": "containerInsights", "value": "disabled"}])
    ecs.put_cluster_capacity_providers(cluster=carn, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[
        {"capacityProvider": "FARGATE", "weight": 1}])
    td = ecs.register_task_definition(
        family=f"f-{n}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": "busybox", "essential": True, "command": ["sleep", "1"],
                               "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                               "environment": [{"name": "A", "value": "1"}]}],
        tags=[{"key": "k", "value": "v"}])["taskDefinition"]
    tdarn = td["taskDefinitionArn"]
    ecs.describe_task_definition(taskDefinition=tdarn, include=["TAGS"])
    ecs.list_task_definitions(familyPrefix=f"f-{n}")
    ecs.list_task_definition_families(familyPrefix=f"f-{n}")
    svc = ecs.create_service(cluster=carn, serviceName="s", taskDefinition=tdarn, desiredCount=0,
                             launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}})
    ecs.describe_services(cluster=carn, services=["s", "missing"])
    ecs.list_services(cluster=carn)
    ecs.update_service(cluster=carn, service="s", desiredCount=0)
    ecs.list_tasks(cluster=carn)
    ecs.describe_tasks(cluster=carn, tasks=["missing"])
    ecs.list_container_instances(cluster=carn)
    ecs.list_attributes(cluster=carn, targetType="container-instance")
    ecs.tag_resource(resourceArn=carn, tags=[{"key": "a", "value": "b"}])
    ecs.list_tags_for_resource(resourceArn=carn)
    ecs.untag_resource(resourceArn=carn, tagKeys=["a"])
    ecs.delete_service(cluster=carn, service=svc["service"]["serviceArn"], force=True)
    ecs.deregister_task_definition(taskDefinition=tdarn)
    ecs.delete_task_definitions(taskDefinitions=[tdarn])
    ecs.delete_cluster(cluster=carn)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 25, sorted(rec.operations)


def test_cloud_map_responses_match_the_model(gureum: Any) -> None:
    sd = gureum.client("servicediscovery", config=Config(retries={"max_attempts": 1}, inject_host_prefix=False))
    rec = ShapeRecorder(sd)
    n = uuid.uuid4().hex[:8]
    op = sd.create_http_namespace(Name=f"http-{n}", Description="d", Tags=[{"Key": "k", "Value": "v"}])["OperationId"]
    sd.get_operation(OperationId=op)
    ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    sd.get_namespace(Id=ns)
    sd.list_namespaces()
    op2 = sd.create_private_dns_namespace(Name=f"p{n}.internal", Vpc="vpc-1")["OperationId"]
    pns = sd.get_operation(OperationId=op2)["Operation"]["Targets"]["NAMESPACE"]
    svc = sd.create_service(Name="web", NamespaceId=ns, HealthCheckCustomConfig={"FailureThreshold": 1})["Service"]
    dsvc = sd.create_service(Name="api", NamespaceId=pns, DnsConfig={"DnsRecords": [{"Type": "A", "TTL": 60}]})["Service"]
    sd.get_service(Id=svc["Id"])
    sd.list_services()
    sd.update_service(Id=dsvc["Id"], Service={"Description": "x", "DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 30}]}})
    sd.register_instance(ServiceId=svc["Id"], InstanceId="i-1", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.1", "a": "b"})
    sd.register_instance(ServiceId=dsvc["Id"], InstanceId="i-2", Attributes={"AWS_INSTANCE_IPV4": "10.0.0.2"})
    sd.get_instance(ServiceId=svc["Id"], InstanceId="i-1")
    sd.list_instances(ServiceId=svc["Id"])
    sd.get_instances_health_status(ServiceId=svc["Id"])
    sd.update_instance_custom_health_status(ServiceId=svc["Id"], InstanceId="i-1", Status="UNHEALTHY")
    sd.discover_instances(NamespaceName=f"http-{n}", ServiceName="web", HealthStatus="ALL")
    sd.discover_instances_revision(NamespaceName=f"http-{n}", ServiceName="web")
    sd.deregister_instance(ServiceId=svc["Id"], InstanceId="i-1")
    sd.deregister_instance(ServiceId=dsvc["Id"], InstanceId="i-2")
    sd.delete_service(Id=svc["Id"])
    sd.delete_service(Id=dsvc["Id"])
    sd.delete_namespace(Id=ns)
    sd.delete_namespace(Id=pns)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 18, sorted(rec.operations)
