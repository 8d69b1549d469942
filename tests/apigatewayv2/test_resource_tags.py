"""TagResource / UntagResource / GetTags of API Gateway v2 on custom domain name and VPC link
ARNs (before: NotFoundException for both), with AWS's rules, one set of tags for a domain
name whichever API Gateway API reads it, and NotFoundException for what the caller does not own."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.elbv2.elb_helpers import SUBNETS

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/22222222-3333-4444-5555-666666666666"


def _code(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_domain_name_tags(gureum: Any, apigw: Any) -> None:
    name = f"tags-{uuid.uuid4().hex[:8]}.example.test"
    made = apigw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT}],
                                    Tags={"team": "a"})
    arn = made["DomainNameArn"]
    assert arn == f"arn:aws:apigateway:us-east-1::/domainnames/{name}"
    apigw.tag_resource(ResourceArn=arn, Tags={"env": "prod", "team": "b"})
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"env": "prod", "team": "b"}
    assert apigw.get_domain_name(DomainName=name)["Tags"] == {"env": "prod", "team": "b"}
    # REST API Gateway reads the same record's tags
    assert gureum.client("apigateway").get_tags(resourceArn=arn)["tags"] == {"env": "prod", "team": "b"}
    apigw.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"env": "prod"}
    with pytest.raises(ClientError) as e:
        apigw.tag_resource(ResourceArn=arn, Tags={"aws:reserved": "x"})
    assert _code(e) == ("BadRequestException", 400)
    with pytest.raises(ClientError) as e:
        apigw.tag_resource(ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert _code(e) == ("BadRequestException", 400)
    # another account does not see or tag it
    other = gureum.client("apigatewayv2", aws_access_key_id="210987654322", aws_secret_access_key="test")
    with pytest.raises(ClientError) as e:
        other.tag_resource(ResourceArn=arn, Tags={"x": "y"})
    assert _code(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        apigw.get_tags(ResourceArn=f"arn:aws:apigateway:us-east-1::/domainnames/missing-{uuid.uuid4().hex[:6]}.example.test")
    assert _code(e) == ("NotFoundException", 404)


def test_vpc_link_tags(gureum: Any, apigw: Any) -> None:
    link = apigw.create_vpc_link(Name=f"t{uuid.uuid4().hex[:6]}", SubnetIds=SUBNETS, Tags={"team": "a"})["VpcLinkId"]
    arn = f"arn:aws:apigateway:us-east-1::/vpclinks/{link}"
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"team": "a"}
    apigw.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    apigw.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"env": "dev"}
    assert apigw.get_vpc_link(VpcLinkId=link)["Tags"] == {"env": "dev"}
    other = gureum.client("apigatewayv2", aws_access_key_id="210987654322", aws_secret_access_key="test")
    with pytest.raises(ClientError) as e:
        other.get_tags(ResourceArn=arn)
    assert _code(e) == ("NotFoundException", 404)
    with pytest.raises(ClientError) as e:
        apigw.tag_resource(ResourceArn="arn:aws:apigateway:us-east-1::/vpclinks/nosuch", Tags={"a": "b"})
    assert _code(e) == ("NotFoundException", 404)
