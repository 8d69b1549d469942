"""`--auth strict`: every request is decided by IAM's evaluation logic over the caller's
identity policies, permissions boundary, session policies and the resource's policy
(gureum/policy/gate.py). Each refusal here succeeded before the gate."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

A = "501000000001"
B = "501000000002"
REGION = "us-east-1"
ROOT_A = ("rootA", "secretA")
ROOT_B = ("rootB", "secretB")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("strict") / "data", [
        "--auth", "strict", "--set", f"auth.keys={ROOT_A[0]}:{ROOT_A[1]}:{A},{ROOT_B[0]}:{ROOT_B[1]}:{B}"])
    proc.start()
    yield proc
    proc.stop()


def _client(proc: GureumProcess, service: str, key: tuple[str, ...]) -> Any:
    kwargs: dict[str, str] = {"aws_access_key_id": key[0], "aws_secret_access_key": key[1]}
    if len(key) > 2:
        kwargs["aws_session_token"] = key[2]
    return proc.client(service, **kwargs)


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def _user(proc: GureumProcess, name: str) -> tuple[str, str]:
    iam = _client(proc, "iam", ROOT_A)
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _queue(proc: GureumProcess, root: tuple[str, str] = ROOT_A) -> str:
    return str(_client(proc, "sqs", root).create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"])


def _refused(call: Any, code: str = "AccessDenied") -> str:
    with pytest.raises(ClientError) as exc:
        call()
    assert exc.value.response["Error"]["Code"] == code
    return str(exc.value.response["Error"]["Message"])


def test_a_user_without_policies_is_refused_then_allowed_by_a_policy_then_refused_by_a_deny(strict: GureumProcess) -> None:
    name = f"u{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    url = _queue(strict)
    arn = f"arn:aws:sqs:{REGION}:{A}:{url.rsplit('/', 1)[1]}"
    sqs = _client(strict, "sqs", key)
    iam = _client(strict, "iam", ROOT_A)

    message = _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert message == (f"User: arn:aws:iam::{A}:user/{name} is not authorized to perform: sqs:SendMessage on resource: "
                       f"{arn} because no identity-based policy allows the sqs:SendMessage action")

    iam.put_user_policy(UserName=name, PolicyName="send", PolicyDocument=_policy(_allow("sqs:SendMessage", arn)))
    sqs.send_message(QueueUrl=url, MessageBody="x")
    _refused(lambda: sqs.receive_message(QueueUrl=url))  # only SendMessage was granted

    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=_policy(_deny("sqs:*")))
    message = _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert "with an explicit deny in an identity-based policy" in message

    iam.delete_user_policy(UserName=name, PolicyName="deny")
    sqs.send_message(QueueUrl=url, MessageBody="x")


def test_a_managed_policy_through_a_group_allows_and_its_detach_refuses_again(strict: GureumProcess) -> None:
    name = f"g{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    url = _queue(strict)
    iam = _client(strict, "iam", ROOT_A)
    sqs = _client(strict, "sqs", key)
    policy_arn = iam.create_policy(PolicyName=f"p{name}", PolicyDocument=_policy(_allow("sqs:*")))["Policy"]["Arn"]
    iam.create_group(GroupName=name)
    iam.add_user_to_group(GroupName=name, UserName=name)
    _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    iam.attach_group_policy(GroupName=name, PolicyArn=policy_arn)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    iam.detach_group_policy(GroupName=name, PolicyArn=policy_arn)
    _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))


def test_a_permissions_boundary_that_does_not_allow_the_action_refuses(strict: GureumProcess) -> None:
    name = f"b{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    url = _queue(strict)
    iam = _client(strict, "iam", ROOT_A)
    sqs = _client(strict, "sqs", key)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=_policy(_allow("sqs:*")))
    boundary = iam.create_policy(PolicyName=f"bound{name}",
                                 PolicyDocument=_policy(_allow("sqs:ReceiveMessage")))["Policy"]["Arn"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    message = _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert "because no permissions boundary allows the sqs:SendMessage action" in message
    sqs.receive_message(QueueUrl=url)  # inside both the policy and the boundary
    iam.delete_user_permissions_boundary(UserName=name)
    sqs.send_message(QueueUrl=url, MessageBody="x")


def test_an_assumed_role_session_is_limited_by_its_session_policy(strict: GureumProcess) -> None:
    iam = _client(strict, "iam", ROOT_A)
    role = f"r{uuid.uuid4().hex[:6]}"
    trust = _policy({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="sqs", PolicyDocument=_policy(_allow("sqs:*")))
    url = _queue(strict)
    sts = _client(strict, "sts", ROOT_A)

    full = sts.assume_role(RoleArn=role_arn, RoleSessionName="full")["Credentials"]
    full_sqs = _client(strict, "sqs", (full["AccessKeyId"], full["SecretAccessKey"], full["SessionToken"]))
    full_sqs.send_message(QueueUrl=url, MessageBody="x")

    narrow = sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow",
                             Policy=_policy(_allow("sqs:GetQueueAttributes")))["Credentials"]
    narrow_sqs = _client(strict, "sqs", (narrow["AccessKeyId"], narrow["SecretAccessKey"], narrow["SessionToken"]))
    message = _refused(lambda: narrow_sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert f"assumed-role/{role}/narrow is not authorized to perform: sqs:SendMessage" in message
    assert "because no session policy allows the sqs:SendMessage action" in message
    narrow_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    _refused(lambda: narrow_sqs.list_queues())  # the role allows it, the session policy does not


def test_a_role_whose_trust_policy_does_not_name_the_caller_cannot_be_assumed(strict: GureumProcess) -> None:
    iam = _client(strict, "iam", ROOT_A)
    role = f"t{uuid.uuid4().hex[:6]}"
    trust = _policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    message = _refused(lambda: _client(strict, "sts", ROOT_B).assume_role(RoleArn=role_arn, RoleSessionName="xx"))
    assert f"not authorized to perform: sts:AssumeRole on resource: {role_arn}" in message
    _refused(lambda: _client(strict, "sts", ROOT_A).assume_role(RoleArn=role_arn, RoleSessionName="xx"))


def test_cross_account_needs_both_the_identity_policy_and_the_resource_policy(strict: GureumProcess) -> None:
    name = f"x{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    url = _queue(strict, ROOT_B)
    arn = f"arn:aws:sqs:{REGION}:{B}:{url.rsplit('/', 1)[1]}"
    sqs = _client(strict, "sqs", key)
    iam = _client(strict, "iam", ROOT_A)

    iam.put_user_policy(UserName=name, PolicyName="send", PolicyDocument=_policy(_allow("sqs:SendMessage")))
    message = _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    assert "because no resource-based policy allows the sqs:SendMessage action" in message

    _client(strict, "sqs", ROOT_B).set_queue_attributes(QueueUrl=url, Attributes={"Policy": _policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/{name}"}, "Action": "sqs:SendMessage",
         "Resource": arn})})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    iam.delete_user_policy(UserName=name, PolicyName="send")
    _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    _refused(lambda: _client(strict, "sqs", ROOT_A).send_message(QueueUrl=url, MessageBody="x"))


def test_account_roots_may_do_anything_in_their_own_account(strict: GureumProcess) -> None:
    url = _queue(strict)
    sqs = _client(strict, "sqs", ROOT_A)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert _client(strict, "sts", ROOT_A).get_caller_identity()["Account"] == A
    _refused(lambda: _client(strict, "sqs", ROOT_B).send_message(QueueUrl=url, MessageBody="x"))


def test_refusals_take_each_services_shape_and_a_bucket_policy_naming_the_user_allows(strict: GureumProcess) -> None:
    name = f"s{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    bucket = f"strict-{uuid.uuid4().hex[:10]}"
    root_s3 = _client(strict, "s3", ROOT_A)
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    s3 = _client(strict, "s3", key)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    err = exc.value.response
    assert (err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDenied", "Access Denied", 403)
    root_s3.put_bucket_policy(Bucket=bucket, Policy=_policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:user/{name}"}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}))
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"

    topic = _client(strict, "sns", ROOT_A).create_topic(Name=f"t{name}")["TopicArn"]
    message = _refused(lambda: _client(strict, "sns", key).publish(TopicArn=topic, Message="m"), "AuthorizationError")
    assert message.startswith(f"User: arn:aws:iam::{A}:user/{name} is not authorized to perform: SNS:Publish on resource: {topic}")
    with pytest.raises(ClientError) as exc:
        _client(strict, "lambda", key).list_functions()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert exc.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::{A}:user/{name} is not authorized to perform: lambda:ListFunctions because no "
        "identity-based policy allows the lambda:ListFunctions action")
    with pytest.raises(ClientError) as exc:
        _client(strict, "ecr", key).describe_repositories()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    _refused(lambda: _client(strict, "iam", key).list_users())
    assert _client(strict, "sts", key).get_caller_identity()["Arn"].endswith(f":user/{name}")


def test_a_copy_needs_read_access_to_its_source_as_well(strict: GureumProcess) -> None:
    name = f"c{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    bucket = f"copy-{uuid.uuid4().hex[:10]}"
    root_s3 = _client(strict, "s3", ROOT_A)
    root_s3.create_bucket(Bucket=bucket)
    root_s3.put_object(Bucket=bucket, Key="secret", Body=b"data")
    iam = _client(strict, "iam", ROOT_A)
    iam.put_user_policy(UserName=name, PolicyName="put", PolicyDocument=_policy(
        _allow("s3:PutObject", f"arn:aws:s3:::{bucket}/public/*")))
    s3 = _client(strict, "s3", key)
    s3.put_object(Bucket=bucket, Key="public/mine", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="public/leak", CopySource=f"{bucket}/secret")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    iam.put_user_policy(UserName=name, PolicyName="get", PolicyDocument=_policy(
        _allow("s3:GetObject", f"arn:aws:s3:::{bucket}/secret")))
    s3.copy_object(Bucket=bucket, Key="public/copy", CopySource=f"{bucket}/secret")


def test_handing_a_role_to_lambda_needs_iam_pass_role(strict: GureumProcess) -> None:
    """Without iam:PassRole a user allowed lambda:CreateFunction could run code with the
    credentials of any role in the account (privilege escalation)."""
    import io
    import zipfile

    name = f"p{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    iam = _client(strict, "iam", ROOT_A)
    trust = _policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=f"admin{name}", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_user_policy(UserName=name, PolicyName="lambda", PolicyDocument=_policy(_allow("lambda:*")))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    lam = _client(strict, "lambda", key)

    def create() -> Any:
        return lam.create_function(FunctionName=f"f{name}", Runtime="python3.12", Role=role_arn,
                                   Handler="app.handler", Code={"ZipFile": buf.getvalue()})

    with pytest.raises(ClientError) as exc:
        create()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"not authorized to perform: iam:PassRole on resource: {role_arn}" in exc.value.response["Error"]["Message"]
    iam.put_user_policy(UserName=name, PolicyName="pass", PolicyDocument=_policy({
        "Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}))
    assert create()["Role"] == role_arn
    lam.delete_function(FunctionName=f"f{name}")


def test_conditions_see_the_requests_global_keys(strict: GureumProcess) -> None:
    name = f"k{uuid.uuid4().hex[:6]}"
    key = _user(strict, name)
    url = _queue(strict)
    iam = _client(strict, "iam", ROOT_A)
    sqs = _client(strict, "sqs", key)
    iam.put_user_policy(UserName=name, PolicyName="elsewhere", PolicyDocument=_policy({
        "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}))
    _refused(lambda: sqs.send_message(QueueUrl=url, MessageBody="x"))
    iam.put_user_policy(UserName=name, PolicyName="loopback", PolicyDocument=_policy({
        "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}, "StringEquals": {"aws:username": name}}}))
    sqs.send_message(QueueUrl=url, MessageBody="x")


@pytest.mark.parametrize("topic", ["arn:x", "arn:aws", "arn:aws:sns"])
def test_a_truncated_arn_is_refused_as_the_service_refuses_it(strict: GureumProcess, topic: str) -> None:
    # The gate looked the resource policy up by `arn.split(":", 3)[2]`: an ARN with fewer
    # than three fields raised IndexError there and the client got a 500.
    with pytest.raises(ClientError) as exc:
        _client(strict, "sns", ROOT_A).publish(TopicArn=topic, Message="x")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert exc.value.response["Error"]["Code"] == "InvalidParameter"
