"""Registry-level ECR features through boto3 against a real gureum: the registry policy (checked
as AWS checks it, and evaluated for cross-account replication), account settings (BLOB_MOUNTING
turning the registry's blob mount off), repository creation templates applied on
create-on-push and replication, managed signing configuration and image signing status,
pull-time update exclusions, replication backfill and the ARCHIVE storage class.

Each test works in its own account (a 12-digit access key id is that account), so registry
settings never meet another test's."""

from __future__ import annotations

import base64
import json
import os
import random
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from ecr.ocihttp import Registry, sha

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


def code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def client(gureum, acct: str, region: str = "us-east-1", service: str = "ecr"):
    return gureum.client(service, region=region, aws_access_key_id=acct)


def registry(gureum, ecr) -> Registry:
    """The /v2/ API as the client's account (Basic AWS:<token> from GetAuthorizationToken)."""
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    return Registry(gureum.endpoint, auth="Basic " + token)


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_registry_policy_put_get_delete_and_validation(gureum):
    acct = account()
    ecr = client(gureum, acct)
    with pytest.raises(ClientError) as e:
        ecr.get_registry_policy()
    assert code(e) == "RegistryPolicyNotFoundException"
    text = policy({"Sid": "repl", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                   "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"],
                   "Resource": f"arn:aws:ecr:us-east-1:{acct}:repository/*"})
    put = ecr.put_registry_policy(policyText=text)
    assert (put["registryId"], put["policyText"]) == (acct, text)
    assert ecr.get_registry_policy()["policyText"] == text
    for bad in ("{not json", json.dumps({"Statement": "x"}),
                policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"})):
        with pytest.raises(ClientError) as e:
            ecr.put_registry_policy(policyText=bad)
        assert code(e) == "InvalidParameterException"
    assert ecr.delete_registry_policy()["policyText"] == text
    with pytest.raises(ClientError) as e:
        ecr.delete_registry_policy()
    assert code(e) == "RegistryPolicyNotFoundException"


def test_account_settings_and_the_v1_policy_scope(gureum):
    ecr = client(gureum, account())
    assert ecr.get_account_setting(name="REGISTRY_POLICY_SCOPE")["value"] == "V2"
    assert ecr.get_account_setting(name="BASIC_SCAN_TYPE_VERSION")["value"] == "AWS_NATIVE"
    with pytest.raises(ClientError) as e:
        ecr.get_account_setting(name="NO_SUCH_SETTING")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V3")
    assert code(e) == "InvalidParameterException"
    assert ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V1")["value"] == "V1"
    # V1 takes only the three registry-level actions; V2 takes any ecr: action
    wide = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "ecr:BatchGetImage", "Resource": "*"})
    with pytest.raises(ClientError) as e:
        ecr.put_registry_policy(policyText=wide)
    assert code(e) == "InvalidParameterException"
    ecr.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
    ecr.put_registry_policy(policyText=wide)


def test_blob_mounting_disabled_makes_the_registry_answer_upload_instead(gureum):
    ecr = client(gureum, account())
    reg = registry(gureum, ecr)
    layer = os.urandom(321)
    reg.image("mount/src", "v1", [layer])
    ecr.create_repository(repositoryName="mount/dst")
    mounted = reg.req("POST", f"/v2/mount/dst/blobs/uploads/?mount={sha(layer)}&from=mount/src")
    assert mounted.status == 201
    assert ecr.put_account_setting(name="BLOB_MOUNTING", value="DISABLED")["value"] == "DISABLED"
    layer2 = os.urandom(123)
    reg.image("mount/src", "v2", [layer2])
    refused = reg.req("POST", f"/v2/mount/dst/blobs/uploads/?mount={sha(layer2)}&from=mount/src")
    assert refused.status == 202 and refused.header("location")  # an upload session instead of a mount
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"


