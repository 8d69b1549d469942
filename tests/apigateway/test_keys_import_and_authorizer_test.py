"""ImportApiKeys in AWS's API key file format (any column order and case, optional columns,
quoted usage plan lists, overwriting by key value, warnings and failOnWarnings) and
TestInvokeAuthorizer on TOKEN and REQUEST Lambda authorizers (200 with the principal and
policy, 401, 500)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_.lambda_helpers import TRUST, zip_of


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def _value(tag: str) -> str:
    return f"imported{tag}{uuid.uuid4().hex}"[:40]


def test_import_keys_from_csv_with_plans(apigw: Any) -> None:
    plans = [apigw.create_usage_plan(name=f"imp-{uuid.uuid4().hex[:6]}")["id"] for _ in range(2)]
    one, two, three = _value("a"), _value("b"), _value("c")
    csv = (f"Key,name,description,Enabled,usageplanIds,Ignored\n"
           f"{one},First,An imported key,TRUE,{plans[0]},x\n"
           f"{two},Second,,false,\"{plans[0]},{plans[1]}\",y\n"
           f"{three},Third,single quoted,true,'{plans[0]},{plans[1]}',z\n")
    out = apigw.import_api_keys(body=csv.encode(), format="csv")
    assert len(out["ids"]) == 3 and not out.get("warnings")
    got = {k["id"]: k for k in (apigw.get_api_key(apiKey=i, includeValue=True) for i in out["ids"])}
    by_value = {k["value"]: k for k in got.values()}
    assert by_value[one]["name"] == "First" and by_value[one]["enabled"] is True
    assert by_value[one]["description"] == "An imported key"
    assert by_value[two]["enabled"] is False and by_value[three]["description"] == "single quoted"
    in_plan = {p: {k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=p)["items"]} for p in plans}
    assert in_plan[plans[0]] == set(out["ids"])
    assert in_plan[plans[1]] == {by_value[two]["id"], by_value[three]["id"]}
    # the same key value again overwrites that key (same id)
    again = apigw.import_api_keys(body=f"name,KEY\nRenamed,{one}\n".encode(), format="csv")
    assert again["ids"] == [by_value[one]["id"]]
    assert apigw.get_api_key(apiKey=by_value[one]["id"])["name"] == "Renamed"


def test_import_warnings_and_failures(apigw: Any) -> None:
    good, short = _value("d"), "tooshort"
    csv = f"name,key,usageplanids\nok,{good},\nbad,{short},\nnoplan,{_value('e')},nosuchplan\n"
    with pytest.raises(ClientError) as e:
        apigw.import_api_keys(body=csv.encode(), format="csv", failOnWarnings=True)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert not [k for k in apigw.get_api_keys(includeValues=True, limit=500)["items"] if k.get("value") == good]
    out = apigw.import_api_keys(body=csv.encode(), format="csv")
    assert len(out["ids"]) == 1 and len(out["warnings"]) == 2
    assert apigw.get_api_key(apiKey=out["ids"][0], includeValue=True)["value"] == good
    with pytest.raises(ClientError) as e:
        apigw.import_api_keys(body=b"name,description\nx,y\n", format="csv")
    assert e.value.response["Error"]["Code"] == "BadRequestException" and "Key" in e.value.response["Error"]["Message"]


AUTHORIZER = """
def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = event.get("authorizationToken") or headers.get("x-user") or ""
    if token == "unauth":
        raise Exception("Unauthorized")
    if token == "broken":
        return {"no": "policy"}
    return {"principalId": "user-" + token, "context": {"tier": "gold"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""


@pytest.fixture(scope="module")
def authorizer_fn(gureum: Any) -> str:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"apigw-tia-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arn: str = lam.create_function(FunctionName=f"apigw-tia-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                                   Handler="app.handler", Code={"ZipFile": zip_of({"app.py": AUTHORIZER})})["FunctionArn"]
    lam.add_permission(FunctionName=arn, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return arn


def test_test_invoke_authorizer(apigw: Any, authorizer_fn: str) -> None:
    api = apigw.create_rest_api(name=f"tia-{uuid.uuid4().hex[:6]}")["id"]
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{authorizer_fn}/invocations"
    token = apigw.create_authorizer(restApiId=api, name="tok", type="TOKEN", authorizerUri=uri,
                                    identitySource="method.request.header.Authorization")["id"]
    request = apigw.create_authorizer(restApiId=api, name="req", type="REQUEST", authorizerUri=uri,
                                      identitySource="method.request.header.X-User")["id"]
    ok = apigw.test_invoke_authorizer(restApiId=api, authorizerId=token, headers={"Authorization": "alice"},
                                      pathWithQueryString="/pets?x=1")
    assert ok["clientStatus"] == 200 and ok["principalId"] == "user-alice"
    policy = json.loads(ok["policy"])
    assert policy["Statement"][0]["Resource"].endswith(f"{api}/ESTestInvoke-stage/GET/pets")
    assert ok["authorization"] == {"tier": ["gold"]} and "Execution log" in ok["log"]
    req = apigw.test_invoke_authorizer(restApiId=api, authorizerId=request, headers={"X-User": "bob"})
    assert (req["clientStatus"], req["principalId"]) == (200, "user-bob")
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=token, headers={"Authorization": "unauth"})["clientStatus"] == 401
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=token)["clientStatus"] == 401  # no token
    assert apigw.test_invoke_authorizer(restApiId=api, authorizerId=token, headers={"Authorization": "broken"})["clientStatus"] == 500
    with pytest.raises(ClientError) as e:
        apigw.test_invoke_authorizer(restApiId=api, authorizerId="nope00")
    assert e.value.response["Error"]["Code"] == "NotFoundException"
