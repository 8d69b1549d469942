"""The Lambda control plane through boto3 and the AWS CLI: functions, code and configuration
updates, versions, aliases, concurrency, permissions, tags, event invoke configs, URLs."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import ISOLATED, invoke_json, zip_of
from waiting import wait_for

ECHO = "import os\ndef handler(e, c):\n    return {'v': os.environ.get('AWS_LAMBDA_FUNCTION_VERSION'), 'e': e}\n"


def _code(answer: str) -> bytes:
    return zip_of({"app.py": f"def handler(e, c):\n    return {answer!r}\n"})


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, dict]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def test_create_get_list_delete(lam, role_arn):
    name = f"crud-{uuid.uuid4().hex[:8]}"
    zipped = _code("one")
    created = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": zipped})
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(zipped).digest()).decode()
    assert created["CodeSize"] == len(zipped)
    assert created["Timeout"] == 3 and created["MemorySize"] == 128 and created["Version"] == "$LATEST"
    assert created["PackageType"] == "Zip" and created["Architectures"] == ["x86_64"]
    assert created["EphemeralStorage"] == {"Size": 512}
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Code"]["RepositoryType"] == "S3"
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert name in names
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": zipped})
    assert _error(exc)[:2] == ("ResourceConflictException", 409)
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=name)
    code, status, resp = _error(exc)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert resp["Error"]["Message"] == f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{name}"


def test_get_function_code_location_downloads_the_zip_until_it_expires(lam, role_arn):
    name = f"dl-{uuid.uuid4().hex[:8]}"
    zipped = _code("download me")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": zipped})
    try:
        code = lam.get_function(FunctionName=name)["Code"]
        assert code["RepositoryType"] == "S3"
        with urllib.request.urlopen(code["Location"], timeout=10) as resp:
            assert resp.read() == zipped
        forged = code["Location"].replace("signature=", "signature=0")
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(forged, timeout=10)
        assert exc.value.code == 403
        expired = code["Location"].split("?")[0] + "?expires=1&signature=00"
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(expired, timeout=10)
        assert exc.value.code == 403
    finally:
        lam.delete_function(FunctionName=name)


def test_list_functions_paginates(lam, make_function):
    for _ in range(3):
        make_function(ECHO)
    pages = list(lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) >= 2
    assert all(len(p["Functions"]) <= 2 for p in pages)


def test_function_is_addressed_by_name_arn_and_partial_arn(lam, make_function):
    name = make_function(ECHO)
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    for ident in (name, arn, f"000000000000:function:{name}"):
        assert lam.get_function_configuration(FunctionName=ident)["FunctionName"] == name


def test_update_code_changes_what_runs_and_revision_id_guards(lam, make_function):
    name = make_function("def handler(e, c):\n    return 'one'\n")
    assert invoke_json(lam, name)[1] == "one"
    before = lam.get_function_configuration(FunctionName=name)
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, ZipFile=_code("two"), RevisionId="wrong")
    assert _error(exc)[:2] == ("PreconditionFailedException", 412)
    updated = lam.update_function_code(FunctionName=name, ZipFile=_code("two"), RevisionId=before["RevisionId"])
    assert updated["LastUpdateStatus"] == "InProgress"
    assert updated["CodeSha256"] != before["CodeSha256"] and updated["RevisionId"] != before["RevisionId"]
    assert lam.get_function_configuration(FunctionName=name)["LastUpdateStatus"] == "Successful"
    assert invoke_json(lam, name)[1] == "two"


def test_update_configuration_is_honoured(lam, make_function):
    name = make_function("import os\ndef handler(e, c):\n    return [os.environ.get('XX'), c.memory_limit_in_mb]\n")
    assert invoke_json(lam, name)[1] == [None, "128"]
    lam.update_function_configuration(FunctionName=name, MemorySize=256, Environment={"Variables": {"XX": "y"}})
    assert invoke_json(lam, name)[1] == ["y", "256"]


def test_bad_configuration_is_refused(lam, role_arn):
    zipped = _code("x")
    base = dict(Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": zipped})
    cases = [
        ({"Environment": {"Variables": {"AWS_REGION": "x"}}}, "InvalidParameterValueException"),
        ({"Environment": {"Variables": {"BIG": "x" * 5000}}}, "InvalidParameterValueException"),
        ({"Role": "arn:aws:iam::000000000000:role/does-not-exist"}, "InvalidParameterValueException"),
        ({"Code": {"ZipFile": b"not a zip"}}, "InvalidParameterValueException"),
        ({"Runtime": "cobol85"}, "ValidationException"),
        ({"Timeout": 901}, "ValidationException"),
    ]
    for override, expected in cases:
        with pytest.raises(ClientError) as exc:
            lam.create_function(FunctionName=f"bad-{uuid.uuid4().hex[:8]}", **{**base, **override})
        assert _error(exc)[0] == expected, override


def test_account_settings(lam):
    s = lam.get_account_settings()
    assert s["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert s["AccountLimit"]["UnreservedConcurrentExecutions"] <= 1000
    assert s["AccountUsage"]["FunctionCount"] >= 0


def test_invoke_types_and_limits(lam, make_function):
    name = make_function(ECHO)
    assert lam.invoke(FunctionName=name, InvocationType="DryRun")["StatusCode"] == 204
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=name, Payload=b"{not json")
    assert _error(exc)[:2] == ("InvalidRequestContentException", 400)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=name, Payload=json.dumps({"x": "y" * (6 * 1024 * 1024)}).encode())
    assert _error(exc)[:2] == ("RequestTooLargeException", 413)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"x": "y" * (1024 * 1024 + 10)}).encode())
    assert _error(exc)[:2] == ("RequestTooLargeException", 413)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=name + "-missing")
    assert _error(exc)[:2] == ("ResourceNotFoundException", 404)


def test_oversized_response_is_an_error(lam, make_function):
    name = make_function("def handler(e, c):\n    return 'x' * (7 * 1024 * 1024)\n", MemorySize=512)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Function.ResponseSizeTooLarge"


def test_versions_are_immutable_snapshots(lam, make_function):
    name = make_function("def handler(e, c):\n    return 'v1'\n")
    v1 = lam.publish_version(FunctionName=name)
    assert v1["Version"] == "1" and v1["FunctionArn"].endswith(f"{name}:1")
    assert lam.publish_version(FunctionName=name)["Version"] == "1"  # nothing changed
    lam.update_function_code(FunctionName=name, ZipFile=_code("v2"))
    v2 = lam.publish_version(FunctionName=name, Description="second")
    assert v2["Version"] == "2" and v2["Description"] == "second"
    resp, out = invoke_json(lam, name, Qualifier="1")
    assert out == "v1" and resp["ExecutedVersion"] == "1"
    assert invoke_json(lam, name)[1] == "v2"
    assert invoke_json(lam, f"{name}:2")[1] == "v2"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]
    lam.delete_function(FunctionName=name, Qualifier="1")
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=name, Qualifier="1")


def test_aliases_route_by_weight(lam, make_function):
    name = make_function("def handler(e, c):\n    return 'one'\n")
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=_code("two"))
    lam.publish_version(FunctionName=name)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["AliasArn"].endswith(f":{name}:live")
    assert invoke_json(lam, name, Qualifier="live")[1] == "one"
    lam.update_alias(FunctionName=name, Name="live", RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    seen = {invoke_json(lam, name, Qualifier="live")[1] for _ in range(30)}
    assert seen == {"one", "two"}
    got = lam.get_alias(FunctionName=name, Name="live")
    assert got["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.5}
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName=name, Qualifier="1")
    assert _error(exc)[0] == "ResourceConflictException"
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(ClientError):
        lam.get_alias(FunctionName=name, Name="live")


def test_reserved_concurrency_throttles_with_reason(lam, make_function, gureum):
    # {"hold": s}: say so in the log, then keep the only slot for s seconds
    name = make_function("import time\ndef handler(e, c):\n    print('RUNNING', flush=True)\n    time.sleep(e.get('hold', 0))\n    return 1\n", Timeout=15)
    assert lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)["ReservedConcurrentExecutions"] == 1
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 1}
    first = threading.Thread(target=lambda: invoke_json(lam, name, {"hold": 5}))
    first.start()
    logs = gureum.client("logs")

    def running() -> bool:  # the first invocation has reached its handler: the one slot is taken
        try:
            return bool(logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"RUNNING"')["events"])
        except logs.exceptions.ResourceNotFoundException:
            return False

    wait_for("the first invocation running", running, timeout=30, interval=0.05)
    with pytest.raises(ClientError) as exc:
        invoke_json(lam, name)
    first.join()
    code, status, resp = _error(exc)
    assert (code, status) == ("TooManyRequestsException", 429)
    assert resp["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as exc:
        invoke_json(lam, name)
    assert _error(exc)[0] == "TooManyRequestsException"
    with pytest.raises(ClientError) as exc:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
    assert _error(exc)[0] == "InvalidParameterValueException"
    lam.delete_function_concurrency(FunctionName=name)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=name)
    assert invoke_json(lam, name)[1] == 1


def test_permissions_round_trip(lam, make_function):
    name = make_function(ECHO)
    st = lam.add_permission(
        FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::bucket", SourceAccount="000000000000",
    )
    statement = json.loads(st["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and statement["Sid"] == "s3"
    policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
    assert policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"] == "arn:aws:s3:::bucket"
    with pytest.raises(ClientError) as exc:
        lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    assert _error(exc)[0] == "ResourceConflictException"
    lam.remove_permission(FunctionName=name, StatementId="s3")
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName=name)
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_tags(lam, make_function):
    name = make_function(ECHO, Tags={"a": "1"})
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    lam.tag_resource(Resource=arn, Tags={"b": "2"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}
    assert lam.get_function(FunctionName=name)["Tags"] == {"b": "2"}


def test_event_invoke_config_round_trip(lam, make_function):
    name = make_function(ECHO)
    dest = make_function(ECHO)
    dest_arn = lam.get_function(FunctionName=dest)["Configuration"]["FunctionArn"]
    out = lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": dest_arn}}
    )
    assert out["MaximumRetryAttempts"] == 1 and out["DestinationConfig"]["OnFailure"]["Destination"] == dest_arn
    lam.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=120)
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["MaximumRetryAttempts"] == 1 and got["MaximumEventAgeInSeconds"] == 120
    assert len(lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]) == 1
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(ClientError):
        lam.get_function_event_invoke_config(FunctionName=name)


def test_function_url_serves_payload_format_2(lam, make_function, gureum):
    code = (
        "import json\n"
        "def handler(e, c):\n"
        "    return {'statusCode': 201, 'headers': {'x-echo': e['rawPath']}, 'cookies': ['a=b'],\n"
        "            'body': json.dumps({'method': e['requestContext']['http']['method'], 'q': e.get('queryStringParameters'),\n"
        "                                'body': e.get('body'), 'version': e['version'], 'cookies': e.get('cookies')})}\n"
    )
    name = make_function(code)
    cfg = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    url = cfg["FunctionUrl"]
    assert ".lambda-url.us-east-1." in url
    assert lam.get_function_url_config(FunctionName=name)["FunctionUrl"] == url
    host = url.split("//", 1)[1].split("/", 1)[0]
    port = host.rsplit(":", 1)[1]
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/some/path?x=1", data=b'{"k": 1}', method="POST",
        headers={"Host": host, "Content-Type": "application/json", "Cookie": "c=d"},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201
        assert resp.headers["x-echo"] == "/some/path"
        assert resp.headers["set-cookie"] == "a=b"
        body = json.loads(resp.read())
    assert body == {"method": "POST", "q": {"x": "1"}, "body": '{"k": 1}', "version": "2.0", "cookies": ["c=d"]}
    assert len(lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]) == 1
    lam.delete_function_url_config(FunctionName=name)
    with pytest.raises(ClientError):
        lam.get_function_url_config(FunctionName=name)


def test_function_url_path_form_works_with_clients_that_cannot_resolve_lambda_url_hosts(lam, make_function, gureum):
    """Python's urllib cannot resolve `<id>.lambda-url.<region>.localhost`: the path form
    `/_aws/lambda-url/<id>/...` reaches the same function, on the API port and the URL port."""
    code = "import json\ndef handler(e, c):\n    return {'statusCode': 200, 'body': json.dumps([e['rawPath'], e['requestContext']['http']['path'], e.get('rawQueryString')])}\n"
    name = make_function(code)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    url_port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    for base in (gureum.endpoint, f"http://127.0.0.1:{url_port}"):
        with urllib.request.urlopen(f"{base}/_aws/lambda-url/{url_id}/a/b%20c?x=1", timeout=30) as resp:
            assert resp.status == 200
            assert json.loads(resp.read()) == ["/a/b%20c", "/a/b c", "x=1"]
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{gureum.endpoint}/_aws/lambda-url/nosuchurlid/", timeout=30)
    assert exc.value.code == 403
    assert "/_aws/lambda-url/" + url_id in gureum.log_path.read_text()


def test_aws_cli_creates_and_invokes(gureum, role_arn, tmp_path):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    zip_path = tmp_path / "f.zip"
    zip_path.write_bytes(zip_of({"app.py": ECHO}))
    out = gureum.aws(
        "lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--role", role_arn,
        "--handler", "app.handler", "--zip-file", f"fileb://{zip_path}",
    )
    assert out["FunctionName"] == name
    result = tmp_path / "out.json"
    meta = gureum.aws(
        "lambda", "invoke", "--function-name", name,
        "--payload", '{"hello": "cli"}', str(result),
    )
    assert meta["StatusCode"] == 200
    assert json.loads(result.read_text()) == {"v": "$LATEST", "e": {"hello": "cli"}}
    gureum.aws("lambda", "delete-function", "--function-name", name)


def test_layers_are_published_listed_and_mounted_under_opt_in_order(lam, make_function):
    first = lam.publish_layer_version(
        LayerName="libs", Content={"ZipFile": zip_of({"python/shared.py": "WHO = 'first'\n", "python/only_first.py": "X = 1\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    second = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": zip_of({"python/shared.py": "WHO = 'second'\n"})})
    assert (first["Version"], second["Version"]) == (1, 2)
    assert second["LayerVersionArn"].endswith(":layer:libs:2")
    assert lam.get_layer_version(LayerName="libs", VersionNumber=1)["Content"]["CodeSha256"] == first["Content"]["CodeSha256"]
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="libs")["LayerVersions"]] == [2, 1]
    assert any(layer["LayerName"] == "libs" for layer in lam.list_layers()["Layers"])
    code = "import shared, only_first\ndef handler(e, c):\n    return [shared.WHO, only_first.X]\n"
    # one version per layer in a function (AWS refuses two of one layer): the later layer wins
    over = lam.publish_layer_version(LayerName="libs-over", Content={"ZipFile": zip_of({"python/shared.py": "WHO = 'second'\n"})})
    name = make_function(code, Layers=[first["LayerVersionArn"], over["LayerVersionArn"]])
    assert [layer["Arn"] for layer in lam.get_function_configuration(FunctionName=name)["Layers"]] == [first["LayerVersionArn"], over["LayerVersionArn"]]
    if ISOLATED:  # /opt exists only inside isolated sandboxes
        assert invoke_json(lam, name)[1] == ["second", 1]
    with pytest.raises(ClientError) as exc:
        make_function(code, Layers=[first["LayerVersionArn"].replace(":1", ":99")])
    assert _error(exc)[0] == "InvalidParameterValueException"
    lam.delete_layer_version(LayerName="libs", VersionNumber=1)
    with pytest.raises(ClientError):
        lam.get_layer_version(LayerName="libs", VersionNumber=1)


def test_function_url_with_aws_iam_auth_needs_a_signature(lam, make_function):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    name = make_function("def handler(e, c):\n    return {'statusCode': 200, 'body': 'signed ok'}\n")
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    host = url.split("//", 1)[1].split("/", 1)[0]
    target = f"http://127.0.0.1:{host.rsplit(':', 1)[1]}/"
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(urllib.request.Request(target, headers={"Host": host}), timeout=30)
    assert exc.value.code == 403
    signed = AWSRequest(method="GET", url=f"http://{host}/", headers={"Host": host})
    SigV4Auth(Credentials("test", "test"), "lambda", "us-east-1").add_auth(signed)
    with urllib.request.urlopen(urllib.request.Request(target, headers=dict(signed.headers.items())), timeout=30) as resp:
        assert resp.status == 200 and resp.read() == b"signed ok"


def test_function_url_config_changes_apply_to_the_next_request(lam, make_function, gureum):
    """The URL listener caches URL configs; a change drops the entry at once (from the
    change event), so an URL switched to AWS_IAM or deleted stops answering unsigned
    requests right away."""
    name = make_function("def handler(e, c):\n    return {'statusCode': 200, 'body': 'open'}\n")
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    target = f"{gureum.endpoint}/_aws/lambda-url/{url.split('//', 1)[1].split('.', 1)[0]}/"

    def status() -> int:
        try:
            with urllib.request.urlopen(target, timeout=30) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status() == 200  # the listener now holds the config
    lam.update_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert status() == 403
    lam.update_function_url_config(FunctionName=name, AuthType="NONE")
    assert status() == 200
    lam.delete_function_url_config(FunctionName=name)
    assert status() == 403


def test_code_can_come_from_s3(gureum, lam, role_arn):
    s3 = gureum.client("s3")
    bucket = f"code-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=_code("from s3"))
    name = f"s3code-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
    try:
        assert invoke_json(lam, name)[1] == "from s3"
        s3.put_object(Bucket=bucket, Key="fn2.zip", Body=_code("updated from s3"))
        lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="fn2.zip")
        assert invoke_json(lam, name)[1] == "updated from s3"
        with pytest.raises(ClientError) as exc:
            lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="missing.zip")
        assert _error(exc)[0] == "InvalidParameterValueException"
    finally:
        lam.delete_function(FunctionName=name)
