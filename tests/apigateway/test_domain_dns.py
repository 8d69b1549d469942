"""Custom domain names in gureum's DNS: a REGIONAL domain name's regionalDomainName answers
gureum's address, a Route 53 alias record to it (AliasTarget with API Gateway's regional
hosted zone id) resolves to that address, and a request sent there with the custom domain as
its Host reaches the mapped API; deleting the domain name takes both answers away; both
answer again after a restart."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

from waiting import wait_for

from tests.apigateway.test_domains import mock_api
from tests.elbv2.elb_helpers import resolve

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"


def test_alias_to_a_regional_domain_name_resolves_and_serves(gureum: Any) -> None:
    apigw, r53 = gureum.client("apigateway"), gureum.client("route53")
    api = mock_api(apigw, "dns")
    zone_name = f"{uuid.uuid4().hex[:8]}.example.com"
    custom = f"api.{zone_name}"
    d = apigw.create_domain_name(domainName=custom, regionalCertificateArn=CERT,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=custom, restApiId=api, stage="prod")
    address = wait_for("the regional name in DNS", lambda: resolve(gureum.dns_port, d["regionalDomainName"]), 20)
    assert address == "127.0.0.1"
    zone = r53.create_hosted_zone(Name=zone_name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": custom, "Type": "A", "AliasTarget": {
            "HostedZoneId": d["regionalHostedZoneId"], "DNSName": d["regionalDomainName"] + ".",
            "EvaluateTargetHealth": False}}}]})
    resolved = wait_for("the alias", lambda: resolve(gureum.dns_port, custom), 20)
    assert resolved == address

    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection(resolved, port, timeout=30)
    conn.request("GET", "/orders/7", headers={"Host": f"{custom}:{port}"})
    r = conn.getresponse()
    assert (r.status, json.loads(r.read())) == (200, {"api": "dns", "proxy": "orders/7", "stage": "prod"})
    conn.close()

    apigw.delete_domain_name(domainName=custom)
    wait_for("the alias gone with its domain name", lambda: resolve(gureum.dns_port, custom) is None, 20)
    assert resolve(gureum.dns_port, d["regionalDomainName"]) is None


def test_domain_names_resolve_again_after_a_restart(fresh_gureum: Any) -> None:
    apigw, r53 = fresh_gureum.client("apigateway"), fresh_gureum.client("route53")
    zone_name = f"{uuid.uuid4().hex[:8]}.example.org"
    custom = f"api.{zone_name}"
    d = apigw.create_domain_name(domainName=custom, regionalCertificateArn=CERT,
                                 endpointConfiguration={"types": ["REGIONAL"]})
    zone = r53.create_hosted_zone(Name=zone_name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": custom, "Type": "A", "AliasTarget": {
            "HostedZoneId": d["regionalHostedZoneId"], "DNSName": d["regionalDomainName"], "EvaluateTargetHealth": False}}}]})
    assert wait_for("the alias", lambda: resolve(fresh_gureum.dns_port, custom), 20) == "127.0.0.1"
    fresh_gureum.restart()
    assert wait_for("the regional name after the restart",
                    lambda: resolve(fresh_gureum.dns_port, d["regionalDomainName"]), 20) == "127.0.0.1"
    assert wait_for("the alias after the restart", lambda: resolve(fresh_gureum.dns_port, custom), 20) == "127.0.0.1"
