"""The bucket configuration answers (rest-xml, headers included) walked against botocore's
output shapes (tests/aws/shape_check.py): encryption, ownership, public access block, policy
status, lifecycle, website, replication, logging, request payment, acceleration, ABAC, the
named analytics / inventory / metrics / Intelligent-Tiering configurations, and objects
written under a KMS default and a replication rule."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from shape_check import ShapeRecorder
from waiting import wait_for


def test_bucket_configuration_responses_match_the_model(gureum: Any) -> None:
    s3 = gureum.client("s3")
    rec = ShapeRecorder(s3)
    b, dest = f"shape-{uuid.uuid4().hex[:8]}", f"shape-{uuid.uuid4().hex[:8]}"
    for name in (b, dest):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.get_bucket_encryption(Bucket=b)
    s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"},
        "BucketKeyEnabled": True}]})
    s3.get_bucket_encryption(Bucket=b)
    s3.get_bucket_ownership_controls(Bucket=b)
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.get_public_access_block(Bucket=b)
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
    s3.get_bucket_policy_status(Bucket=b)
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "r", "Status": "Enabled", "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "a", "Value": "b"}]}},
         "Expiration": {"Date": dt.datetime(2031, 1, 1, tzinfo=dt.UTC)},
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}],
         "NoncurrentVersionExpiration": {"NoncurrentDays": 3, "NewerNoncurrentVersions": 2}}]})
    s3.get_bucket_lifecycle_configuration(Bucket=b)  # (GetBucketLifecycle is the same request: same answer)
    s3.put_bucket_website(Bucket=b, WebsiteConfiguration={
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "e.html"},
        "RoutingRules": [{"Condition": {"HttpErrorCodeReturnedEquals": "404"}, "Redirect": {"ReplaceKeyWith": "x"}}]})
    s3.get_bucket_website(Bucket=b)
    s3.put_bucket_replication(Bucket=b, ReplicationConfiguration={"Role": "arn:aws:iam::000000000000:role/r", "Rules": [
        {"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {}, "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}]})
    s3.get_bucket_replication(Bucket=b)
    s3.put_bucket_logging(Bucket=b, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": dest, "TargetPrefix": "l/"}})
    s3.get_bucket_logging(Bucket=b)
    s3.put_bucket_request_payment(Bucket=b, RequestPaymentConfiguration={"Payer": "Requester"})
    s3.get_bucket_request_payment(Bucket=b)
    s3.put_bucket_accelerate_configuration(Bucket=b, AccelerateConfiguration={"Status": "Enabled"})
    s3.get_bucket_accelerate_configuration(Bucket=b)
    s3.put_bucket_abac(Bucket=b, AbacStatus={"Status": "Enabled"})
    s3.get_bucket_abac(Bucket=b)
    s3.put_bucket_metrics_configuration(Bucket=b, Id="m", MetricsConfiguration={"Id": "m", "Filter": {"Prefix": "p"}})
    s3.get_bucket_metrics_configuration(Bucket=b, Id="m")
    s3.list_bucket_metrics_configurations(Bucket=b)
    s3.put_bucket_analytics_configuration(Bucket=b, Id="a", AnalyticsConfiguration={"Id": "a", "StorageClassAnalysis": {}})
    s3.get_bucket_analytics_configuration(Bucket=b, Id="a")
    s3.list_bucket_analytics_configurations(Bucket=b)
    s3.put_bucket_inventory_configuration(Bucket=b, Id="i", InventoryConfiguration={
        "Id": "i", "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Weekly"},
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{dest}", "Format": "Parquet"}}})
    s3.get_bucket_inventory_configuration(Bucket=b, Id="i")
    s3.list_bucket_inventory_configurations(Bucket=b)
    s3.put_bucket_intelligent_tiering_configuration(Bucket=b, Id="t", IntelligentTieringConfiguration={
        "Id": "t", "Status": "Enabled", "Tierings": [{"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]})
    s3.get_bucket_intelligent_tiering_configuration(Bucket=b, Id="t")
    s3.list_bucket_intelligent_tiering_configurations(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x")
    wait_for("k replicated", lambda: s3.head_object(Bucket=b, Key="k").get("ReplicationStatus") == "COMPLETED")
    s3.get_object(Bucket=b, Key="k")["Body"].read()
    s3.head_object(Bucket=dest, Key="k")
    s3.update_object_encryption(Bucket=b, Key="k", ObjectEncryption={"SSEKMS": {
        "KMSKeyArn": "arn:aws:kms:us-east-1:000000000000:key/abcd-1234"}})
    for delete in (s3.delete_bucket_encryption, s3.delete_bucket_ownership_controls, s3.delete_public_access_block,
                   s3.delete_bucket_lifecycle, s3.delete_bucket_website, s3.delete_bucket_replication):
        delete(Bucket=b)
    for delete_named in (s3.delete_bucket_metrics_configuration, s3.delete_bucket_analytics_configuration,
                         s3.delete_bucket_inventory_configuration, s3.delete_bucket_intelligent_tiering_configuration):
        delete_named(Bucket=b, Id={"delete_bucket_metrics_configuration": "m",
                                   "delete_bucket_analytics_configuration": "a",
                                   "delete_bucket_inventory_configuration": "i"}.get(delete_named.__name__, "t"))
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 50, sorted(rec.operations)