def test_creation_templates_crud_and_create_on_push(gureum):
    acct = account()
    ecr = client(gureum, acct)
    lifecycle = json.dumps({"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                                                                        "countNumber": 5}, "action": {"type": "expire"}}]})
    repo_policy = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "ecr:BatchGetImage"})
    t = ecr.create_repository_creation_template(
        prefix="team", appliedFor=["CREATE_ON_PUSH"], imageTagMutability="IMMUTABLE", description="team repos",
        resourceTags=[{"Key": "owner", "Value": "team"}], lifecyclePolicy=lifecycle, repositoryPolicy=repo_policy)
    assert t["registryId"] == acct and t["repositoryCreationTemplate"]["prefix"] == "team"
    ecr.create_repository_creation_template(prefix="ROOT", appliedFor=["CREATE_ON_PUSH", "REPLICATION"],
                                            imageTagMutability="MUTABLE", resourceTags=[{"Key": "owner", "Value": "root"}])
    with pytest.raises(ClientError) as e:
        ecr.create_repository_creation_template(prefix="team", appliedFor=["CREATE_ON_PUSH"])
    assert code(e) == "TemplateAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ecr.create_repository_creation_template(prefix="bad", appliedFor=["CREATE_ON_PUSH"], lifecyclePolicy="{nope")
    assert code(e) == "InvalidParameterException"
    got = ecr.describe_repository_creation_templates()["repositoryCreationTemplates"]
    assert [x["prefix"] for x in got] == ["ROOT", "team"]
    pages = list(ecr.get_paginator("describe_repository_creation_templates").paginate(PaginationConfig={"PageSize": 1}))
    assert [x["prefix"] for p in pages for x in p["repositoryCreationTemplates"]] == ["ROOT", "team"]

    reg = registry(gureum, ecr)
    reg.image("team/api", "v1", [os.urandom(64)])
    reg.image("other", "v1", [os.urandom(64)])
    team = ecr.describe_repositories(repositoryNames=["team/api"])["repositories"][0]
    assert team["imageTagMutability"] == "IMMUTABLE"
    assert ecr.list_tags_for_resource(resourceArn=team["repositoryArn"])["tags"] == [{"Key": "owner", "Value": "team"}]
    assert ecr.get_lifecycle_policy(repositoryName="team/api")["lifecyclePolicyText"] == lifecycle
    assert ecr.get_repository_policy(repositoryName="team/api")["policyText"] == repo_policy
    other = ecr.describe_repositories(repositoryNames=["other"])["repositories"][0]
    assert ecr.list_tags_for_resource(resourceArn=other["repositoryArn"])["tags"] == [{"Key": "owner", "Value": "root"}]
    # an immutable tag from the template is enforced on the pushed repository
    digest2, _ = reg.image("team/api", None, [os.urandom(64)])
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName="team/api", imageTag="v1",
                      imageManifest=ecr.batch_get_image(repositoryName="team/api", imageIds=[{"imageDigest": digest2}])["images"][0]["imageManifest"])
    assert code(e) == "ImageTagAlreadyExistsException"

    u = ecr.update_repository_creation_template(prefix="team", description="changed", imageTagMutability="MUTABLE")
    assert u["repositoryCreationTemplate"]["description"] == "changed"
    assert u["repositoryCreationTemplate"]["imageTagMutability"] == "MUTABLE"
    assert ecr.delete_repository_creation_template(prefix="team")["repositoryCreationTemplate"]["prefix"] == "team"
    with pytest.raises(ClientError) as e:
        ecr.update_repository_creation_template(prefix="team", description="x")
    assert code(e) == "TemplateNotFoundException"


def test_replication_across_accounts_needs_the_destination_registry_policy_and_takes_its_template(gureum):
    src, dst = account(), account()
    source, target = client(gureum, src), client(gureum, dst, region="eu-west-1")
    source.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": "eu-west-1", "registryId": dst}]}]})
    reg = registry(gureum, source)
    reg.image("denied", "v1", [os.urandom(100)])
    wait_for("the replication status", lambda: [s for s in source.describe_image_replication_status(
        repositoryName="denied", imageId={"imageTag": "v1"})["replicationStatuses"] if s["status"] == "FAILED"], timeout=30, interval=0.1)
    with pytest.raises(ClientError):
        target.describe_repositories(repositoryNames=["denied"])

    target.put_registry_policy(policyText=policy({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{src}:root"},
        "Action": ["ecr:ReplicateImage", "ecr:CreateRepository"], "Resource": f"arn:aws:ecr:eu-west-1:{dst}:repository/*"}))
    target.create_repository_creation_template(prefix="ROOT", appliedFor=["REPLICATION"], imageTagMutability="IMMUTABLE")
    digest, _ = reg.image("allowed", "v1", [os.urandom(100)])

    def replicated() -> list[dict]:
        try:
            return target.describe_images(repositoryName="allowed")["imageDetails"]
        except ClientError:
            return []

    assert wait_for("the image in the other account", replicated, timeout=30, interval=0.1)[0]["imageDigest"] == digest
    assert target.describe_repositories(repositoryNames=["allowed"])["repositories"][0]["imageTagMutability"] == "IMMUTABLE"


