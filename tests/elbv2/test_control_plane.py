"""ELBv2's control plane through boto3 and the AWS CLI against a real gureum: load balancers
(names, DNS names, canonical hosted zone ids, provisioning -> active, idempotent creation,
deletion protection), attributes with AWS's defaults, target groups with AWS's health check
defaults per protocol, listeners, rules (priorities, every condition, forward/redirect/
fixed-response), tags, AWS's errors, and durability across a restart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, code_of, uniq


def _alb(elb, **kw):  # type: ignore[no-untyped-def]
    return elb.create_load_balancer(Name=kw.pop("Name", uniq("alb")), Subnets=SUBNETS, **kw)["LoadBalancers"][0]


def _tg(elb, **kw):  # type: ignore[no-untyped-def]
    args = {"Name": uniq("tg"), "Protocol": "HTTP", "Port": 80, "VpcId": VPC, "TargetType": "ip"} | kw
    return elb.create_target_group(**args)["TargetGroups"][0]


def test_load_balancer_shape_names_and_state(elb) -> None:  # type: ignore[no-untyped-def]
    name = uniq("web")
    lb = _alb(elb, Name=name)
    assert lb["LoadBalancerName"] == name and lb["Type"] == "application" and lb["Scheme"] == "internet-facing"
    assert lb["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/" + name + "/")
    assert lb["DNSName"].startswith(name + "-") and lb["DNSName"].endswith(".us-east-1.elb.amazonaws.com")
    assert lb["CanonicalHostedZoneId"] == "Z35SXDOTRQ7X7K"
    assert [z["ZoneName"] for z in lb["AvailabilityZones"]] == ["us-east-1a", "us-east-1b"]
    assert lb["State"]["Code"] in ("provisioning", "active")
    elb.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]],
                                                   WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    # a repeat with the same settings answers the same load balancer; other settings are refused
    again = _alb(elb, Name=name)
    assert again["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert code_of(lambda: _alb(elb, Name=name, Scheme="internal")) == "DuplicateLoadBalancerName"
    internal = _alb(elb, Scheme="internal")
    assert internal["DNSName"].startswith("internal-")
    nlb = elb.create_load_balancer(Name=uniq("net"), Subnets=SUBNETS[:1], Type="network")["LoadBalancers"][0]
    assert nlb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI" and ".elb.us-east-1.amazonaws.com" in nlb["DNSName"]
    assert ":loadbalancer/net/" in nlb["LoadBalancerArn"]
    by_name = elb.describe_load_balancers(Names=[name])["LoadBalancers"]
    assert [x["LoadBalancerArn"] for x in by_name] == [lb["LoadBalancerArn"]]


def test_load_balancer_errors(elb) -> None:  # type: ignore[no-untyped-def]
    assert code_of(lambda: _alb(elb, Name="-bad")) == "ValidationError"
    assert code_of(lambda: _alb(elb, Name="internal-x")) == "ValidationError"
    assert code_of(lambda: _alb(elb, Name="x" * 33)) == "ValidationError"
    assert code_of(lambda: elb.create_load_balancer(Name=uniq(), Subnets=SUBNETS[:1])) == "ValidationError"
    assert code_of(lambda: elb.create_load_balancer(Name=uniq(), Subnets=["subnet-zz", SUBNETS[0]])) == "SubnetNotFound"
    with pytest.raises(ClientError) as e:
        elb.describe_load_balancers(Names=["nope-" + uniq()])
    assert e.value.response["Error"]["Code"] == "LoadBalancerNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    missing = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/0123456789abcdef"
    assert code_of(lambda: elb.describe_load_balancers(LoadBalancerArns=[missing])) == "LoadBalancerNotFound"
    assert code_of(lambda: elb.describe_load_balancers(LoadBalancerArns=["not-an-arn"])) == "ValidationError"
    elb.delete_load_balancer(LoadBalancerArn=missing)  # deleting what is gone succeeds, as in AWS


def test_attributes_defaults_changes_and_deletion_protection(elb) -> None:  # type: ignore[no-untyped-def]
    lb = _alb(elb)
    arn = lb["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["idle_timeout.timeout_seconds"] == "60" and attrs["deletion_protection.enabled"] == "false"
    assert attrs["routing.http2.enabled"] == "true"
    out = elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}, {"Key": "idle_timeout.timeout_seconds", "Value": "5"}])
    got = {a["Key"]: a["Value"] for a in out["Attributes"]}
    assert got["deletion_protection.enabled"] == "true" and got["idle_timeout.timeout_seconds"] == "5"
    assert code_of(lambda: elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "no.such", "Value": "1"}])) == "ValidationError"
    assert code_of(lambda: elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "0"}])) == "ValidationError"
    assert code_of(lambda: elb.delete_load_balancer(LoadBalancerArn=arn)) == "OperationNotPermitted"
    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[{"Key": "deletion_protection.enabled", "Value": "false"}])
    elb.delete_load_balancer(LoadBalancerArn=arn)
    assert code_of(lambda: elb.describe_load_balancers(LoadBalancerArns=[arn])) == "LoadBalancerNotFound"


def test_target_group_health_check_defaults_per_protocol(elb) -> None:  # type: ignore[no-untyped-def]
    http = _tg(elb)
    assert (http["HealthCheckProtocol"], http["HealthCheckPort"], http["HealthCheckPath"], http["Matcher"]) == \
        ("HTTP", "traffic-port", "/", {"HttpCode": "200"})
    assert (http["HealthCheckIntervalSeconds"], http["HealthCheckTimeoutSeconds"], http["HealthyThresholdCount"],
            http["UnhealthyThresholdCount"], http["ProtocolVersion"]) == (30, 5, 5, 2, "HTTP1")
    tcp = _tg(elb, Protocol="TCP")
    assert (tcp["HealthCheckProtocol"], tcp["HealthCheckTimeoutSeconds"]) == ("TCP", 10) and "HealthCheckPath" not in tcp
    lam = elb.create_target_group(Name=uniq("fn"), TargetType="lambda")["TargetGroups"][0]
    assert lam["HealthCheckEnabled"] is False and "Protocol" not in lam
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(TargetGroupArn=http["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == "300" and attrs["stickiness.type"] == "lb_cookie"
    lam_attrs = {a["Key"] for a in elb.describe_target_group_attributes(TargetGroupArn=lam["TargetGroupArn"])["Attributes"]}
    assert lam_attrs == {"lambda.multi_value_headers.enabled"}
    assert code_of(lambda: elb.create_target_group(Name=uniq(), TargetType="lambda", Protocol="HTTP")) == "ValidationError"
    assert code_of(lambda: elb.create_target_group(Name=uniq(), Protocol="HTTP", Port=80)) == "ValidationError"
    assert code_of(lambda: _tg(elb, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=5)) == "ValidationError"
    assert code_of(lambda: _tg(elb, Name=http["TargetGroupName"], Port=81)) == "DuplicateTargetGroupName"
    assert _tg(elb, Name=http["TargetGroupName"])["TargetGroupArn"] == http["TargetGroupArn"]
    mod = elb.modify_target_group(TargetGroupArn=http["TargetGroupArn"], HealthCheckPath="/health",
                                  Matcher={"HttpCode": "200-299"}, HealthCheckIntervalSeconds=10)["TargetGroups"][0]
    assert (mod["HealthCheckPath"], mod["Matcher"]["HttpCode"], mod["HealthCheckIntervalSeconds"]) == ("/health", "200-299", 10)
    assert code_of(lambda: elb.describe_target_groups(Names=["gone-" + uniq()])) == "TargetGroupNotFound"


def test_listeners_rules_priorities_and_conditions(elb) -> None:  # type: ignore[no-untyped-def]
    lb = _alb(elb)
    tg1, tg2 = _tg(elb), _tg(elb)
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg1["TargetGroupArn"]}])["Listeners"][0]
    fwd = listener["DefaultActions"][0]
    assert fwd["TargetGroupArn"] == tg1["TargetGroupArn"]
    assert fwd["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": tg1["TargetGroupArn"], "Weight": 1}]
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=8080, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])) == "DuplicateListener"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=81, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg1["TargetGroupArn"]}])) == "UnsupportedProtocol"
    larn = listener["ListenerArn"]
    conditions = [
        {"Field": "host-header", "Values": ["*.example.com"]},
        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
        {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["prod"]}},
        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}},
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.0/8"]}},
    ]
    r10 = elb.create_rule(ListenerArn=larn, Priority=10, Conditions=conditions, Actions=[{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": tg1["TargetGroupArn"], "Weight": 3}, {"TargetGroupArn": tg2["TargetGroupArn"], "Weight": 1}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60}}}])["Rules"][0]
    assert r10["Priority"] == "10" and r10["Conditions"][0]["HostHeaderConfig"]["Values"] == ["*.example.com"]
    assert r10["Conditions"][0]["Values"] == ["*.example.com"]
    r20 = elb.create_rule(ListenerArn=larn, Priority=20, Conditions=[
        {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}]}}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "new.example.com", "StatusCode": "HTTP_301"}}])["Rules"][0]
    assert r20["Actions"][0]["RedirectConfig"] == {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "new.example.com",
                                                   "Path": "/#{path}", "Query": "#{query}", "StatusCode": "HTTP_301"}
    assert code_of(lambda: elb.create_rule(ListenerArn=larn, Priority=10, Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                                           Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "204"}}])) == "PriorityInUse"
    too_many = [{"Field": "path-pattern", "Values": ["/a", "/b", "/c"]}, {"Field": "host-header", "Values": ["a", "b", "c"]}]
    assert code_of(lambda: elb.create_rule(ListenerArn=larn, Priority=30, Conditions=too_many, Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "204"}}])) == "ValidationError"
    assert code_of(lambda: elb.create_rule(ListenerArn=larn, Priority=31, Conditions=[{"Field": "path-pattern", "Values": ["/x"]}],
                                           Actions=[{"Type": "redirect", "RedirectConfig": {"StatusCode": "HTTP_302"}}])) == "ValidationError"
    rules = elb.describe_rules(ListenerArn=larn)["Rules"]
    assert [r["Priority"] for r in rules] == ["10", "20", "default"] and rules[-1]["IsDefault"] is True
    swapped = elb.set_rule_priorities(RulePriorities=[{"RuleArn": r10["RuleArn"], "Priority": 20},
                                                      {"RuleArn": r20["RuleArn"], "Priority": 10}])["Rules"]
    assert {r["RuleArn"]: r["Priority"] for r in swapped} == {r10["RuleArn"]: "20", r20["RuleArn"]: "10"}
    assert code_of(lambda: elb.delete_rule(RuleArn=rules[-1]["RuleArn"])) == "OperationNotPermitted"
    mod = elb.modify_rule(RuleArn=r20["RuleArn"], Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "ContentType": "text/plain", "MessageBody": "tea"}}])
    assert mod["Rules"][0]["Actions"][0]["FixedResponseConfig"]["StatusCode"] == "418"
    used = elb.describe_target_groups(TargetGroupArns=[tg2["TargetGroupArn"]])["TargetGroups"][0]
    assert used["LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    assert code_of(lambda: elb.delete_target_group(TargetGroupArn=tg2["TargetGroupArn"])) == "ResourceInUse"
    in_lb = elb.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    assert {g["TargetGroupArn"] for g in in_lb} == {tg1["TargetGroupArn"], tg2["TargetGroupArn"]}
    other = _alb(elb)
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=other["LoadBalancerArn"], Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": tg1["TargetGroupArn"]}])) == "TargetGroupAssociationLimit"
    mod_l = elb.modify_listener(ListenerArn=larn, Port=8081)["Listeners"][0]
    assert mod_l["Port"] == 8081
    elb.delete_listener(ListenerArn=larn)
    assert code_of(lambda: elb.describe_rules(ListenerArn=larn)) == "ListenerNotFound"
    elb.delete_target_group(TargetGroupArn=tg2["TargetGroupArn"])


def test_targets_and_health_states_without_a_load_balancer(elb) -> None:  # type: ignore[no-untyped-def]
    tg = _tg(elb)
    arn = tg["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": 9}])
    assert code_of(lambda: elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": "not-an-ip"}])) == "InvalidTarget"
    health = elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
    assert health[0]["Target"] == {"Id": "127.0.0.1", "Port": 9}
    assert health[0]["TargetHealth"]["State"] == "unused" and health[0]["TargetHealth"]["Reason"] == "Target.NotInUse"
    asked = elb.describe_target_health(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.2", "Port": 9}])["TargetHealthDescriptions"]
    assert asked[0]["TargetHealth"]["Reason"] == "Target.NotRegistered"
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "0"}])
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": 9}])
    assert elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] == []
    assert code_of(lambda: elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": 9}])) == "InvalidTarget"


def test_tags_on_every_resource_kind(elb) -> None:  # type: ignore[no-untyped-def]
    lb = _alb(elb, Tags=[{"Key": "team", "Value": "a"}])
    tg = _tg(elb)
    arns = [lb["LoadBalancerArn"], tg["TargetGroupArn"]]
    elb.add_tags(ResourceArns=arns, Tags=[{"Key": "env", "Value": "dev"}])
    got = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in elb.describe_tags(ResourceArns=arns)["TagDescriptions"]}
    assert got == {lb["LoadBalancerArn"]: {"team": "a", "env": "dev"}, tg["TargetGroupArn"]: {"env": "dev"}}
    elb.remove_tags(ResourceArns=[lb["LoadBalancerArn"]], TagKeys=["team"])
    assert elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"] == [{"Key": "env", "Value": "dev"}]
    assert code_of(lambda: elb.add_tags(ResourceArns=arns, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])) == "TooManyTags"
    assert code_of(lambda: elb.add_tags(ResourceArns=arns, Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])) == "DuplicateTagKeys"


def test_paging_load_balancers(elb) -> None:  # type: ignore[no-untyped-def]
    made = {_alb(elb)["LoadBalancerArn"] for _ in range(3)}
    seen: list[str] = []
    for page in elb.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 2}):
        seen += [x["LoadBalancerArn"] for x in page["LoadBalancers"]]
    assert made <= set(seen) and len(seen) == len(set(seen))


def test_cli_and_durability_across_restart(fresh_gureum) -> None:  # type: ignore[no-untyped-def]
    out = fresh_gureum.aws("elbv2", "create-load-balancer", "--name", "cli-lb", "--subnets", *SUBNETS)
    arn = out["LoadBalancers"][0]["LoadBalancerArn"]
    elb = fresh_gureum.client("elbv2")
    tg = _tg(elb)
    elb.create_listener(LoadBalancerArn=arn, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    fresh_gureum.restart()
    elb = fresh_gureum.client("elbv2")
    lb = elb.describe_load_balancers(Names=["cli-lb"])["LoadBalancers"][0]
    assert lb["LoadBalancerArn"] == arn
    assert len(elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]) == 1
    wait_for("active after restart", lambda: elb.describe_load_balancers(Names=["cli-lb"])["LoadBalancers"][0]["State"]["Code"] == "active", 20)
