"""gureum/aws/output_check.py on plain values: what a handler returns beyond the output shape."""

from __future__ import annotations

from gureum.aws import specs
from gureum.aws.output_check import unmodeled


def test_members_the_output_shape_lacks_are_named_by_path() -> None:
    out = specs.load("servicediscovery").operation("ListServices").output
    assert out is not None
    result = {"Services": [{"Id": "srv-1", "Name": "web", "NamespaceId": "ns-1", "DnsConfig": {"Bogus": 1}}],
              "NextToken": "t", "Extra": True}
    assert unmodeled(out, result) == ["Services[].NamespaceId", "Services[].DnsConfig.Bogus", "Extra"]


def test_map_values_and_documents() -> None:
    out = specs.load("sqs").operation("GetQueueAttributes").output
    assert out is not None
    assert unmodeled(out, {"Attributes": {"VisibilityTimeout": "30"}}) == []
    lam = specs.load("lambda").operation("GetFunction").output
    assert lam is not None
    assert unmodeled(lam, {"Configuration": {"FunctionName": "f", "Environment": {"Variables": {"A": "1"}}},
                           "Tags": {"k": "v"}}) == []
