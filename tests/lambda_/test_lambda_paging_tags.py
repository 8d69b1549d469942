"""Lambda listings paged with boto3's paginators (Marker = a key token of gureum.aws.paging)
and Lambda's tag rules (gureum.aws.tags), against a real gureum."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import zip_of

ECHO = "def handler(e, c):\n    return e\n"


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def _paged(lam, op: str, key: str, size: int = 2, **kw) -> list[list[dict]]:
    return [p[key] for p in lam.get_paginator(op).paginate(PaginationConfig={"PageSize": size}, **kw)]


def test_versions_aliases_and_all_function_versions_page(lam, make_function):
    name = make_function(ECHO)
    for i in range(4):
        lam.update_function_configuration(FunctionName=name, Description=f"v{i}")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        lam.publish_version(FunctionName=name)
    pages = _paged(lam, "list_versions_by_function", "Versions", FunctionName=name)
    assert len(pages) == 3 and [v["Version"] for p in pages for v in p] == ["$LATEST", "1", "2", "3", "4"]
    for i in range(5):
        lam.create_alias(FunctionName=name, Name=f"a{i}", FunctionVersion=str(1 + i % 2))
    pages = _paged(lam, "list_aliases", "Aliases", FunctionName=name)
    assert len(pages) == 3 and [a["Name"] for p in pages for a in p] == [f"a{i}" for i in range(5)]
    only = [a["Name"] for p in _paged(lam, "list_aliases", "Aliases", size=1, FunctionName=name, FunctionVersion="1") for a in p]
    assert only == ["a0", "a2", "a4"]
    every = [(f["FunctionName"], f["Version"]) for p in _paged(lam, "list_functions", "Functions", size=3, FunctionVersion="ALL") for f in p]
    assert len(every) == len(set(every)) and [v for n, v in every if n == name] == ["$LATEST", "1", "2", "3", "4"]


def test_event_invoke_configs_and_url_configs_page(lam, make_function):
    name = make_function(ECHO)
    for i in range(3):
        lam.update_function_configuration(FunctionName=name, Description=f"v{i}")
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        lam.publish_version(FunctionName=name)
        lam.create_alias(FunctionName=name, Name=f"live{i}", FunctionVersion=str(i + 1))
        lam.put_function_event_invoke_config(FunctionName=name, Qualifier=str(i + 1), MaximumRetryAttempts=i)
        lam.create_function_url_config(FunctionName=name, Qualifier=f"live{i}", AuthType="NONE")
    pages = _paged(lam, "list_function_event_invoke_configs", "FunctionEventInvokeConfigs", FunctionName=name)
    assert len(pages) == 2 and [c["MaximumRetryAttempts"] for p in pages for c in p] == [0, 1, 2]
    pages = _paged(lam, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=name)
    assert len(pages) == 2 and len({c["FunctionArn"] for p in pages for c in p}) == 3


def test_layers_and_layer_versions_page(lam):
    base = f"pg{uuid.uuid4().hex[:6]}"
    for i in range(3):
        for _ in range(2):
            lam.publish_layer_version(LayerName=f"{base}-{i}", Content={"ZipFile": zip_of({"python/x.py": "X = 1\n"})},
                                      CompatibleRuntimes=["python3.12"])
    pages = _paged(lam, "list_layer_versions", "LayerVersions", size=1, LayerName=f"{base}-0")
    assert [v["Version"] for p in pages for v in p] == [2, 1]
    names = [x["LayerName"] for p in _paged(lam, "list_layers", "Layers", CompatibleRuntime="python3.12") for x in p]
    assert [n for n in names if n.startswith(base)] == [f"{base}-{i}" for i in range(3)] and len(names) == len(set(names))


def test_a_marker_of_another_listing_is_refused(lam, make_function):
    name = make_function(ECHO)
    for _ in range(2):
        lam.publish_version(FunctionName=name, Description=str(uuid.uuid4()))
    marker = lam.list_versions_by_function(FunctionName=name, MaxItems=1)["NextMarker"]
    other = make_function(ECHO)
    for bad in (marker, "1"):  # another function's marker; the offset marker gureum used to hand out
        with pytest.raises(ClientError) as e:
            lam.list_versions_by_function(FunctionName=other, MaxItems=1, Marker=bad)
        assert _code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.list_functions(Marker=marker)
    assert _code(e) == "InvalidParameterValueException"


def test_tag_rules(lam, make_function):
    name = make_function(ECHO)
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    for bad in ({"one-more": "v"}, {"aws:x": "v"}):
        with pytest.raises(ClientError) as e:
            lam.tag_resource(Resource=arn, Tags=bad)
        assert _code(e) == "InvalidParameterValueException"
    # a character the model's pattern refuses: AWS's model validation, in its map wording
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn, Tags={"k1": "bad#value"})
    assert _code(e) == "ValidationException"
    assert e.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value '{k1=bad#value}' at 'tags' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 256, ")
    lam.untag_resource(Resource=arn, TagKeys=[f"k{i}" for i in range(1, 50)])
    assert lam.list_tags(Resource=arn)["Tags"] == {"k0": "v"}


def test_create_function_tags_follow_the_tag_rules(lam, make_function):
    for bad in ({"aws:x": "v"}, {f"k{i}": "v" for i in range(51)}):
        with pytest.raises(ClientError) as e:
            make_function(ECHO, Tags=bad)
        assert _code(e) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        make_function(ECHO, Tags={"k": "bad#value"})
    assert _code(e) == "ValidationException"
    name = make_function(ECHO, Tags={f"k{i}": "v" for i in range(50)})
    arn = lam.get_function_configuration(FunctionName=name)["FunctionArn"]
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50
