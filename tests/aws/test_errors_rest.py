"""Errors of the REST services (Route 53 rest-xml, Lambda rest-json, S3 rest-xml with its own
<Error> document), provoked through boto3 and read raw (tests/aws/shape_check.py's
expect_error): code, Type where the protocol sends one, the HTTP status the error shape
declares (or S3's error table), the members AWS sends (Lambda's Type, S3's BucketName/Key),
and that the operation documents the error."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

from botocore.config import Config
from shape_check import ShapeRecorder, expect_error

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_"))
from lambda_helpers import TRUST, zip_of  # noqa: E402

LOOSE = Config(retries={"max_attempts": 1}, parameter_validation=False)


def test_route53_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    r53 = gureum.client("route53", config=LOOSE)
    rec = ShapeRecorder(r53)
    n = uuid.uuid4().hex[:8]
    expect_error(rec, lambda: r53.get_hosted_zone(Id="Z0000000000000000000"), "NoSuchHostedZone")
    expect_error(rec, lambda: r53.list_resource_record_sets(HostedZoneId="Z0000000000000000000"), "NoSuchHostedZone")
    zone = r53.create_hosted_zone(Name=f"{n}.example.com", CallerReference=n)["HostedZone"]["Id"]
    expect_error(rec, lambda: r53.create_hosted_zone(Name=f"other-{n}.example.com", CallerReference=n),
                 "HostedZoneAlreadyExists")
    rrset = {"Name": f"www.{n}.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}
    expect_error(rec, lambda: r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": rrset}]}), "InvalidChangeBatch")
    expect_error(rec, lambda: r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {**rrset, "Name": "www.elsewhere.org"}}]}), "InvalidChangeBatch")
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": rrset}]})
    expect_error(rec, lambda: r53.delete_hosted_zone(Id=zone), "HostedZoneNotEmpty")
    expect_error(rec, lambda: r53.get_change(Id="C0000000000000000000"), "NoSuchChange")
    expect_error(rec, lambda: r53.get_health_check(HealthCheckId=str(uuid.uuid4())), "NoSuchHealthCheck")
    expect_error(rec, lambda: r53.get_hosted_zone_limit(Type="BOGUS", HostedZoneId=zone), "InvalidInput")
    expect_error(rec, lambda: r53.get_reusable_delegation_set(Id="N0000000000000000000"), "NoSuchDelegationSet")
    expect_error(rec, lambda: r53.list_cidr_blocks(CollectionId=str(uuid.uuid4())), "NoSuchCidrCollectionException")
    expect_error(rec, lambda: r53.get_traffic_policy(Id=str(uuid.uuid4()), Version=1), "NoSuchTrafficPolicy")
    expect_error(rec, lambda: r53.list_tags_for_resource(ResourceType="hostedzone", ResourceId="Z0000000000000000000"),
                 "NoSuchHostedZone")
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": rrset}]})
    r53.delete_hosted_zone(Id=zone)


def test_lambda_errors_are_shaped_as_the_model_says(gureum: Any) -> None:
    lam = gureum.client("lambda", config=LOOSE)
    rec = ShapeRecorder(lam)
    n = uuid.uuid4().hex[:8]
    fn = f"le-{n}"
    role = gureum.client("iam").create_role(RoleName=f"le-{n}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    expect_error(rec, lambda: lam.get_function(FunctionName=fn), "ResourceNotFoundException", members=["Type"])
    expect_error(rec, lambda: lam.invoke(FunctionName=fn, Payload=b"{}"), "ResourceNotFoundException", members=["Type"])
    code = zip_of({"app.py": "def handler(event, context):\n    return 1\n"})
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler", Code={"ZipFile": code})
    expect_error(rec, lambda: lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler",
                                                  Code={"ZipFile": code}), "ResourceConflictException", members=["Type"])
    expect_error(rec, lambda: lam.get_alias(FunctionName=fn, Name="missing"), "ResourceNotFoundException", members=["Type"])
    expect_error(rec, lambda: lam.get_policy(FunctionName=fn), "ResourceNotFoundException", members=["Type"])
    expect_error(rec, lambda: lam.remove_permission(FunctionName=fn, StatementId="missing"), "ResourceNotFoundException",
                 members=["Type"])
    expect_error(rec, lambda: lam.get_function_event_invoke_config(FunctionName=fn), "ResourceNotFoundException",
                 members=["Type"])
    lam.get_waiter("function_active_v2").wait(FunctionName=fn)
    expect_error(rec, lambda: lam.update_function_configuration(FunctionName=fn, Timeout=5, RevisionId=str(uuid.uuid4())),
                 "PreconditionFailedException", members=["Type"])
    expect_error(rec, lambda: lam.create_function(FunctionName=f"{fn}-b", Runtime="python3.12", Role="not-a-role",
                                                  Handler="app.handler", Code={"ZipFile": code}),
                 "ValidationException", documented=False)
    expect_error(rec, lambda: lam.create_function(FunctionName=f"{fn}-c", Runtime="python3.12", Role=role,
                                                  Handler="app.handler", Code={"ZipFile": b"not a zip"}),
                 "InvalidParameterValueException", members=["Type"])
    expect_error(rec, lambda: lam.invoke(FunctionName=fn, Payload=b"x" * (6 * 1024 * 1024 + 1)),
                 "RequestTooLargeException", members=["Type"])
    expect_error(rec, lambda: lam.delete_function_url_config(FunctionName=fn), "ResourceNotFoundException",
                 members=["Type"])
    expect_error(rec, lambda: lam.get_layer_version(LayerName=f"missing-{n}", VersionNumber=1),
                 "ResourceNotFoundException", members=["Type"])
    lam.delete_function(FunctionName=fn)


def test_s3_errors_are_shaped_as_aws_sends_them(gureum: Any) -> None:
    # Most S3 errors are not in botocore's model: their statuses are the S3 API reference's
    # "List of error codes" (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
    s3 = gureum.client("s3", config=LOOSE)
    rec = ShapeRecorder(s3)
    b = f"errors-{uuid.uuid4().hex[:8]}"
    doc = expect_error(rec, lambda: s3.list_objects_v2(Bucket=b), "NoSuchBucket", members=["BucketName"])
    assert doc.fields["BucketName"] == b
    s3.create_bucket(Bucket=b)
    doc = expect_error(rec, lambda: s3.get_object(Bucket=b, Key="missing"), "NoSuchKey", members=["Key"])
    assert doc.fields["Key"] == "missing"
    expect_error(rec, lambda: s3.get_bucket_tagging(Bucket=b), "NoSuchTagSet", status=404, documented=False)
    expect_error(rec, lambda: s3.get_bucket_cors(Bucket=b), "NoSuchCORSConfiguration", status=404, documented=False)
    expect_error(rec, lambda: s3.get_bucket_policy(Bucket=b), "NoSuchBucketPolicy", status=404, documented=False)
    expect_error(rec, lambda: s3.list_parts(Bucket=b, Key="k", UploadId="missing"), "NoSuchUpload", documented=False)
    expect_error(rec, lambda: s3.abort_multipart_upload(Bucket=b, Key="k", UploadId="missing"), "NoSuchUpload")
    s3.put_object(Bucket=b, Key="k", Body=b"abc")
    expect_error(rec, lambda: s3.get_object(Bucket=b, Key="k", Range="bytes=10-20"), "InvalidRange", status=416, documented=False)
    expect_error(rec, lambda: s3.get_object(Bucket=b, Key="k", IfMatch='"nope"'), "PreconditionFailed", status=412, documented=False)
    expect_error(rec, lambda: s3.put_bucket_policy(Bucket=b, Policy="{"), "MalformedPolicy", status=400, documented=False)
    expect_error(rec, lambda: s3.delete_bucket(Bucket=b), "BucketNotEmpty", status=409, documented=False)
    expect_error(rec, lambda: s3.create_bucket(Bucket="Bad_Bucket_Name"), "InvalidBucketName", status=400, documented=False)
    s3.delete_object(Bucket=b, Key="k")
    s3.delete_bucket(Bucket=b)
