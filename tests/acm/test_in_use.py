"""InUseBy: ELB listeners (default and added certificates) and API Gateway domain names record
the certificates they use through ACM's port; DescribeCertificate shows the load balancer /
domain name, ListCertificates says InUse, DeleteCertificate refuses with AWS's
ResourceInUseException until every use is released."""

from __future__ import annotations

import urllib.request
import uuid
from typing import Any

from tests.acm.helpers import error_of, imported
from tests.elbv2.elb_helpers import SUBNETS, VPC, uniq


def _in_use_by(acm: Any, arn: str) -> list[str]:
    return list(acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"])


def _listed_in_use(acm: Any, arn: str) -> bool:
    for page in acm.get_paginator("list_certificates").paginate():
        for c in page["CertificateSummaryList"]:
            if c["CertificateArn"] == arn:
                return bool(c["InUse"])
    raise AssertionError(f"{arn} not listed")


def test_elb_listener_certificates_are_in_use_until_released(gureum: Any) -> None:
    acm, elb = gureum.client("acm"), gureum.client("elbv2")
    first, second = imported(acm), imported(acm)
    assert _in_use_by(acm, first) == [] and not _listed_in_use(acm, first)
    lb = elb.create_load_balancer(Name=uniq("inuse"), Subnets=SUBNETS)["LoadBalancers"][0]
    lb_arn = lb["LoadBalancerArn"]
    try:
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
        forward = [{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}]
        listener = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=8443,
                                       Certificates=[{"CertificateArn": first}], DefaultActions=forward)["Listeners"][0]
        arn = listener["ListenerArn"]
        assert _in_use_by(acm, first) == [lb_arn] and _listed_in_use(acm, first)
        elb.add_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": second}])
        assert _in_use_by(acm, second) == [lb_arn]
        err = error_of(lambda: acm.delete_certificate(CertificateArn=first))
        assert err["Code"] == "ResourceInUseException"
        assert err["Message"] == f"Certificate {first} in account 000000000000 is in use."
        elb.remove_listener_certificates(ListenerArn=arn, Certificates=[{"CertificateArn": second}])
        assert _in_use_by(acm, second) == []
        elb.modify_listener(ListenerArn=arn, Certificates=[{"CertificateArn": second}])  # the default one replaced
        assert (_in_use_by(acm, first), _in_use_by(acm, second)) == ([], [lb_arn])
        acm.delete_certificate(CertificateArn=first)
        elb.modify_listener(ListenerArn=arn, Protocol="HTTP", Port=8080)  # an HTTP listener holds no certificate
        assert _in_use_by(acm, second) == []
        now = elb.describe_listeners(ListenerArns=[arn])["Listeners"][0]
        assert (now["Protocol"], now["Port"], "Certificates" in now) == ("HTTP", 8080, False)
        elb.modify_listener(ListenerArn=arn, Protocol="HTTPS", Port=8443, Certificates=[{"CertificateArn": second}])
        assert _in_use_by(acm, second) == [lb_arn]
        elb.delete_listener(ListenerArn=arn)
        assert _in_use_by(acm, second) == []
        elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=8444, Certificates=[{"CertificateArn": second}],
                            DefaultActions=forward)
        assert _in_use_by(acm, second) == [lb_arn]
    finally:
        elb.delete_load_balancer(LoadBalancerArn=lb_arn)  # its listeners go with it, and their uses
    assert _in_use_by(acm, second) == []
    acm.delete_certificate(CertificateArn=second)


def test_api_gateway_domain_name_uses_its_certificate(gureum: Any) -> None:
    acm, apigw = gureum.client("acm"), gureum.client("apigateway")
    first, second = imported(acm), imported(acm)
    name = f"api-{uuid.uuid4().hex[:8]}.example.test"
    domain = apigw.create_domain_name(domainName=name, regionalCertificateArn=first, endpointConfiguration={"types": ["REGIONAL"]})
    assert _in_use_by(acm, first) == [domain["domainNameArn"]]
    assert error_of(lambda: acm.delete_certificate(CertificateArn=first))["Code"] == "ResourceInUseException"
    apigw.update_domain_name(domainName=name, patchOperations=[{"op": "replace", "path": "/regionalCertificateArn", "value": second}])
    assert (_in_use_by(acm, first), _in_use_by(acm, second)) == ([], [domain["domainNameArn"]])
    apigw.delete_domain_name(domainName=name)
    assert _in_use_by(acm, second) == []
    for arn in (first, second):
        acm.delete_certificate(CertificateArn=arn)


def test_an_http_api_domain_name_uses_its_certificate(gureum: Any) -> None:
    """apigatewayv2's domain names are REST's (one namespace): created, changed and deleted
    through v2, they hold and release their certificate the same way."""
    acm, v2 = gureum.client("acm"), gureum.client("apigatewayv2")
    first, second = imported(acm), imported(acm)
    name = f"v2-{uuid.uuid4().hex[:8]}.example.test"
    domain = v2.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": first, "EndpointType": "REGIONAL"}])
    arn = domain.get("DomainNameArn") or gureum.client("apigateway").get_domain_name(domainName=name)["domainNameArn"]
    assert _in_use_by(acm, first) == [arn]
    assert error_of(lambda: acm.delete_certificate(CertificateArn=first))["Code"] == "ResourceInUseException"
    v2.update_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": second, "EndpointType": "REGIONAL"}])
    assert (_in_use_by(acm, first), _in_use_by(acm, second)) == ([], [arn])
    v2.delete_domain_name(DomainName=name)
    assert _in_use_by(acm, second) == []
    for cert in (first, second):
        acm.delete_certificate(CertificateArn=cert)


def test_reset_of_the_users_releases_their_certificates(fresh_gureum: Any) -> None:
    acm, elb, apigw = fresh_gureum.client("acm"), fresh_gureum.client("elbv2"), fresh_gureum.client("apigateway")
    cert = imported(acm)
    lb = elb.create_load_balancer(Name=uniq("reset"), Subnets=SUBNETS)["LoadBalancers"][0]
    tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=8443, Certificates=[{"CertificateArn": cert}],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    domain = apigw.create_domain_name(domainName=f"api-{uuid.uuid4().hex[:8]}.example.test", regionalCertificateArn=cert,
                                      endpointConfiguration={"types": ["REGIONAL"]})
    assert _in_use_by(acm, cert) == sorted([lb["LoadBalancerArn"], domain["domainNameArn"]])
    request = urllib.request.Request(fresh_gureum.endpoint + "/_gureum/reset?service=elbv2,apigateway", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=120) as answer:
        assert answer.status == 200
    assert _in_use_by(acm, cert) == []
    acm.delete_certificate(CertificateArn=cert)
