"""S3 responses (rest-xml, headers included) walked against botocore's output shapes
(tests/aws/shape_check.py): buckets, objects, versions, multipart uploads, tags, ACLs, CORS,
policies and notifications."""

from __future__ import annotations

import json
import uuid
from typing import Any

from shape_check import ShapeRecorder


def test_s3_responses_match_the_model(gureum: Any) -> None:
    s3 = gureum.client("s3")
    rec = ShapeRecorder(s3)
    b = f"shape-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=b)
    s3.head_bucket(Bucket=b)
    s3.get_bucket_location(Bucket=b)
    s3.list_buckets()
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    s3.get_bucket_versioning(Bucket=b)
    s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.get_bucket_tagging(Bucket=b)
    s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"],
                                                                   "MaxAgeSeconds": 10}]})
    s3.get_bucket_cors(Bucket=b)
    s3.delete_public_access_block(Bucket=b)  # new buckets block public policies, as AWS's do
    s3.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*"}]}))
    s3.get_bucket_policy(Bucket=b)
    s3.get_bucket_acl(Bucket=b)
    s3.put_bucket_acl(Bucket=b, ACL="private")
    s3.get_bucket_notification_configuration(Bucket=b)
    s3.put_bucket_notification_configuration(Bucket=b, NotificationConfiguration={})
    s3.put_object(Bucket=b, Key="a.txt", Body=b"hello", ContentType="text/plain", Metadata={"m": "1"},
                  Tagging="t=1")
    s3.put_object(Bucket=b, Key="a.txt", Body=b"hello again")
    s3.head_object(Bucket=b, Key="a.txt")
    s3.get_object(Bucket=b, Key="a.txt")["Body"].read()
    s3.get_object(Bucket=b, Key="a.txt", Range="bytes=0-1")["Body"].read()
    s3.copy_object(Bucket=b, Key="b.txt", CopySource={"Bucket": b, "Key": "a.txt"})
    s3.get_object_tagging(Bucket=b, Key="a.txt")
    s3.put_object_tagging(Bucket=b, Key="a.txt", Tagging={"TagSet": [{"Key": "x", "Value": "y"}]})
    s3.delete_object_tagging(Bucket=b, Key="a.txt")
    s3.get_object_acl(Bucket=b, Key="a.txt")
    s3.put_object_acl(Bucket=b, Key="a.txt", ACL="private")
    s3.list_objects(Bucket=b)
    s3.list_objects_v2(Bucket=b, MaxKeys=1)
    s3.list_objects_v2(Bucket=b, Delimiter="/", Prefix="a", FetchOwner=True)
    s3.list_object_versions(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    s3.list_multipart_uploads(Bucket=b)
    p1 = s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"x" * (5 * 1024 * 1024))["ETag"]
    p2 = s3.upload_part_copy(Bucket=b, Key="big", UploadId=up, PartNumber=2,
                             CopySource={"Bucket": b, "Key": "a.txt"})["CopyPartResult"]["ETag"]
    s3.list_parts(Bucket=b, Key="big", UploadId=up)
    s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p1}, {"PartNumber": 2, "ETag": p2}]})
    up2 = s3.create_multipart_upload(Bucket=b, Key="gone")["UploadId"]
    s3.abort_multipart_upload(Bucket=b, Key="gone", UploadId=up2)
    s3.delete_object(Bucket=b, Key="b.txt")
    s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a.txt"}, {"Key": "missing"}]})
    versions = s3.list_object_versions(Bucket=b)
    objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions.get("Versions", []) +
            versions.get("DeleteMarkers", [])]
    s3.delete_objects(Bucket=b, Delete={"Objects": objs})
    s3.delete_bucket_cors(Bucket=b)
    s3.delete_bucket_policy(Bucket=b)
    s3.delete_bucket_tagging(Bucket=b)
    s3.delete_bucket(Bucket=b)
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 35, sorted(rec.operations)
