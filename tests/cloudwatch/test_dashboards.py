"""CloudWatch dashboards through boto3 against a real gureum: put, get, list with a prefix,
delete, AWS's body validation, tags on a dashboard."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

BODY = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                                "properties": {"metrics": [["AWS/Lambda", "Invocations"]], "region": "us-east-1"}}]})


def test_dashboards_round_trip_and_validation(gureum):  # type: ignore[no-untyped-def]
    cw = gureum.client("cloudwatch")
    prefix = f"db-{uuid.uuid4().hex[:6]}"
    for i in range(3):
        assert cw.put_dashboard(DashboardName=f"{prefix}-{i}", DashboardBody=BODY)["DashboardValidationMessages"] == []
    got = cw.get_dashboard(DashboardName=f"{prefix}-1")
    assert got["DashboardBody"] == BODY and got["DashboardArn"] == f"arn:aws:cloudwatch::000000000000:dashboard/{prefix}-1"
    listed = cw.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]
    assert [d["DashboardName"] for d in listed] == [f"{prefix}-{i}" for i in range(3)]
    assert listed[0]["Size"] == len(BODY)
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName=f"{prefix}-bad", DashboardBody='{"widgets": [{"type": "chart"}]}')
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidParameterInput"
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName=f"{prefix}-bad", DashboardBody="not json")
    assert e.value.response["Error"]["Code"] == "InvalidParameterInput"
    with pytest.raises(ClientError) as e:
        cw.put_dashboard(DashboardName="bad name!", DashboardBody=BODY)
    assert e.value.response["Error"]["Code"] == "InvalidParameterInput"
    arn = got["DashboardArn"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    cw.delete_dashboards(DashboardNames=[f"{prefix}-0", f"{prefix}-1"])
    assert [d["DashboardName"] for d in cw.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]] == [f"{prefix}-2"]
    with pytest.raises(ClientError) as e:
        cw.get_dashboard(DashboardName=f"{prefix}-0")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        cw.delete_dashboards(DashboardNames=[f"{prefix}-0"])
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
