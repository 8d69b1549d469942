"""REST API AWS integrations with DynamoDB end to end: `arn:aws:apigateway:<region>:dynamodb:
action/PutItem` and `action/Query` with VTL request templates building the operation's JSON,
called as the integration's role through DynamoDB's own handlers; the item written through the
API is read back by boto3 and by a Query through the API; DynamoDB's errors (an unknown
table) reach the integration responses with their status and __type; under `--auth strict`
the role's policy decides (AccessDeniedException passed on); a role API Gateway cannot assume
is AWS's 500."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from harness import GureumProcess
from lambda_.lambda_helpers import TRUST

A = "502000000002"
ROOT = ("apigwDdbRoot", "apigwDdbSecret")
BOTH = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
    "Service": ["apigateway.amazonaws.com"]}}]}


def call(gureum: Any, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


def make_table(ddb: Any) -> str:
    table = f"orders-{uuid.uuid4().hex[:6]}"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "customer", "AttributeType": "S"},
                                           {"AttributeName": "n", "AttributeType": "N"}],
                     KeySchema=[{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}])
    ddb.get_waiter("table_exists").wait(TableName=table)
    return table


def make_role(iam: Any, actions: list[str]) -> str:
    role: str = iam.create_role(RoleName=f"apigw-ddb-{uuid.uuid4().hex[:8]}",
                                AssumeRolePolicyDocument=json.dumps(BOTH))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role.rsplit("/", 1)[1], PolicyName="ddb", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return role


def orders_api(apigw: Any, role: str, table: str) -> str:
    """POST /orders (PutItem) and GET /orders/{customer} (Query) on `table` as `role`; the
    base path of its prod stage."""
    api = apigw.create_rest_api(name=f"ddb-{uuid.uuid4().hex[:6]}")
    api_id, root = api["id"], api["rootResourceId"]
    orders = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    customer = apigw.create_resource(restApiId=api_id, parentId=orders, pathPart="{customer}")["id"]

    def method(rid: str, verb: str, action: str, template: str, response: str) -> None:
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod=verb, authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod=verb, type="AWS", integrationHttpMethod="POST",
                              uri=f"arn:aws:apigateway:us-east-1:dynamodb:action/{action}", credentials=role,
                              requestTemplates={"application/json": template})
        for status, pattern, out in (("200", None, response), ("400", "4\\d\\d", '{"error": "$input.path(\'$.__type\')"}')):
            apigw.put_method_response(restApiId=api_id, resourceId=rid, httpMethod=verb, statusCode=status)
            apigw.put_integration_response(restApiId=api_id, resourceId=rid, httpMethod=verb, statusCode=status,
                                           responseTemplates={"application/json": out},
                                           **({"selectionPattern": pattern} if pattern else {}))

    method(orders, "POST", "PutItem",
           '{"TableName": "$stageVariables.table", "Item": {"customer": {"S": "$input.path(\'$.customer\')"}, '
           '"n": {"N": "$input.path(\'$.n\')"}, "what": {"S": "$util.escapeJavaScript($input.path(\'$.what\'))"}}}',
           '{"stored": true}')
    method(customer, "GET", "Query",
           '{"TableName": "$stageVariables.table", "KeyConditionExpression": "customer = :c", '
           '"ExpressionAttributeValues": {":c": {"S": "$input.params(\'customer\')"}}}',
           '{"count": $input.path(\'$.Count\'), "first": "$input.path(\'$.Items[0].what.S\')"}')
    apigw.create_deployment(restApiId=api_id, stageName="prod", variables={"table": table})
    return f"/_aws/execute-api/{api_id}/prod"


def test_put_item_then_query_through_the_api(gureum: Any) -> None:
    apigw, ddb, iam = gureum.client("apigateway"), gureum.client("dynamodb"), gureum.client("iam")
    table = make_table(ddb)
    base = orders_api(apigw, make_role(iam, ["dynamodb:PutItem", "dynamodb:Query"]), table)
    for n, what in ((1, "tea"), (2, "cake")):
        status, body = call(gureum, "POST", base + "/orders", json.dumps({"customer": "kim", "n": n, "what": what}).encode())
        assert (status, body) == (200, {"stored": True})
    got = ddb.get_item(TableName=table, Key={"customer": {"S": "kim"}, "n": {"N": "2"}})["Item"]
    assert got["what"] == {"S": "cake"}
    assert call(gureum, "GET", base + "/orders/kim") == (200, {"count": 2, "first": "tea"})
    assert call(gureum, "GET", base + "/orders/lee") == (200, {"count": 0, "first": ""})

    api_id = base.split("/")[3]
    apigw.update_stage(restApiId=api_id, stageName="prod",
                       patchOperations=[{"op": "replace", "path": "/variables/table", "value": "no-such-table"}])
    status, body = call(gureum, "GET", base + "/orders/kim")
    assert (status, body) == (400, {"error": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"})


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("apigw-ddb-strict") / "data",
                         ["--auth", "strict", "--set", f"auth.keys={ROOT[0]}:{ROOT[1]}:{A}"])
    proc.start()
    yield proc
    proc.stop()


def test_strict_mode_the_role_policy_decides(strict: GureumProcess) -> None:
    def client(service: str) -> Any:
        return strict.client(service, aws_access_key_id=ROOT[0], aws_secret_access_key=ROOT[1])

    table = make_table(client("dynamodb"))
    base = orders_api(client("apigateway"), make_role(client("iam"), ["dynamodb:Query"]), table)
    status, body = call(strict, "POST", base + "/orders", b'{"customer": "kim", "n": 1, "what": "tea"}')
    assert (status, body) == (400, {"error": "com.amazonaws.dynamodb.v20120810#AccessDeniedException"})
    assert call(strict, "GET", base + "/orders/kim") == (200, {"count": 0, "first": ""})


def test_a_role_api_gateway_cannot_assume_is_a_500(gureum: Any) -> None:
    apigw, iam = gureum.client("apigateway"), gureum.client("iam")
    lambda_only = iam.create_role(RoleName=f"apigw-ddbno-{uuid.uuid4().hex[:8]}",
                                  AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    api = apigw.create_rest_api(name=f"ddb-{uuid.uuid4().hex[:6]}")
    api_id, root = api["id"], api["rootResourceId"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="AWS", integrationHttpMethod="POST",
                          uri="arn:aws:apigateway:us-east-1:dynamodb:action/ListTables", credentials=lambda_only,
                          requestTemplates={"application/json": "{}"})
    apigw.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    assert call(gureum, "GET", f"/_aws/execute-api/{api_id}/prod/") == (500, {"message": "Internal server error"})
