"""Health check sources through boto3: created (CREATE_PENDING, then CREATE_COMPLETED), used by
PRIVATE health checks (listed by ListHealthChecksBySource), not deletable while used, gone
after DeleteHealthCheckSource (DELETE_PENDING), and AWS's errors."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

CONFIG = {"VpcId": "vpc-0abc", "SubnetConfigurationList": [
    {"SubnetId": "subnet-1", "AvailabilityZoneId": "use1-az1", "SecurityGroupIdList": ["sg-1"]},
    {"SubnetId": "subnet-2", "AvailabilityZoneId": "use1-az2", "SecurityGroupIdList": ["sg-1", "sg-2"]}]}


def _code(e: pytest.ExceptionInfo) -> str:
    return e.value.response["Error"]["Code"]


def test_health_check_source_lifecycle(gureum):
    r53 = gureum.client("route53")
    ref = uuid.uuid4().hex
    made = r53.create_health_check_source(CallerReference=ref, HealthCheckSourceConfig=CONFIG)
    sid = made["HealthCheckSourceId"]
    assert made["HealthCheckSourceStatus"] == "CREATE_PENDING" and made["ResponseMetadata"]["HTTPStatusCode"] == 201
    got = r53.get_health_check_source(HealthCheckSourceId=sid)["HealthCheckSource"]
    assert got["HealthCheckSourceStatus"] == "CREATE_COMPLETED" and got["HealthCheckSourceConfig"] == CONFIG
    assert sid in [s["HealthCheckSourceId"] for s in r53.list_health_check_sources()["HealthCheckSources"]]
    with pytest.raises(ClientError) as e:
        r53.create_health_check_source(CallerReference=ref, HealthCheckSourceConfig=CONFIG)
    assert _code(e) == "HealthCheckSourceAlreadyExists"
    hc = {"Type": "HTTP", "IPAddress": "127.0.0.1", "Port": 9, "EndpointType": "PRIVATE"}
    with pytest.raises(ClientError) as e:  # PRIVATE without a source
        r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig=hc)
    assert _code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:  # a source on a PUBLIC check
        r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={**hc, "EndpointType": "PUBLIC", "HealthCheckSourceId": sid})
    assert _code(e) == "InvalidInput"
    check = r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={**hc, "HealthCheckSourceId": sid})["HealthCheck"]
    r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9})
    listed = r53.list_health_checks_by_source(HealthCheckSourceId=sid)["HealthChecks"]
    assert [c["Id"] for c in listed] == [check["Id"]]
    other = r53.create_health_check_source(CallerReference=uuid.uuid4().hex, HealthCheckSourceConfig=CONFIG)["HealthCheckSourceId"]
    r53.update_health_check(HealthCheckId=check["Id"], HealthCheckSourceId=other)  # moved to another source
    assert r53.list_health_checks_by_source(HealthCheckSourceId=sid)["HealthChecks"] == []
    with pytest.raises(ClientError) as e:
        r53.update_health_check(HealthCheckId=check["Id"], HealthCheckSourceId="hcs-nosuchsource")
    assert _code(e) == "InvalidInput"
    r53.update_health_check(HealthCheckId=check["Id"], HealthCheckSourceId=sid)
    with pytest.raises(ClientError) as e:
        r53.delete_health_check_source(HealthCheckSourceId=sid)  # still used
    assert _code(e) == "InvalidInput"
    r53.delete_health_check(HealthCheckId=check["Id"])
    gone = r53.delete_health_check_source(HealthCheckSourceId=sid)
    assert gone["HealthCheckSourceStatus"] == "DELETE_PENDING"
    with pytest.raises(ClientError) as e:
        r53.get_health_check_source(HealthCheckSourceId=sid)
    assert _code(e) == "NoSuchHealthCheckSource" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_health_check_source_rules(gureum):
    r53 = gureum.client("route53")
    same_az = {**CONFIG, "SubnetConfigurationList": [dict(s, AvailabilityZoneId="use1-az1") for s in CONFIG["SubnetConfigurationList"]]}
    with pytest.raises(ClientError) as e:
        r53.create_health_check_source(CallerReference=uuid.uuid4().hex, HealthCheckSourceConfig=same_az)
    assert _code(e) == "InvalidInput"
    with pytest.raises(ClientError) as e:
        r53.create_health_check_source(CallerReference=uuid.uuid4().hex, HealthCheckSourceConfig={**CONFIG, "VpcId": "nope"})
    assert _code(e) == "InvalidVPCId"
    with pytest.raises(ClientError) as e:
        r53.list_health_checks_by_source(HealthCheckSourceId="hcs-doesnotexist")
    assert _code(e) == "NoSuchHealthCheckSource"


def test_account_limits_count_what_the_account_has(gureum):
    r53 = gureum.client("route53", aws_access_key_id="333333333333")  # an account of its own: exact counts
    r53.create_health_check_source(CallerReference=uuid.uuid4().hex, HealthCheckSourceConfig=CONFIG)
    r53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9})
    got = r53.get_account_limit(Type="MAX_HEALTH_CHECK_SOURCES_BY_OWNER")
    assert got["Count"] == 1 and got["Limit"] == {"Type": "MAX_HEALTH_CHECK_SOURCES_BY_OWNER", "Value": 50}
    assert r53.get_account_limit(Type="MAX_HEALTH_CHECKS_BY_OWNER")["Count"] == 1
    assert r53.get_account_limit(Type="MAX_TRAFFIC_POLICIES_BY_OWNER")["Count"] == 0