def test_signing_configuration_and_image_signing_status(gureum):
    acct = account()
    ecr = client(gureum, acct)
    with pytest.raises(ClientError) as e:
        ecr.get_signing_configuration()
    assert code(e) == "SigningConfigurationNotFoundException"
    profile = f"arn:aws:signer:us-east-1:{acct}:/signing-profiles/prod_profile"
    cfg = {"rules": [{"signingProfileArn": profile, "repositoryFilters": [{"filter": "signed/*", "filterType": "WILDCARD_MATCH"}]}]}
    assert ecr.put_signing_configuration(signingConfiguration=cfg)["signingConfiguration"] == cfg
    assert ecr.get_signing_configuration()["signingConfiguration"] == cfg
    reg = registry(gureum, ecr)
    reg.image("signed/app", "v1", [os.urandom(10)])
    reg.image("plain", "v1", [os.urandom(10)])
    st = ecr.describe_image_signing_status(repositoryName="signed/app", imageId={"imageTag": "v1"})["signingStatuses"]
    assert [(s["signingProfileArn"], s["status"]) for s in st] == [(profile, "FAILED")] and st[0]["failureReason"]
    assert ecr.describe_image_signing_status(repositoryName="plain", imageId={"imageTag": "v1"})["signingStatuses"] == []
    with pytest.raises(ClientError) as e:
        ecr.describe_image_signing_status(repositoryName="plain", imageId={"imageTag": "v9"})
    assert code(e) == "ImageNotFoundException"
    assert ecr.delete_signing_configuration()["signingConfiguration"] == cfg
    with pytest.raises(ClientError) as e:
        ecr.delete_signing_configuration()
    assert code(e) == "SigningConfigurationNotFoundException"


def test_pull_time_update_exclusions_keep_pull_times_still(gureum):
    acct = account()
    ecr = client(gureum, acct)
    iam = client(gureum, acct, service="iam")
    user = "scanner-" + uuid.uuid4().hex[:6]
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    scanner = gureum.client("ecr", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    reg = registry(gureum, ecr)
    reg.image("scanned", "v1", [os.urandom(10)])
    assert ecr.register_pull_time_update_exclusion(principalArn=arn)["principalArn"] == arn
    with pytest.raises(ClientError) as e:
        ecr.register_pull_time_update_exclusion(principalArn=arn)
    assert code(e) == "ExclusionAlreadyExistsException"
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [arn]
    assert scanner.batch_get_image(repositoryName="scanned", imageIds=[{"imageTag": "v1"}])["images"]
    assert "lastRecordedPullTime" not in ecr.describe_images(repositoryName="scanned")["imageDetails"][0]
    ecr.deregister_pull_time_update_exclusion(principalArn=arn)
    with pytest.raises(ClientError) as e:
        ecr.deregister_pull_time_update_exclusion(principalArn=arn)
    assert code(e) == "ExclusionNotFoundException"
    scanner.batch_get_image(repositoryName="scanned", imageIds=[{"imageTag": "v1"}])
    wait_for("the pull time recorded", lambda: "lastRecordedPullTime" in ecr.describe_images(repositoryName="scanned")["imageDetails"][0],
             timeout=30, interval=0.1)


def test_replication_backfill_copies_images_pushed_before_the_configuration(gureum):
    acct = account()
    ecr = client(gureum, acct)
    west = client(gureum, acct, region="us-west-2")
    reg = registry(gureum, ecr)
    d1, _ = reg.image("old/one", "v1", [os.urandom(50)])
    d2, _ = reg.image("old/two", "v1", [os.urandom(50)])
    dest = {"region": "us-west-2", "registryId": acct}
    with pytest.raises(ClientError) as e:
        ecr.start_replication_backfill(destination=dest)
    assert code(e) == "InvalidParameterException"  # not a destination of the replication configuration
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{"destinations": [dest]}]})
    started = ecr.start_replication_backfill(destination=dest)
    bid = started["replicationBackfillId"]
    assert started["status"] in ("PREPARING", "IN_PROGRESS", "COMPLETE")
    done = wait_for("the backfill COMPLETE", lambda: [b for b in ecr.list_replication_backfills()["backfills"]
                                                      if b["replicationBackfillId"] == bid and b["status"] == "COMPLETE"],
                    timeout=60, interval=0.1)[0]
    assert done["progress"]["totalReplicationCount"] == 2 and done["progress"]["completedReplicationCount"] == 2
    res = ecr.describe_replication_backfill_results(replicationBackfillId=bid)
    assert sorted(r["imageId"]["imageDigest"] for r in res["results"]) == sorted([d1, d2])
    assert {r["status"] for r in res["results"]} == {"COMPLETE"}
    assert west.describe_images(repositoryName="old/one")["imageDetails"][0]["imageDigest"] == d1
    with pytest.raises(ClientError) as e:
        ecr.stop_replication_backfill(replicationBackfillId=bid)
    assert code(e) == "ReplicationBackfillInvalidStatusException"
    with pytest.raises(ClientError) as e:
        ecr.describe_replication_backfill_results(replicationBackfillId=str(uuid.uuid4()))
    assert code(e) == "ReplicationBackfillNotFoundException"


