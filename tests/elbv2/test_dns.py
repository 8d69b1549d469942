"""Load balancers in gureum's DNS: both DNS names answer the load balancer's own address, and
a Route 53 alias record (AliasTarget with the load balancer's canonical hosted zone id) in a
hosted zone answers it too (the `dualstack.` prefix and a trailing dot allowed), and goes with
the load balancer."""

from __future__ import annotations

import uuid

from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, resolve, uniq


def test_alias_record_to_a_load_balancer(elb, gureum) -> None:  # type: ignore[no-untyped-def]
    r53 = gureum.client("route53")
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
    address = wait_for("the load balancer's name", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"www.{domain}", "Type": "A", "AliasTarget": {
            "HostedZoneId": lb["CanonicalHostedZoneId"], "DNSName": "dualstack." + lb["DNSName"] + ".",
            "EvaluateTargetHealth": False}}}]})
    assert wait_for("the alias", lambda: resolve(gureum.dns_port, f"www.{domain}"), 20) == address
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    wait_for("the alias gone with its load balancer", lambda: resolve(gureum.dns_port, f"www.{domain}") is None, 20)
    assert resolve(gureum.dns_port, lb["DNSName"]) is None


def test_failover_alias_follows_the_load_balancers_target_health(elb, gureum) -> None:  # type: ignore[no-untyped-def]
    from tests.elbv2.elb_helpers import VPC, Backend

    r53 = gureum.client("route53")
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    backend = Backend("a")
    backend.health_status = 500
    try:
        lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip",
                                     HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                     HealthyThresholdCount=2, UnhealthyThresholdCount=2)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        address = wait_for("the load balancer's name", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
        name = f"app.{domain}"
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "SetIdentifier": "primary", "Failover": "PRIMARY",
                                                       "AliasTarget": {"HostedZoneId": lb["CanonicalHostedZoneId"],
                                                                       "DNSName": lb["DNSName"], "EvaluateTargetHealth": True}}},
            {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "SetIdentifier": "secondary", "Failover": "SECONDARY",
                                                       "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.10"}]}}]})
        wait_for("the secondary while no target is healthy", lambda: resolve(gureum.dns_port, name) == "192.0.2.10", 60)
        backend.health_status = 200
        wait_for("the load balancer once a target is healthy", lambda: resolve(gureum.dns_port, name) == address, 60)
    finally:
        backend.close()
