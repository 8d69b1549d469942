"""A resource policy the policy engine cannot read is refused at write, in each service's own
error (gureum/policy/resource_policies.unreadable): the authorization gate skips a document it
cannot parse, so a Deny stored in one would be lost. SQS queue and SNS topic policies, S3
bucket policies, ECR repository policies and Lambda's AddPermission; a readable Deny is kept."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_"))
from lambda_helpers import TRUST, zip_of  # noqa: E402

ACCOUNT = "000000000000"


def _n(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _deny(resource: str, action: str, **extra: Any) -> str:
    """A Deny statement; without `Principal` the policy language cannot read it as a
    resource policy ('Missing required field Principal.')."""
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "d", "Effect": "Deny", "Action": action, "Resource": resource, **extra}]})


def refused(call: Any, **kwargs: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    return (e.value.response["ResponseMetadata"]["HTTPStatusCode"], e.value.response["Error"]["Code"],
            e.value.response["Error"]["Message"])


def test_sqs_queue_policy(gureum: Any) -> None:
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName=_n("q"))["QueueUrl"]
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{url.rsplit('/', 1)[1]}"
    want = (400, "InvalidAttributeValue", "Invalid value for the parameter Policy.")
    assert refused(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": _deny(arn, "sqs:*")}) == want
    assert refused(sqs.create_queue, QueueName=_n("q"), Attributes={"Policy": _deny(arn, "sqs:*")}) == want
    readable = _deny(arn, "sqs:SendMessage", Principal="*")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": readable})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == readable


def test_sns_topic_policy(gureum: Any) -> None:
    sns = gureum.client("sns")
    arn = sns.create_topic(Name=_n("t"))["TopicArn"]
    assert refused(sns.set_topic_attributes, TopicArn=arn, AttributeName="Policy",
                   AttributeValue=_deny(arn, "sns:Publish")) == (
        400, "InvalidParameter", "Invalid parameter: Policy Error: Missing required field Principal.")
    assert refused(sns.set_topic_attributes, TopicArn=arn, AttributeName="Policy",
                   AttributeValue=_deny(arn, "sns:Publish", Principal={"AWS": "arn:aws:iam::123456789012:role/*"})) == (
        400, "InvalidParameter",
        'Invalid parameter: Policy Error: Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"')
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                             AttributeValue=_deny(arn, "sns:Publish", Principal="*"))


def test_s3_bucket_policy(gureum: Any) -> None:
    s3 = gureum.client("s3")
    bucket = _n("b")
    s3.create_bucket(Bucket=bucket)
    res = f"arn:aws:s3:::{bucket}/*"
    assert refused(s3.put_bucket_policy, Bucket=bucket, Policy=_deny(res, "s3:GetObject")) == (
        400, "MalformedPolicy", "Missing required field Principal")
    assert refused(s3.put_bucket_policy, Bucket=bucket,
                   Policy=_deny(res, "s3:GetObject", Principal="*", Condition={"StringEquals": "x"})) == (
        400, "MalformedPolicy", "Invalid policy syntax.")
    assert refused(s3.put_bucket_policy, Bucket=bucket, Policy="not json") == (
        400, "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
    s3.put_bucket_policy(Bucket=bucket, Policy=_deny(res, "s3:GetObject", Principal="*"))


def test_ecr_repository_policy(gureum: Any) -> None:
    ecr = gureum.client("ecr")
    name = _n("r")
    ecr.create_repository(repositoryName=name)
    assert refused(ecr.set_repository_policy, repositoryName=name, policyText=_deny("*", "ecr:*")) == (
        400, "InvalidParameterException",
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
    ecr.set_repository_policy(repositoryName=name, policyText=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "d", "Effect": "Deny", "Principal": "*", "Action": "ecr:BatchGetImage"}]}))


def test_lambda_permission_principals(gureum: Any) -> None:
    lam = gureum.client("lambda")
    role = gureum.client("iam").create_role(RoleName=_n("r"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    fn = lam.create_function(FunctionName=_n("f"), Runtime="python3.12", Role=role, Handler="a.h",
                             Code={"ZipFile": zip_of({"a.py": "def h(e, c):\n    return 1\n"})})["FunctionName"]
    assert refused(lam.add_permission, FunctionName=fn, StatementId="s1", Action="lambda:InvokeFunction",
                   Principal="arn:aws:iam::123456789012:role/*") == (
        400, "InvalidParameterValueException",
        "The provided principal was invalid. Please check the principal and try again.")
    # Alexa's principals are services, as AWS writes them
    st = json.loads(lam.add_permission(FunctionName=fn, StatementId="s2", Action="lambda:InvokeFunction",
                                       Principal="alexa-appkit.amazon.com")["Statement"])
    assert st["Principal"] == {"Service": "alexa-appkit.amazon.com"}
