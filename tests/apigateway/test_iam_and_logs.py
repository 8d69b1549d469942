"""AWS_IAM authorization of REST API methods under `--auth strict` (SigV4 for execute-api
verified, execute-api:Invoke decided by the caller's identity policies, AWS's 403s) and stage
access logs written to CloudWatch Logs in the stage's format."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from harness import GureumProcess
from waiting import wait_for

A = "502000000001"
ROOT = ("apigwRootA", "apigwSecretA")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("apigw-strict") / "data",
                         ["--auth", "strict", "--set", f"auth.keys={ROOT[0]}:{ROOT[1]}:{A}"])
    proc.start()
    yield proc
    proc.stop()


def client(proc: GureumProcess, service: str, key: tuple[str, str] = ROOT) -> Any:
    return proc.client(service, aws_access_key_id=key[0], aws_secret_access_key=key[1])


def send(proc: GureumProcess, path: str, key: tuple[str, str] | None = None, service: str = "execute-api") -> tuple[int, Any]:
    url = f"{proc.endpoint}{path}"
    headers: dict[str, str] = {}
    if key is not None:
        req = AWSRequest(method="GET", url=url, data=b"")
        SigV4Auth(Credentials(key[0], key[1]), service, "us-east-1").add_auth(req)
        headers = dict(req.headers.items())
    port = int(proc.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


def mock_api(apigw: Any, authorization: str = "NONE") -> str:
    api = apigw.create_rest_api(name=f"iam-{uuid.uuid4().hex[:6]}")
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="who")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType=authorization)
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"caller": "$context.identity.userArn"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return str(api["id"])


def test_aws_iam_methods_need_a_valid_signature_and_an_allowing_policy(strict: GureumProcess) -> None:
    api = mock_api(client(strict, "apigateway"), "AWS_IAM")
    path = f"/_aws/execute-api/{api}/prod/who"
    assert send(strict, path) == (403, {"message": "Missing Authentication Token"})
    status, body = send(strict, path, ROOT)
    assert (status, body) == (200, {"caller": f"arn:aws:iam::{A}:root"})
    status, _ = send(strict, path, (ROOT[0], "wrong-secret"))
    assert status == 403
    iam = client(strict, "iam")
    name = f"u{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    user_key = (k["AccessKeyId"], k["SecretAccessKey"])
    method_arn = f"arn:aws:execute-api:us-east-1:{A}:{api}/prod/GET/who"
    status, body = send(strict, path, user_key)
    assert status == 403
    assert body == {"Message": f"User: arn:aws:iam::{A}:user/{name} is not authorized to perform: "
                               f"execute-api:Invoke on resource: {method_arn}"}
    iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke",
                                                "Resource": f"arn:aws:execute-api:us-east-1:{A}:{api}/*/GET/*"}]}))
    status, body = send(strict, path, user_key)
    assert (status, body) == (200, {"caller": f"arn:aws:iam::{A}:user/{name}"})


def test_access_logs_reach_cloudwatch_logs_in_the_stage_format(gureum: Any) -> None:
    apigw, logs = gureum.client("apigateway"), gureum.client("logs")
    api = mock_api(apigw)
    group = f"/apigw/access-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    fmt = '{"requestId":"$context.requestId","method":"$context.httpMethod","path":"$context.resourcePath","status":"$context.status","ip":"$context.identity.sourceIp","err":"$context.error.message"}'
    apigw.update_stage(restApiId=api, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": group_arn},
        {"op": "replace", "path": "/accessLogSettings/format", "value": fmt}])
    assert apigw.get_stage(restApiId=api, stageName="prod")["accessLogSettings"]["format"] == fmt
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    for path in ("/who", "/nothing"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/_aws/execute-api/{api}/prod{path}")
        conn.getresponse().read()
        conn.close()
    lines: list[dict[str, Any]] = []

    def logged() -> bool:
        lines[:] = [json.loads(e["message"]) for e in logs.filter_log_events(logGroupName=group)["events"]]
        return len(lines) == 2

    wait_for("two access log lines", logged, 30)
    by_status = {line["status"]: line for line in lines}
    assert by_status["200"]["method"] == "GET" and by_status["200"]["path"] == "/who" and by_status["200"]["ip"] == "127.0.0.1"
    assert by_status["200"]["err"] == "-" and by_status["403"]["err"] == "Missing Authentication Token"


def test_strict_mode_authorizes_the_control_plane_by_http_verb(strict: GureumProcess) -> None:
    from botocore.exceptions import ClientError

    iam = client(strict, "iam")
    name = f"c{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=name)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    apigw = client(strict, "apigateway", (k["AccessKeyId"], k["SecretAccessKey"]))
    with pytest.raises(ClientError) as e:
        apigw.get_rest_apis()
    err = e.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 403)
    assert f"user/{name} is not authorized to perform: apigateway:GET on resource: arn:aws:apigateway:us-east-1::/restapis" \
        in err["Error"]["Message"]
    iam.put_user_policy(UserName=name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "apigateway:GET",
                                                "Resource": "arn:aws:apigateway:us-east-1::/restapis*"}]}))
    assert "items" in apigw.get_rest_apis()
    with pytest.raises(ClientError) as e:
        apigw.create_rest_api(name="nope")  # apigateway:POST is not allowed
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"


def test_strict_mode_service_integrations_act_within_their_role(strict: GureumProcess) -> None:
    apigw, iam, sqs = client(strict, "apigateway"), client(strict, "iam"), client(strict, "sqs")
    queue_url = sqs.create_queue(QueueName=f"q{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_name = queue_url.rsplit("/", 1)[1]
    role_name = f"r{uuid.uuid4().hex[:6]}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "apigateway.amazonaws.com"}}]}))["Role"]["Arn"]
    api = apigw.create_rest_api(name="svc")
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="q")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                          credentials=role, uri=f"arn:aws:apigateway:us-east-1:sqs:path/{A}/{queue_name}",
                          requestTemplates={"application/json": "Action=SendMessage&MessageBody=$input.body"})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="POST", statusCode="200")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    port = int(strict.endpoint.rsplit(":", 1)[1])

    def post() -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", f"/_aws/execute-api/{api['id']}/prod/q", body=b"hello", headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status

    assert post() == 500  # the role may not send to the queue
    iam.put_role_policy(RoleName=role_name, PolicyName="send", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}))
    wait_for("the role's new policy to apply", lambda: post() == 200, 30)
    got = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["hello"]
