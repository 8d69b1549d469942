"""Resolver configs (AutodefinedReverse per VPC) through boto3 against a real gureum, in an
account of its own: the default before any update, updates and their state, the listing (only
VPCs whose config was set), AWS's errors for a VPC id that is not one and a bad flag."""

from __future__ import annotations

import random
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_resolver_config_default_update_list_and_errors(gureum: Any) -> None:
    account = str(random.randint(10**11, 10**12 - 1))
    r = gureum.client("route53resolver", aws_access_key_id=account, aws_secret_access_key="x")
    vpc, other = "vpc-0123456789abcdef0", "vpc-0fedcba987654321f"
    first = r.get_resolver_config(ResourceId=vpc)["ResolverConfig"]
    assert first["ResourceId"] == vpc and first["OwnerId"] == account and first["AutodefinedReverse"] == "ENABLED"
    assert first["Id"].startswith("rslvr-rc-")
    assert r.list_resolver_configs()["ResolverConfigs"] == []

    updated = r.update_resolver_config(ResourceId=vpc, AutodefinedReverseFlag="DISABLE")["ResolverConfig"]
    assert updated == {**first, "AutodefinedReverse": "DISABLED"}
    assert r.get_resolver_config(ResourceId=vpc)["ResolverConfig"]["AutodefinedReverse"] == "DISABLED"
    assert r.get_resolver_config(ResourceId=other)["ResolverConfig"]["AutodefinedReverse"] == "ENABLED"
    assert r.list_resolver_configs()["ResolverConfigs"] == [updated]
    r.update_resolver_config(ResourceId=vpc, AutodefinedReverseFlag="ENABLE")
    assert r.get_resolver_config(ResourceId=vpc)["ResolverConfig"]["AutodefinedReverse"] == "ENABLED"
    # another account sees its own default
    assert gureum.client("route53resolver").get_resolver_config(ResourceId=vpc)["ResolverConfig"]["OwnerId"] != account

    with pytest.raises(ClientError) as e:
        r.get_resolver_config(ResourceId="not-a-vpc")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        r.update_resolver_config(ResourceId="vpc-zz", AutodefinedReverseFlag="DISABLE")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        r.list_resolver_configs(NextToken="garbage")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as e:
        r.update_resolver_config(ResourceId=vpc, AutodefinedReverseFlag="SOMETIMES")
    assert e.value.response["Error"]["Code"] == "ValidationException"
