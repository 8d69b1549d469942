"""Lambda functions behind an ALB: registration needs the function's permission for
elasticloadbalancing.amazonaws.com (AccessDenied without it), one function per group; the
function gets AWS's ALB event (single- or multi-value headers as the group's attribute says,
binary bodies base64-encoded) and its answer becomes the HTTP response; a malformed answer
or a function error is a 502."""

from __future__ import annotations

import http.client
import json
from typing import Any

from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, code_of, resolve, uniq, wait_listening

HANDLER = '''
import base64, json
def handler(event, context):
    if event["path"] == "/bad":
        return "not a response"
    if event["path"] == "/boom":
        raise RuntimeError("boom")
    return {"statusCode": 201, "statusDescription": "201 Created", "isBase64Encoded": False,
            "headers": {"content-type": "application/json", "x-fn": "yes"},
            "multiValueHeaders": {"content-type": ["application/json"], "x-multi": ["a", "b"]},
            "body": json.dumps(event)}
'''


def _request(address: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    conn = http.client.HTTPConnection(address, 80, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r, r.read()
    finally:
        conn.close()


def test_lambda_target_event_response_and_errors(gureum) -> None:  # type: ignore[no-untyped-def]
    elb, lam, iam = gureum.client("elbv2"), gureum.client("lambda"), gureum.client("iam")
    role = iam.create_role(RoleName=uniq("r"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = uniq("fn")
    fn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                             Code={"ZipFile": zip_of({"app.py": HANDLER})})["FunctionArn"]
    wait_for("function active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", 60)
    tg = elb.create_target_group(Name=uniq("tg"), TargetType="lambda")["TargetGroups"][0]
    assert code_of(lambda: elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": fn}])) == "AccessDenied"
    lam.add_permission(FunctionName=name, StatementId="elb", Action="lambda:InvokeFunction",
                       Principal="elasticloadbalancing.amazonaws.com", SourceArn=tg["TargetGroupArn"])
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": fn}])
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health[0]["Target"] == {"Id": fn}
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert health[0]["TargetHealth"] == {"State": "unavailable", "Reason": "Target.HealthCheckDisabled",
                                         "Description": "Health checks are disabled for the target group"}
    address = wait_for("DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    wait_listening(address, 80)

    def first() -> tuple[int, Any, bytes] | None:
        try:
            return _request(address, "POST", "/hello?a=1&a=2&b=x%20y", b"\x00\x01binary", {"Content-Type": "application/octet-stream"})
        except OSError:
            return None
    status, resp, body = wait_for("the listener", first, 20)
    assert status == 201 and resp.getheader("x-fn") == "yes" and resp.getheader("x-multi") is None
    ev = json.loads(body)
    assert ev["requestContext"] == {"elb": {"targetGroupArn": tg["TargetGroupArn"]}}
    assert (ev["httpMethod"], ev["path"]) == ("POST", "/hello")
    assert ev["queryStringParameters"] == {"a": "2", "b": "x%20y"}
    assert ev["isBase64Encoded"] is True and ev["body"] == "AAFiaW5hcnk="
    assert ev["headers"]["content-type"] == "application/octet-stream"
    # multi-value headers when the group's attribute is on
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "lambda.multi_value_headers.enabled", "Value": "true"}])

    def multi() -> Any:
        status, resp, body = _request(address, "GET", "/m?a=1&a=2")
        doc = json.loads(body)
        return (resp, doc) if "multiValueQueryStringParameters" in doc else None
    resp, doc = wait_for("multi-value events", multi, 20)
    assert doc["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert resp.getheader("x-multi") == "a, b"
    assert _request(address, "GET", "/bad")[0] == 502
    assert _request(address, "GET", "/boom")[0] == 502
