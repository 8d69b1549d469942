"""SSM Parameter Store through boto3 against a real gureum: types, overwrite, tiers and size
limits, AllowedPattern, DataType, selectors, hierarchies with paging, DescribeParameters
filters, history, labels, tags, policies, the public /aws/service/ parameters, and
durability across a restart."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from botocore.exceptions import ClientError


def uniq(prefix: str = "p") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def ssm(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("ssm")


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def test_string_put_get_and_overwrite_rules(ssm) -> None:  # type: ignore[no-untyped-def]
    name = "/" + uniq() + "/db/host"
    first = ssm.put_parameter(Name=name, Value="a", Type="String")
    assert (first["Version"], first["Tier"]) == (1, "Standard")
    with pytest.raises(ClientError) as e:
        ssm.put_parameter(Name=name, Value="b", Type="String")
    assert e.value.response["Error"]["Code"] == "ParameterAlreadyExists"
    assert ssm.put_parameter(Name=name, Value="b", Overwrite=True)["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"], p["Type"], p["DataType"]) == ("b", 2, "String", "text")
    assert p["ARN"].endswith(":parameter" + name)
    # tags and overwrite together are refused
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="c", Overwrite=True, Tags=[{"Key": "k", "Value": "v"}])) == "ValidationException"
    # no type for a new parameter
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="x")) == "ValidationException"
    assert code_of(lambda: ssm.get_parameter(Name="/" + uniq())) == "ParameterNotFound"


def test_reserved_and_malformed_names_are_refused(ssm) -> None:  # type: ignore[no-untyped-def]
    assert code_of(lambda: ssm.put_parameter(Name="aws-thing", Value="x", Type="String")) == "AccessDeniedException"
    assert code_of(lambda: ssm.put_parameter(Name="/ssm/x", Value="x", Type="String")) == "AccessDeniedException"
    assert code_of(lambda: ssm.put_parameter(Name="a b", Value="x", Type="String")) == "ValidationException"
    assert code_of(lambda: ssm.put_parameter(Name="a/b", Value="x", Type="String")) == "ValidationException"
    assert code_of(lambda: ssm.delete_parameter(Name="aws-owned")) == "AccessDeniedException"
    deep = "/" + "/".join("l" for _ in range(16))
    assert code_of(lambda: ssm.put_parameter(Name=deep, Value="x", Type="String")) == "HierarchyLevelLimitExceededException"


def test_securestring_is_sealed_at_rest_and_decrypted_on_request(ssm, gureum) -> None:  # type: ignore[no-untyped-def]
    name = "/" + uniq() + "/password"
    secret = "hunter2-" + uuid.uuid4().hex
    ssm.put_parameter(Name=name, Value=secret, Type="SecureString")
    plain = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert plain["Value"] == secret
    hidden = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert hidden != secret and secret not in hidden
    desc = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert desc["KeyId"] == "alias/aws/ssm"
    # nowhere in the store's files
    for f in Path(gureum.data_dir).rglob("*"):
        if f.is_file() and f.stat().st_size < 200_000_000:
            assert secret.encode() not in f.read_bytes(), f
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="x", Type="String", KeyId="alias/aws/ssm")) == "ValidationException"


def test_tiers_and_size_limits(ssm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="x" * 4097, Type="String")) == "ValidationException"
    assert ssm.put_parameter(Name=name, Value="x" * 4096, Type="String")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=name, Value="x" * 8192, Type="String", Overwrite=True, Tier="Advanced")["Tier"] == "Advanced"
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="x" * 8193, Type="String", Tier="Advanced")) == "ValidationException"
    # no downgrade
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="y", Overwrite=True, Tier="Standard")) == "ValidationException"
    smart = uniq()
    assert ssm.put_parameter(Name=smart, Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"


def test_allowed_pattern_and_data_type(ssm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="abc", Type="String", AllowedPattern=r"^\d+$")) == "ParameterPatternMismatchException"
    ssm.put_parameter(Name=name, Value="123", Type="String", AllowedPattern=r"^\d+$")
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="x1", Overwrite=True)) == "ParameterPatternMismatchException"
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="1", Type="String", AllowedPattern="(")) == "InvalidAllowedPatternException"
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="nope", Type="String", DataType="aws:ec2:image")) == "ValidationException"
    ami = uniq()
    ssm.put_parameter(Name=ami, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name=ami)["Parameter"]["DataType"] == "aws:ec2:image"


def test_versions_labels_selectors_and_history(ssm) -> None:  # type: ignore[no-untyped-def]
    name = "/" + uniq() + "/v"
    for i in range(1, 4):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=True)
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "v1"
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Selector"] == ":1"
    assert code_of(lambda: ssm.get_parameter(Name=f"{name}:9")) == "ParameterVersionNotFound"
    r = ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod", "1bad", "awsx"])
    assert sorted(r["InvalidLabels"]) == ["1bad", "awsx"]
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prod"])
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Value"] == "v2"
    ssm.label_parameter_version(Name=name, ParameterVersion=3, Labels=["prod"])  # a label moves
    assert ssm.get_parameter(Name=f"{name}:prod")["Parameter"]["Version"] == 3
    assert code_of(lambda: ssm.get_parameter(Name=f"{name}:nolabel")) == "ParameterVersionNotFound"
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=[f"l{i}" for i in range(10)])
    assert code_of(lambda: ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["eleventh"])) == "ParameterVersionLabelLimitExceeded"
    hist = [h for page in ssm.get_paginator("get_parameter_history").paginate(Name=name, PaginationConfig={"PageSize": 2}) for h in page["Parameters"]]
    assert [h["Version"] for h in hist] == [1, 2, 3]
    assert [h["Value"] for h in hist] == ["v1", "v2", "v3"]
    assert hist[2]["Labels"] == ["prod"] and len(hist[0]["Labels"]) == 10
    un = ssm.unlabel_parameter_version(Name=name, ParameterVersion=3, Labels=["prod", "ghost"])
    assert un["RemovedLabels"] == ["prod"] and un["InvalidLabels"] == ["ghost"]
    got = ssm.get_parameters(Names=[name, f"{name}:2", "/" + uniq()])
    assert sorted(p["Value"] for p in got["Parameters"]) == ["v2", "v3"]
    assert len(got["InvalidParameters"]) == 1


def test_by_path_recursive_filters_and_paging(ssm) -> None:  # type: ignore[no-untyped-def]
    root = "/" + uniq()
    for i in range(12):
        ssm.put_parameter(Name=f"{root}/app/k{i:02d}", Value=str(i), Type="String")
    ssm.put_parameter(Name=f"{root}/app/deep/s", Value="s", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/other", Value="o", Type="StringList")
    one = [p["Name"] for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{root}/app", PaginationConfig={"PageSize": 5}) for p in page["Parameters"]]
    assert one == [f"{root}/app/k{i:02d}" for i in range(12)]
    rec = [p for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=root, Recursive=True, WithDecryption=True) for p in page["Parameters"]]
    assert len(rec) == 14 and {"s", "o"} <= {p["Value"] for p in rec}
    secure = ssm.get_parameters_by_path(Path=root, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["SecureString"]}])["Parameters"]
    assert [p["Name"] for p in secure] == [f"{root}/app/deep/s"]
    assert code_of(lambda: ssm.get_parameters_by_path(Path=root, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])) == "InvalidFilterKey"
    assert code_of(lambda: ssm.get_parameters_by_path(Path=root, NextToken="garbage")) == "InvalidNextToken"


def test_describe_filters_and_tags(ssm) -> None:  # type: ignore[no-untyped-def]
    root = "/" + uniq()
    ssm.put_parameter(Name=f"{root}/a", Value="1", Type="String", Tags=[{"Key": "team", "Value": "blue"}])
    ssm.put_parameter(Name=f"{root}/b", Value="2", Type="StringList", Description="bee")
    ssm.put_parameter(Name=f"{root}/c/d", Value="3", Type="String", Tier="Advanced")

    def names(**kw):  # type: ignore[no-untyped-def]
        return sorted(p["Name"] for page in ssm.get_paginator("describe_parameters").paginate(**kw) for p in page["Parameters"])

    assert names(ParameterFilters=[{"Key": "Path", "Values": [root]}]) == [f"{root}/a", f"{root}/b"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}]) == [f"{root}/a", f"{root}/b", f"{root}/c/d"]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [root]}, {"Key": "Type", "Values": ["StringList"]}]) == [f"{root}/b"]
    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [root]}, {"Key": "Tier", "Values": ["Advanced"]}]) == [f"{root}/c/d"]
    assert names(ParameterFilters=[{"Key": "tag:team", "Values": ["blue"]}]) == [f"{root}/a"]
    assert code_of(lambda: ssm.describe_parameters(ParameterFilters=[{"Key": "Type", "Option": "BeginsWith", "Values": ["S"]}])) == "InvalidFilterOption"
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"{root}/b", Tags=[{"Key": "x", "Value": "y"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{root}/b")["TagList"] == [{"Key": "x", "Value": "y"}]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=f"{root}/b", TagKeys=["x"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{root}/b")["TagList"] == []
    assert code_of(lambda: ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/" + uniq())) == "InvalidResourceId"
    too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert code_of(lambda: ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"{root}/b", Tags=too_many)) == "TooManyTagsError"


def test_delete_and_delete_many(ssm) -> None:  # type: ignore[no-untyped-def]
    a, b = uniq(), uniq()
    ssm.put_parameter(Name=a, Value="1", Type="String")
    ssm.put_parameter(Name=b, Value="1", Type="String")
    ssm.delete_parameter(Name=a)
    assert code_of(lambda: ssm.delete_parameter(Name=a)) == "ParameterNotFound"
    r = ssm.delete_parameters(Names=[b, a])
    assert r["DeletedParameters"] == [b] and r["InvalidParameters"] == [a]
    # recreated from version 1
    assert ssm.put_parameter(Name=a, Value="2", Type="String")["Version"] == 1


def test_policies_stored_and_expiration_enforced(ssm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    future = (datetime.now(timezone.utc) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    live = uniq()
    policy = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": future}},
              {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Days"}}]
    assert code_of(lambda: ssm.put_parameter(Name=live, Value="v", Type="String", Policies=json.dumps(policy))) == "ValidationException"
    ssm.put_parameter(Name=live, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policy))
    stored = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [live]}])["Parameters"][0]["Policies"]
    assert sorted(p["PolicyType"] for p in stored) == ["Expiration", "NoChangeNotification"]
    bad = [{"Type": "Explode", "Version": "1.0", "Attributes": {}}]
    assert code_of(lambda: ssm.put_parameter(Name=uniq(), Value="v", Type="String", Tier="Advanced", Policies=json.dumps(bad))) == "InvalidPolicyTypeException"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Advanced",
                      Policies=json.dumps([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": past}}]))
    assert code_of(lambda: ssm.get_parameter(Name=name)) == "ParameterNotFound"


def test_public_parameters_are_served_read_only(ssm) -> None:  # type: ignore[no-untyped-def]
    name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Value"].startswith("ami-") and p["Type"] == "String"
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == p["Value"]
    ecs = ssm.get_parameters_by_path(Path="/aws/service/ecs/optimized-ami/amazon-linux-2", Recursive=True)["Parameters"]
    assert any(x["Name"].endswith("/recommended/image_id") for x in ecs)
    regions = [r for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/global-infrastructure/regions")
               for r in page["Parameters"]]
    assert "/aws/service/global-infrastructure/regions/us-east-1" in [r["Name"] for r in regions]
    assert all(r["Value"] == r["Name"].rsplit("/", 1)[1] for r in regions)
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="ami-00000000", Type="String", Overwrite=True)) == "AccessDeniedException"
    assert code_of(lambda: ssm.get_parameter(Name="/aws/service/nothing/here")) == "ParameterNotFound"


def test_unbuilt_ssm_operations_answer_501(ssm) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        ssm.list_documents()
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_parameters_survive_a_restart(gureum) -> None:  # type: ignore[no-untyped-def]
    ssm = gureum.client("ssm")
    name = "/" + uniq() + "/durable"
    ssm.put_parameter(Name=name, Value="kept", Type="SecureString", Tags=[{"Key": "a", "Value": "b"}])
    ssm.label_parameter_version(Name=name, Labels=["stable"])
    gureum.restart()
    ssm = gureum.client("ssm")
    assert ssm.get_parameter(Name=f"{name}:stable", WithDecryption=True)["Parameter"]["Value"] == "kept"
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [{"Key": "a", "Value": "b"}]


def test_the_aws_cli_reads_and_writes_parameters(gureum) -> None:  # type: ignore[no-untyped-def]
    name = "/" + uniq() + "/cli"
    out = gureum.aws("ssm", "put-parameter", "--name", name, "--value", "a,b,c", "--type", "StringList")
    assert out["Version"] == 1
    got = gureum.aws("ssm", "get-parameters-by-path", "--path", name.rsplit("/", 1)[0])
    assert [(p["Name"], p["Value"], p["Type"]) for p in got["Parameters"]] == [(name, "a,b,c", "StringList")]


def test_at_most_100_versions_and_a_labelled_oldest_blocks_the_next(ssm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    for i in range(100):
        ssm.put_parameter(Name=name, Value=str(i), Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    assert code_of(lambda: ssm.put_parameter(Name=name, Value="x", Overwrite=True)) == "ParameterMaxVersionLimitExceeded"
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["first"])
    assert ssm.put_parameter(Name=name, Value="x", Overwrite=True)["Version"] == 101
    assert code_of(lambda: ssm.get_parameter(Name=f"{name}:1")) == "ParameterVersionNotFound"
    assert ssm.get_parameter(Name=f"{name}:2")["Parameter"]["Value"] == "1"


def test_another_account_neither_sees_nor_reads_parameters(gureum, ssm) -> None:  # type: ignore[no-untyped-def]
    other = gureum.client("ssm", aws_access_key_id="777788889999")
    root = "/" + uniq()
    ssm.put_parameter(Name=f"{root}/mine", Value="v", Type="String")
    arn = ssm.get_parameter(Name=f"{root}/mine")["Parameter"]["ARN"]
    assert other.get_parameters_by_path(Path=root, Recursive=True)["Parameters"] == []
    assert code_of(lambda: other.get_parameter(Name=f"{root}/mine")) == "ParameterNotFound"
    assert code_of(lambda: other.get_parameter(Name=arn)) == "AccessDeniedException"
    other.put_parameter(Name=f"{root}/mine", Value="theirs", Type="String")
    assert ssm.get_parameter(Name=f"{root}/mine")["Parameter"]["Value"] == "v"