def test_archived_images_cannot_be_pulled_until_restored(gureum):
    ecr = client(gureum, account())
    reg = registry(gureum, ecr)
    digest, data = reg.image("arch", "v1", [os.urandom(20)])
    out = ecr.update_image_storage_class(repositoryName="arch", imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE")
    assert out["imageStatus"] == "ARCHIVED" and out["imageId"]["imageDigest"] == digest
    r = reg.req("GET", "/v2/arch/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert r.status == 404
    assert ecr.describe_images(repositoryName="arch")["imageDetails"] == []  # ACTIVE only by default
    archived = ecr.describe_images(repositoryName="arch", filter={"imageStatus": "ARCHIVED"})["imageDetails"]
    assert archived[0]["imageStatus"] == "ARCHIVED" and archived[0]["lastArchivedAt"]
    assert ecr.list_images(repositoryName="arch", filter={"imageStatus": "ANY"})["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    got = ecr.batch_get_image(repositoryName="arch", imageIds=[{"imageTag": "v1"}])
    assert got["images"] == [] and got["failures"][0]["failureCode"] == "ImageInaccessible"
    back = ecr.update_image_storage_class(repositoryName="arch", imageId={"imageDigest": digest}, targetStorageClass="STANDARD")
    assert back["imageStatus"] == "ACTIVATING"
    r = reg.req("GET", "/v2/arch/manifests/v1", headers={"Accept": OCI_MANIFEST})
    assert r.status == 200 and r.body == data
    assert ecr.describe_images(repositoryName="arch")["imageDetails"][0]["lastActivatedAt"]
    with pytest.raises(ClientError) as e:
        ecr.update_image_storage_class(repositoryName="arch", imageId={"imageTag": "nope"}, targetStorageClass="ARCHIVE")
    assert code(e) == "ImageNotFoundException"


def test_registry_tokens_name_the_account(gureum):
    """Guard for this module's helper: the token's account is the client's."""
    acct = account()
    ecr = client(gureum, acct)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert base64.b64decode(token).decode().startswith("AWS:")
    registry(gureum, ecr).image("mine", "v1", [b"x"])
    assert ecr.describe_repositories(repositoryNames=["mine"])["repositories"][0]["registryId"] == acct


def test_a_v2_registry_policy_grants_another_account_the_registry_s_repositories(gureum):
    owner, other = account(), account()
    mine, theirs = client(gureum, owner), client(gureum, other)
    digest, _ = registry(gureum, mine).image("shared/app", "v1", [os.urandom(30)])
    with pytest.raises(ClientError) as e:
        theirs.batch_get_image(registryId=owner, repositoryName="shared/app", imageIds=[{"imageTag": "v1"}])
    assert code(e) == "AccessDeniedException"
    mine.put_registry_policy(policyText=policy({
        "Sid": "pull", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other}:root"},
        "Action": ["ecr:BatchGetImage", "ecr:DescribeImages"], "Resource": f"arn:aws:ecr:us-east-1:{owner}:repository/*"}))
    got = theirs.batch_get_image(registryId=owner, repositoryName="shared/app", imageIds=[{"imageTag": "v1"}])
    assert got["images"][0]["imageId"]["imageDigest"] == digest
    assert theirs.describe_images(registryId=owner, repositoryName="shared/app")["imageDetails"][0]["imageDigest"] == digest
    with pytest.raises(ClientError) as e:  # actions the policy does not name stay refused
        theirs.batch_delete_image(registryId=owner, repositoryName="shared/app", imageIds=[{"imageTag": "v1"}])
    assert code(e) == "AccessDeniedException"
