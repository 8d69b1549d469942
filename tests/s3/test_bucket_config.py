"""S3 bucket configuration end to end through boto3: default encryption reflected in object
answers, ownership controls and block public access enforced, policy status, request payment,
acceleration, logging, ABAC, the legacy notification API, and the analytics / inventory /
metrics / Intelligent-Tiering configurations with paging."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def s3(gureum: Any) -> Any:
    return gureum.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"cfg-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _public_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})


# -- encryption --------------------------------------------------------------------------------

def test_default_encryption_is_sse_s3_and_delete_restores_it(s3: Any, bucket: str) -> None:
    default = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/mine"},
        "BucketKeyEnabled": True}]})
    got = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert got["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/mine"}
    assert got["BucketKeyEnabled"] is True
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default


def test_bucket_default_encryption_is_reflected_in_object_answers(s3: Any, bucket: str) -> None:
    plain = s3.put_object(Bucket=bucket, Key="before", Body=b"x")
    assert plain["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in plain
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]})
    put = s3.put_object(Bucket=bucket, Key="after", Body=b"y")
    assert put["ServerSideEncryption"] == "aws:kms" and put["BucketKeyEnabled"] is True
    key_arn = put["SSEKMSKeyId"]
    assert key_arn.startswith("arn:aws:kms:us-east-1:") and ":key/" in key_arn
    for answer in (s3.head_object(Bucket=bucket, Key="after"), s3.get_object(Bucket=bucket, Key="after")):
        assert (answer["ServerSideEncryption"], answer["SSEKMSKeyId"], answer["BucketKeyEnabled"]) == (
            "aws:kms", key_arn, True)
    # a version keeps the encryption it was written with; a request's own header wins
    assert s3.head_object(Bucket=bucket, Key="before")["ServerSideEncryption"] == "AES256"
    own = s3.put_object(Bucket=bucket, Key="own", Body=b"z", ServerSideEncryption="AES256")
    assert own["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in own
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "own"})
    assert copied["ServerSideEncryption"] == "aws:kms"
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert up["ServerSideEncryption"] == "aws:kms" and up["SSEKMSKeyId"] == key_arn


def test_put_bucket_encryption_refuses_a_kms_key_with_sse_s3(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]})
    assert _error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_encryption(Bucket=f"missing-{uuid.uuid4().hex[:8]}")
    assert _error(exc) == ("NoSuchBucket", 404)


# -- ownership controls ------------------------------------------------------------------------

def test_ownership_controls_switch_acls_on_and_off(s3: Any, bucket: str) -> None:
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert _error(exc) == ("AccessControlListNotSupported", 400)
    s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    with pytest.raises(ClientError) as exc:  # the bucket's ACL grants the public: ACLs cannot be disabled
        s3.put_bucket_ownership_controls(Bucket=bucket,
                                         OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert _error(exc) == ("InvalidBucketAclWithObjectOwnership", 400)
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=bucket,
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    assert _error(exc) == ("AccessControlListNotSupported", 400)
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert _error(exc) == ("OwnershipControlsNotFoundError", 404)


def test_create_bucket_with_object_ownership_is_reported(s3: Any) -> None:
    name = f"cfg-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="BucketOwnerPreferred")
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}]


# -- block public access, policy status -------------------------------------------------------

def test_new_buckets_block_public_access(s3: Any, bucket: str) -> None:
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=_public_policy(bucket))
    assert _error(exc) == ("AccessDenied", 403)
    assert "BlockPublicPolicy" in exc.value.response["Error"]["Message"]
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert _error(exc) == ("NoSuchPublicAccessBlockConfiguration", 404)
    s3.put_bucket_policy(Bucket=bucket, Policy=_public_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}


def test_block_public_acls_refuses_public_acls_only(s3: Any) -> None:
    name = f"cfg-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    for call in (lambda: s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="public-read"),
                 lambda: s3.put_bucket_acl(Bucket=name, ACL="public-read-write"),
                 lambda: s3.put_bucket_acl(Bucket=name, GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"')):
        with pytest.raises(ClientError) as exc:
            call()
        assert _error(exc) == ("AccessDenied", 403)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ACL="private")
    s3.put_bucket_policy(Bucket=name, Policy=_public_policy(name))  # BlockPublicPolicy is off


@pytest.mark.parametrize(("condition", "public"), [
    (None, True),
    ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, False),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"StringEquals": {"aws:SourceAccount": "111122223333"}}, False),
    ({"StringLike": {"aws:SourceAccount": "1111*"}}, True),
    ({"StringEquals": {"aws:SourceAccount": "*"}}, True),
    ({"StringEquals": {"s3:prefix": "home/"}}, True),
])
def test_policy_status_follows_what_s3_calls_public(s3: Any, bucket: str, condition: Any, public: bool) -> None:
    s3.delete_public_access_block(Bucket=bucket)
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                                 "Resource": f"arn:aws:s3:::{bucket}/*"}
    if condition:
        statement["Condition"] = condition
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is public


def test_policy_status_of_a_fixed_principal_and_of_no_policy(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert _error(exc) == ("NoSuchBucketPolicy", 404)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": False}


# -- stored settings ---------------------------------------------------------------------------

def test_request_payment_accelerate_and_abac_are_kept(s3: Any, bucket: str) -> None:
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    assert "Status" not in s3.get_bucket_accelerate_configuration(Bucket=bucket)
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    dotted = f"cfg.{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=dotted)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=dotted, AccelerateConfiguration={"Status": "Enabled"})
    assert _error(exc) == ("InvalidRequest", 400)
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Disabled"}
    s3.put_bucket_abac(Bucket=bucket, AbacStatus={"Status": "Enabled"})
    assert s3.get_bucket_abac(Bucket=bucket)["AbacStatus"] == {"Status": "Enabled"}


def test_logging_checks_its_target_bucket(s3: Any, bucket: str) -> None:
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
            "TargetBucket": f"missing-{uuid.uuid4().hex[:8]}", "TargetPrefix": "logs/"}})
    assert _error(exc) == ("InvalidTargetBucketForLogging", 400)
    target = f"cfg-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=target)
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": "logs/"}})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": target, "TargetPrefix": "logs/"}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)


def test_legacy_notification_api_reads_and_writes_the_configuration(gureum: Any, s3: Any, bucket: str) -> None:
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn}]})})
    s3.put_bucket_notification(Bucket=bucket, NotificationConfiguration={"QueueConfiguration": {
        "Id": "legacy", "Event": "s3:ObjectCreated:Put", "Queue": arn}})
    current = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert [(c["Id"], c["QueueArn"], c["Events"]) for c in current] == [("legacy", arn, ["s3:ObjectCreated:Put"])]
    legacy = s3.get_bucket_notification(Bucket=bucket)["QueueConfiguration"]
    assert (legacy["Id"], legacy["Queue"], legacy["Event"]) == ("legacy", arn, "s3:ObjectCreated:Put")
    s3.put_object(Bucket=bucket, Key="hello", Body=b"x")
    bodies: list[str] = []
    for _ in range(20):
        msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages") or []
        bodies += [m["Body"] for m in msgs]
        if any("ObjectCreated:Put" in b for b in bodies):
            break
    assert any(json.loads(b).get("Records", [{}])[0].get("s3", {}).get("object", {}).get("key") == "hello"
               for b in bodies)


# -- analytics, inventory, metrics, Intelligent-Tiering ------------------------------------

def test_metrics_configurations_page_by_id(s3: Any, bucket: str) -> None:
    for i in range(105):
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id=f"m{i:03d}", MetricsConfiguration={"Id": f"m{i:03d}"})
    first = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert first["IsTruncated"] is True and len(first["MetricsConfigurationList"]) == 100
    second = s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert second["IsTruncated"] is False
    ids = [c["Id"] for c in first["MetricsConfigurationList"] + second["MetricsConfigurationList"]]
    assert ids == [f"m{i:03d}" for i in range(105)]
    s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="m000")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_metrics_configuration(Bucket=bucket, Id="m000")
    assert _error(exc) == ("NoSuchConfiguration", 404)


def test_inventory_analytics_and_tiering_configurations_are_validated_and_kept(s3: Any, bucket: str) -> None:
    inventory = {"Id": "inv", "IsEnabled": True, "IncludedObjectVersions": "Current",
                 "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{bucket}", "Format": "CSV"}},
                 "Schedule": {"Frequency": "Daily"}}
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="inv", InventoryConfiguration=inventory)
    assert s3.get_bucket_inventory_configuration(Bucket=bucket, Id="inv")["InventoryConfiguration"] == inventory
    bad = {**inventory, "Destination": {"S3BucketDestination": {"Bucket": "not-an-arn", "Format": "CSV"}}}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_inventory_configuration(Bucket=bucket, Id="inv", InventoryConfiguration=bad)
    assert _error(exc) == ("InvalidArgument", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_inventory_configuration(Bucket=bucket, Id="other", InventoryConfiguration=inventory)
    assert _error(exc) == ("InvalidArgument", 400)
    listed = s3.list_bucket_inventory_configurations(Bucket=bucket)
    assert [c["Id"] for c in listed["InventoryConfigurationList"]] == ["inv"] and listed["IsTruncated"] is False

    analytics = {"Id": "a1", "Filter": {"Prefix": "logs/"}, "StorageClassAnalysis": {}}
    s3.put_bucket_analytics_configuration(Bucket=bucket, Id="a1", AnalyticsConfiguration=analytics)
    assert s3.get_bucket_analytics_configuration(Bucket=bucket, Id="a1")["AnalyticsConfiguration"]["Filter"] == {
        "Prefix": "logs/"}
    assert [c["Id"] for c in s3.list_bucket_analytics_configurations(Bucket=bucket)["AnalyticsConfigurationList"]] == [
        "a1"]

    tiering = {"Id": "t1", "Status": "Enabled", "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}]}
    s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1", IntelligentTieringConfiguration=tiering)
    got = s3.get_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1")["IntelligentTieringConfiguration"]
    assert got == tiering
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t2", IntelligentTieringConfiguration={
            "Id": "t2", "Status": "Enabled", "Tierings": [{"Days": 30, "AccessTier": "ARCHIVE_ACCESS"}]})
    assert _error(exc) == ("InvalidArgument", 400)
    s3.delete_bucket_intelligent_tiering_configuration(Bucket=bucket, Id="t1")
    assert "IntelligentTieringConfigurationList" not in s3.list_bucket_intelligent_tiering_configurations(Bucket=bucket)


def test_update_object_encryption_rekeys_a_version_in_place(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", StorageClass="STANDARD_IA")
    key_arn = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    s3.update_object_encryption(Bucket=bucket, Key="k", ObjectEncryption={
        "SSEKMS": {"KMSKeyArn": key_arn, "BucketKeyEnabled": True}})
    got = s3.get_object(Bucket=bucket, Key="k")
    assert (got["ServerSideEncryption"], got["SSEKMSKeyId"], got["BucketKeyEnabled"], got["StorageClass"],
            got["Body"].read()) == ("aws:kms", key_arn, True, "STANDARD_IA", b"data")
    for bad, code in (("this-is-not-a-kms-key-arn", "InvalidArgument"),  # the model's pattern
                      ("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "AccessDenied")):
        with pytest.raises(ClientError) as exc:
            s3.update_object_encryption(Bucket=bucket, Key="k", ObjectEncryption={"SSEKMS": {"KMSKeyArn": bad}})
        assert _error(exc)[0] == code
    with pytest.raises(ClientError) as exc:
        s3.update_object_encryption(Bucket=bucket, Key="missing", ObjectEncryption={"SSEKMS": {"KMSKeyArn": key_arn}})
    assert _error(exc) == ("NoSuchKey", 404)


def test_bucket_acls_are_kept_where_acls_are_enabled(s3: Any) -> None:
    name = f"cfg-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket=name)
    owner = s3.get_bucket_acl(Bucket=name)["Owner"]
    s3.put_bucket_acl(Bucket=name, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert {(g["Grantee"].get("URI") or g["Grantee"].get("ID"), g["Permission"]) for g in grants} == {
        (owner["ID"], "FULL_CONTROL"), ("http://acs.amazonaws.com/groups/global/AllUsers", "READ")}
    other = "a" * 64
    s3.put_bucket_acl(Bucket=name, GrantRead=f'id="{other}"', GrantFullControl=f'id="{owner["ID"]}"')
    grants = s3.get_bucket_acl(Bucket=name)["Grants"]
    assert {(g["Grantee"]["ID"], g["Permission"]) for g in grants} == {(other, "READ"), (owner["ID"], "FULL_CONTROL")}
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=name,
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert [g["Permission"] for g in s3.get_bucket_acl(Bucket=name)["Grants"]] == ["FULL_CONTROL"]


def test_restrict_public_buckets_limits_a_public_policy_to_the_owner_and_services() -> None:
    from gureum.policy import engine as E
    from gureum.services.s3.resource_policy import restricted

    owner, other = "111122223333", "444455556666"
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "all", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret"}]})
    policy = E.parse_policy(restricted(text, owner), kind="resource")

    def decision(principal: E.Principal, key: str = "k") -> E.Decision:
        return E.decide(E.PolicySet(resource=policy, resource_account=owner),
                        E.AuthRequest(principal, "s3:GetObject", f"arn:aws:s3:::b/{key}"))

    same = E.Principal(arn=f"arn:aws:iam::{owner}:user/u", account=owner, kind="user")
    foreign = E.Principal(arn=f"arn:aws:iam::{other}:user/u", account=other, kind="user")
    service = E.Principal(arn="logging.s3.amazonaws.com", account="", kind="service", service="logging.s3.amazonaws.com")
    anonymous = E.Principal(arn="*", account="", kind="anonymous")
    assert decision(same) is E.Decision.ALLOW and decision(service) is E.Decision.ALLOW
    assert decision(foreign) is not E.Decision.ALLOW and decision(anonymous) is not E.Decision.ALLOW
    assert decision(same, "secret") is E.Decision.DENY
    # another account's root is let in by the resource policy alone (the gate asks the policy's own verdict)
    foreign_root = E.Principal(arn=f"arn:aws:iam::{other}:root", account=other, kind="root")
    request = E.AuthRequest(foreign_root, "s3:GetObject", "arn:aws:s3:::b/k")
    assert E.statement_decision(E.parse_policy(text, kind="resource"), request) is E.Decision.ALLOW
    assert E.statement_decision(policy, request) is not E.Decision.ALLOW
