"""Responses of ECR's registry-level operations (registry policy, account settings, pull through
cache rules, repository creation templates, signing, pull-time exclusions, replication backfill,
storage classes) and of ECS's deployments, revisions, task sets and agent APIs, walked against
botocore's output shapes (tests/aws/shape_check.py)."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from typing import Any

from shape_check import ShapeRecorder
from waiting import wait_for

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-12345678"]}}


def test_ecr_registry_level_responses_match_the_model(gureum: Any) -> None:
    acct = str(random.randint(10**11, 10**12 - 1))
    ecr = gureum.client("ecr", aws_access_key_id=acct)
    rec = ShapeRecorder(ecr)
    ecr.put_registry_policy(policyText=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "ecr:ReplicateImage",
        "Resource": f"arn:aws:ecr:us-east-1:{acct}:repository/*"}]}))
    ecr.get_registry_policy()
    ecr.delete_registry_policy()
    ecr.get_account_setting(name="BLOB_MOUNTING")
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl="127.0.0.1:9", upstreamRepositoryPrefix="lib")
    ecr.describe_pull_through_cache_rules()
    ecr.update_pull_through_cache_rule(ecrRepositoryPrefix="hub", customRoleArn=f"arn:aws:iam::{acct}:role/r")
    ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix="hub")
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="hub")
    ecr.create_repository_creation_template(prefix="team", appliedFor=["CREATE_ON_PUSH"], resourceTags=[{"Key": "a", "Value": "b"}],
                                            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                                            imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}])
    ecr.describe_repository_creation_templates()
    ecr.update_repository_creation_template(prefix="team", description="d")
    ecr.delete_repository_creation_template(prefix="team")
    profile = f"arn:aws:signer:us-east-1:{acct}:/signing-profiles/p_1"
    ecr.put_signing_configuration(signingConfiguration={"rules": [{"signingProfileArn": profile}]})
    ecr.get_signing_configuration()
    repo = "shapes/" + uuid.uuid4().hex[:6]
    ecr.create_repository(repositoryName=repo)
    layer = b"layer"
    uid = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=uid, partFirstByte=0, partLastByte=len(layer) - 1, layerPartBlob=layer)
    ld = "sha256:" + hashlib.sha256(layer).hexdigest()
    ecr.complete_layer_upload(repositoryName=repo, uploadId=uid, layerDigests=[ld])
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": ld, "size": len(layer)},
                           "layers": []})
    ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag="v1")
    ecr.describe_image_signing_status(repositoryName=repo, imageId={"imageTag": "v1"})
    ecr.delete_signing_configuration()
    ecr.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE")
    ecr.describe_images(repositoryName=repo, filter={"imageStatus": "ARCHIVED"})
    ecr.update_image_storage_class(repositoryName=repo, imageId={"imageTag": "v1"}, targetStorageClass="STANDARD")
    ecr.register_pull_time_update_exclusion(principalArn=f"arn:aws:iam::{acct}:role/scanner")
    ecr.list_pull_time_update_exclusions()
    ecr.deregister_pull_time_update_exclusion(principalArn=f"arn:aws:iam::{acct}:role/scanner")
    dest = {"region": "us-west-2", "registryId": acct}
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": [dest]}]})
    bid = ecr.start_replication_backfill(destination=dest)["replicationBackfillId"]
    wait_for("the backfill ends", lambda: ecr.list_replication_backfills()["backfills"][0]["status"] == "COMPLETE")
    ecr.describe_replication_backfill_results(replicationBackfillId=bid)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 30, sorted(rec.operations)


def test_ecs_deployment_and_task_set_responses_match_the_model(gureum: Any) -> None:
    ecs = gureum.client("ecs")
    rec = ShapeRecorder(ecs)
    td = ecs.register_task_definition(family="shapes-" + uuid.uuid4().hex[:6], networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                      cpu="256", memory="512", containerDefinitions=[{"name": "a", "image": "127.0.0.1:1/x:v1"}],
                                      )["taskDefinition"]["taskDefinitionArn"]
    name = "shapes-" + uuid.uuid4().hex[:6]
    ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC)
    ecs.update_service(service=name, forceNewDeployment=True)
    arns = [d["serviceDeploymentArn"] for d in ecs.list_service_deployments(service=name)["serviceDeployments"]]
    deps = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]
    ecs.describe_service_revisions(serviceRevisionArns=[deps[0]["targetServiceRevision"]["arn"]])
    ext = "shapes-ext-" + uuid.uuid4().hex[:6]
    ecs.create_service(serviceName=ext, desiredCount=0, deploymentController={"type": "EXTERNAL"})
    ts = ecs.create_task_set(cluster="default", service=ext, taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC,
                             scale={"value": 100, "unit": "PERCENT"}, tags=[{"key": "k", "value": "v"}])["taskSet"]
    ecs.update_task_set(cluster="default", service=ext, taskSet=ts["id"], scale={"value": 50, "unit": "PERCENT"})
    ecs.update_service_primary_task_set(cluster="default", service=ext, primaryTaskSet=ts["id"])
    ecs.describe_task_sets(cluster="default", service=ext, include=["TAGS"])
    ecs.describe_services(services=[ext])
    ecs.delete_task_set(cluster="default", service=ext, taskSet=ts["id"], force=True)
    task = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]
    ecs.submit_task_state_change(task=task["taskArn"], status="RUNNING")
    ecs.submit_container_state_change(task=task["taskArn"], containerName="a", status="RUNNING")
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 14, sorted(rec.operations)
