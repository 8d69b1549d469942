"""Lambda answers as AWS answers (issue 27): CreateFunction's response at that moment and the
RevisionId moving as the function becomes Active and on every update; missing-resource,
validation, permission and event-invoke-config errors with AWS's code, Type, HTTP status and
message, through boto3."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from lambda_helpers import zip_of

CODE = {"app.py": "def handler(e, c):\n    return e\n"}
ACCOUNT = "000000000000"
REGION = "us-east-1"


def arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def expect(call: Callable[..., Any], code: str, status: int, message: str, type_: str | None = "User", **kwargs: Any) -> None:
    """`call(**kwargs)` fails with exactly this code, HTTP status, message and Type."""
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]) == (code, status, message)
    assert r.get("Type") == type_


@pytest.fixture(scope="module")
def raw(gureum: Any) -> Any:
    """A client that sends what it is given (no client-side checks), so gureum's are tested."""
    return gureum.client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def fn(make_function: Callable[..., str]) -> str:
    return make_function(CODE)


def _create(lam: Any, role_arn: str, name: str, **kwargs: Any) -> dict[str, Any]:
    out: dict[str, Any] = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                              Code={"ZipFile": zip_of(CODE)}, **kwargs)
    out.pop("ResponseMetadata")
    return out


# --- CreateFunction's answer and the revision moving ---------------------------------------
def test_create_function_answers_pending_without_last_update_status_then_active_under_a_new_revision(lam, role_arn):
    name = f"exact-{uuid.uuid4().hex[:8]}"
    created = _create(lam, role_arn, name)
    try:
        assert (created["State"], created["StateReason"], created["StateReasonCode"]) == (
            "Pending", "The function is being created.", "Creating")
        assert "LastUpdateStatus" not in created
        assert set(created) == {
            "FunctionName", "FunctionArn", "Runtime", "Role", "Handler", "CodeSize", "Description", "Timeout", "MemorySize",
            "LastModified", "CodeSha256", "Version", "TracingConfig", "RevisionId", "State", "StateReason", "StateReasonCode",
            "PackageType", "Architectures", "EphemeralStorage", "SnapStart", "RuntimeVersionConfig", "LoggingConfig"}
        active = lam.get_function_configuration(FunctionName=name)
        assert (active["State"], active["LastUpdateStatus"]) == ("Active", "Successful")
        assert "StateReason" not in active and "StateReasonCode" not in active
        assert active["RevisionId"] != created["RevisionId"]
        expect(lam.publish_version, "PreconditionFailedException", 412,
               "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the "
               "latest Revision Id", FunctionName=name, RevisionId=created["RevisionId"])
        assert lam.publish_version(FunctionName=name, RevisionId=active["RevisionId"])["Version"] == "1"
    finally:
        lam.delete_function(FunctionName=name)


def test_create_function_with_publish_answers_the_pending_version(lam, role_arn):
    name = f"exact-{uuid.uuid4().hex[:8]}"
    created = _create(lam, role_arn, name, Publish=True)
    try:
        assert (created["Version"], created["State"], created["FunctionArn"]) == ("1", "Pending", arn(name))
        assert "LastUpdateStatus" not in created
        assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["RevisionId"] != created["RevisionId"]
    finally:
        lam.delete_function(FunctionName=name)


def test_configuration_update_answers_in_progress_and_the_settled_revision_is_new(lam, fn):
    before = lam.get_function_configuration(FunctionName=fn)
    updated = lam.update_function_configuration(FunctionName=fn, Timeout=7, RevisionId=before["RevisionId"])
    assert (updated["LastUpdateStatus"], updated["LastUpdateStatusReason"], updated["LastUpdateStatusReasonCode"]) == (
        "InProgress", "The function is being created.", "Creating")
    after = lam.get_function_configuration(FunctionName=fn)
    assert after["LastUpdateStatus"] == "Successful" and after["Timeout"] == 7
    assert len({before["RevisionId"], updated["RevisionId"], after["RevisionId"]}) == 3
    code = lam.update_function_code(FunctionName=fn, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 2\n"}))
    assert code["LastUpdateStatus"] == "InProgress"
    assert lam.get_function_configuration(FunctionName=fn)["RevisionId"] not in (code["RevisionId"], after["RevisionId"])


# --- validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(("member", "value", "where", "constraint"), [
    ("Timeout", 0, "timeout", "Member must have value greater than or equal to 1"),
    ("Timeout", 901, "timeout", "Member must have value less than or equal to 900"),
    ("MemorySize", 127, "memorySize", "Member must have value greater than or equal to 128"),
    ("MemorySize", 10241, "memorySize", "Member must have value less than or equal to 10240"),
    ("EphemeralStorage", {"Size": 10241}, "ephemeralStorage.size", "Member must have value less than or equal to 10240"),
])
def test_out_of_range_settings_are_validation_errors(raw, role_arn, member, value, where, constraint):
    shown = value["Size"] if isinstance(value, dict) else value
    expect(raw.create_function, "ValidationException", 400,
           f"1 validation error detected: Value '{shown}' at '{where}' failed to satisfy constraint: {constraint}", None,
           FunctionName=f"v-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role_arn, Handler="app.handler",
           Code={"ZipFile": zip_of(CODE)}, **{member: value})


def test_function_name_longer_than_64_is_refused(lam, role_arn):
    name = "f" * 65
    expect(lam.create_function, "ValidationException", 400,
           f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: "
           "Member must have length less than or equal to 64", None,
           FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": zip_of(CODE)})


def test_environment_over_4kb_names_the_string_measured(lam, role_arn):
    variables = {"BIG": "x" * 4100}
    expect(lam.create_function, "InvalidParameterValueException", 400,
           "Lambda was unable to configure your environment variables because the environment variables you have provided "
           f"exceeded the 4KB limit. String measured: {json.dumps(variables, separators=(',', ':'))}",
           FunctionName=f"v-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role_arn, Handler="app.handler",
           Code={"ZipFile": zip_of(CODE)}, Environment={"Variables": variables})


# --- missing resources ---------------------------------------------------------------------
def test_missing_function_version_and_alias(lam, fn):
    expect(lam.get_function, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}", FunctionName="nope-" + fn)
    expect(lam.get_function, "ResourceNotFoundException", 404, f"Function not found: {arn(fn)}:1221", FunctionName=fn, Qualifier="1221")
    expect(lam.get_alias, "ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(fn)}:live", FunctionName=fn, Name="live")
    expect(lam.get_function, "ResourceNotFoundException", 404, f"Function not found: {arn(fn)}:live", FunctionName=fn, Qualifier="live")
    expect(lam.delete_function, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}",
           FunctionName="nope-" + fn, Qualifier="1")
    expect(lam.get_function, "ResourceNotFoundException", 404, "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
           FunctionName=f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{fn}")
    expect(lam.get_function, "InvalidParameterValueException", 400,
           "The derived qualifier from the function name does not match the specified qualifier.",
           FunctionName=f"{arn(fn)}:1", Qualifier="2")


def test_event_invoke_config_errors(lam, fn):
    expect(lam.get_function_event_invoke_config, "ResourceNotFoundException", 404,
           f"The function {arn(fn)}:$LATEST doesn't have an EventInvokeConfig", FunctionName=fn)
    expect(lam.get_function_event_invoke_config, "ResourceNotFoundException", 404,
           f"The function {arn(fn)}:1221 doesn't have an EventInvokeConfig", FunctionName=fn, Qualifier="1221")
    expect(lam.delete_function_event_invoke_config, "ResourceNotFoundException", 404,
           f"The function {arn(fn)}:$LATEST doesn't have an EventInvokeConfig", FunctionName=fn)
    expect(lam.update_function_event_invoke_config, "ResourceNotFoundException", 404,
           f"The function {arn(fn)}:$LATEST doesn't have an EventInvokeConfig", FunctionName=fn, MaximumRetryAttempts=1)
    expect(lam.put_function_event_invoke_config, "ResourceNotFoundException", 404, "The function doesn't exist.",
           FunctionName=fn, Qualifier="1221", MaximumRetryAttempts=1)
    expect(lam.put_function_event_invoke_config, "InvalidParameterValueException", 400,
           "You must specify at least one of error handling or destination setting.", FunctionName=fn)
    assert lam.put_function_event_invoke_config(FunctionName=fn, MaximumRetryAttempts=1)["MaximumRetryAttempts"] == 1


def test_permission_errors(lam, fn):
    expect(lam.get_policy, "ResourceNotFoundException", 404, "The resource you requested does not exist.", FunctionName=fn)
    expect(lam.remove_permission, "ResourceNotFoundException", 404, "No policy is associated with the given resource.",
           FunctionName=fn, StatementId="s1")
    grant = dict(FunctionName=fn, Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lam.add_permission(StatementId="s1", **grant)
    expect(lam.add_permission, "ResourceConflictException", 409,
           "The statement id (s1) provided already exists. Please provide a new statement id, or remove the existing statement.",
           StatementId="s1", **grant)
    expect(lam.remove_permission, "ResourceNotFoundException", 404, "Statement s9 is not found in resource policy.",
           FunctionName=fn, StatementId="s9")


def test_policy_over_20kb_is_refused_with_its_size(lam, fn):
    policy_size = 0
    for i in range(400):
        sid = f"statement-{i:03d}-" + "x" * 60
        try:
            lam.add_permission(FunctionName=fn, StatementId=sid, Action="lambda:InvokeFunction", Principal="s3.amazonaws.com",
                               SourceArn=f"arn:aws:s3:::bucket-{i:03d}-" + "y" * 40)
        except ClientError as exc:
            r = exc.response
            assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]) == ("PolicyLengthExceededException", 400)
            message = r["Error"]["Message"]
            assert message.startswith("The final policy size (") and message.endswith(") is bigger than the limit (20480).")
            assert int(message.split("(")[1].split(")")[0]) > 20480 > policy_size
            return
        policy_size = len(lam.get_policy(FunctionName=fn)["Policy"].encode())
    pytest.fail("AddPermission never refused a policy over 20 KB")


def test_event_source_mapping_errors(gureum, lam, fn):
    sqs = gureum.client("sqs")
    url = sqs.create_queue(QueueName=f"exact-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    expect(lam.create_event_source_mapping, "InvalidParameterValueException", 400, "StartingPosition is not valid for SQS event sources.",
           FunctionName=fn, EventSourceArn=queue, StartingPosition="LATEST")
    expect(lam.create_event_source_mapping, "InvalidParameterValueException", 400,
           "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
           FunctionName=fn, EventSourceArn=queue, BatchSize=11)
    expect(lam.get_event_source_mapping, "ResourceNotFoundException", 404, "The resource you requested does not exist.",
           UUID=str(uuid.uuid4()))


def test_qualified_reads_name_the_qualifier_and_listings_leave_out_the_state(lam, fn):
    assert lam.get_function(FunctionName=fn)["Configuration"]["FunctionArn"] == arn(fn)
    assert lam.get_function(FunctionName=fn, Qualifier="$LATEST")["Configuration"]["FunctionArn"] == arn(fn) + ":$LATEST"
    version = lam.publish_version(FunctionName=fn)
    assert (version["Version"], version["State"], version["LastUpdateStatus"]) == ("1", "Active", "Successful")
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    by_alias = lam.get_function_configuration(FunctionName=fn, Qualifier="live")
    assert (by_alias["FunctionArn"], by_alias["Version"]) == (arn(fn) + ":live", "1")
    listed = lam.list_versions_by_function(FunctionName=fn)["Versions"]
    assert [v["FunctionArn"] for v in listed] == [arn(fn) + ":$LATEST", arn(fn) + ":1"]
    hidden = {"State", "StateReason", "StateReasonCode", "LastUpdateStatus", "RuntimeVersionConfig"}
    assert not hidden & {k for v in listed for k in v}
    [mine] = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == fn]
    assert not hidden & set(mine)


def test_code_update_with_publish_answers_the_new_version_still_being_created(lam, fn):
    out = lam.update_function_code(FunctionName=fn, ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 3\n"}), Publish=True)
    assert (out["Version"], out["FunctionArn"], out["State"], out["StateReasonCode"]) == ("1", arn(fn) + ":1", "Pending", "Creating")
    assert not any(k.startswith("LastUpdateStatus") for k in out)


def test_alias_errors(lam, fn):
    lam.publish_version(FunctionName=fn)
    expect(lam.create_alias, "ResourceNotFoundException", 404, f"Function not found: {arn(fn)}:10", FunctionName=fn, Name="a",
           FunctionVersion="10")
    expect(lam.create_alias, "ResourceNotFoundException", 404, f"Function not found: {arn(fn)}:10", FunctionName=fn, Name="a",
           FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"10": 0.5}})
    expect(lam.create_alias, "InvalidParameterValueException", 400,
           "Invalid function version 1. Function version 1 is already included in routing configuration.",
           FunctionName=fn, Name="a", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    expect(lam.create_alias, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}:1",
           FunctionName="nope-" + fn, Name="a", FunctionVersion="1")
    lam.create_alias(FunctionName=fn, Name="a", FunctionVersion="1")
    expect(lam.create_alias, "ResourceConflictException", 409, f"Alias already exists: {arn(fn)}:a", FunctionName=fn, Name="a",
           FunctionVersion="1")
    expect(lam.update_alias, "ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(fn)}:b", FunctionName=fn, Name="b",
           FunctionVersion="1")


def test_event_invoke_config_destinations_and_listing(lam, fn):
    expect(lam.put_function_event_invoke_config, "InvalidParameterValueException", 400,
           f"The destination ARN {arn('doesnotexist')} is invalid.", FunctionName=fn,
           DestinationConfig={"OnSuccess": {"Destination": arn("doesnotexist")}})
    expect(lam.put_function_event_invoke_config, "InvalidParameterValueException", 400,
           "You can't specify the function as a destination for itself.", FunctionName=fn,
           DestinationConfig={"OnSuccess": {"Destination": arn(fn)}})
    iam_arn = f"arn:aws:iam:{REGION}:{ACCOUNT}:function:{fn}"
    expect(lam.put_function_event_invoke_config, "InvalidParameterValueException", 400,
           f"The provided destination config DestinationConfig(onSuccess=OnSuccess(destination={iam_arn}), onFailure=null) is invalid.",
           FunctionName=fn, DestinationConfig={"OnSuccess": {"Destination": iam_arn}})
    expect(lam.list_function_event_invoke_configs, "ResourceNotFoundException", 404, "The function doesn't exist.",
           FunctionName="nope-" + fn)


def test_reserved_concurrency_errors(lam, fn):
    expect(lam.put_function_concurrency, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}:$LATEST",
           FunctionName="nope-" + fn, ReservedConcurrentExecutions=1)
    expect(lam.put_function_concurrency, "InvalidParameterValueException", 400,
           "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. "
           "Please specify either a function name or an unqualified function ARN.",
           FunctionName=f"{arn(fn)}:1", ReservedConcurrentExecutions=1)
    expect(lam.get_function_concurrency, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}",
           FunctionName="nope-" + fn)


def test_tag_errors_and_tags_move_the_revision(lam, fn):
    before = lam.get_function_configuration(FunctionName=fn)["RevisionId"]
    lam.tag_resource(Resource=arn(fn), Tags={"a": "1"})
    assert lam.get_function_configuration(FunctionName=fn)["RevisionId"] != before
    expect(lam.tag_resource, "InvalidParameterValueException", 400,
           "Tags on function aliases and versions are not supported. Please specify a function ARN.",
           Resource=arn(fn) + ":$LATEST", Tags={"a": "1"})
    expect(lam.tag_resource, "InvalidParameterValueException", 400, "An error occurred and the request cannot be processed.",
           Resource=arn(fn), Tags={})
    expect(lam.tag_resource, "InvalidParameterValueException", 400, "Number of tags exceeds resource tag limit.",
           Resource=arn(fn), Tags={f"{i}_key": f"{i}_value" for i in range(50)})
    expect(lam.tag_resource, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}",
           Resource=arn("nope-" + fn), Tags={"a": "1"})


def test_function_url_config_errors_and_answers(lam, fn):
    pattern = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
    for qualifier in ("1", "$LATEST"):
        expect(lam.create_function_url_config, "ValidationException", 400,
               f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to satisfy constraint: "
               f"Member must satisfy regular expression pattern: {pattern}", None, FunctionName=fn, Qualifier=qualifier, AuthType="NONE")
    expect(lam.create_function_url_config, "ResourceNotFoundException", 404, "Function does not exist",
           FunctionName="nope-" + fn, AuthType="NONE")
    expect(lam.create_function_url_config, "ResourceNotFoundException", 404, "Function does not exist",
           FunctionName=fn, Qualifier="nope", AuthType="NONE")
    expect(lam.list_function_url_configs, "ResourceNotFoundException", 404, "Function does not exist", FunctionName="nope-" + fn)
    created = lam.create_function_url_config(FunctionName=fn, AuthType="NONE")
    created.pop("ResponseMetadata")
    assert set(created) == {"AuthType", "CreationTime", "FunctionArn", "FunctionUrl"}
    got = lam.get_function_url_config(FunctionName=fn)
    assert got["InvokeMode"] == "BUFFERED" and "LastModifiedTime" in got
    updated = lam.update_function_url_config(FunctionName=fn, AuthType="AWS_IAM")
    updated.pop("ResponseMetadata")
    assert set(updated) == {"AuthType", "CreationTime", "FunctionArn", "FunctionUrl", "LastModifiedTime"}
    lam.delete_function_url_config(FunctionName=fn)


def test_permission_qualifier_and_principal_errors(lam, fn):
    grant = dict(Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    expect(lam.add_permission, "InvalidParameterValueException", 400, "We currently do not support adding policies for $LATEST.",
           FunctionName=fn, StatementId="s1", Qualifier="$LATEST", **grant)
    expect(lam.add_permission, "InvalidParameterValueException", 400,
           "The provided principal was invalid. Please check the principal and try again.",
           FunctionName=fn, StatementId="s1", Action="lambda:InvokeFunction", Principal="invalid-principal")
    expect(lam.add_permission, "ResourceNotFoundException", 404, f"Function not found: {arn(fn)}:42",
           FunctionName=fn, StatementId="s1", Qualifier="42", **grant)
    expect(lam.add_permission, "ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(fn)}:nope",
           FunctionName=fn, StatementId="s1", Qualifier="nope", **grant)
    expect(lam.add_permission, "ResourceNotFoundException", 404, f"Function not found: {arn('nope-' + fn)}",
           FunctionName="nope-" + fn, StatementId="s1", **grant)
    expect(lam.remove_permission, "ResourceNotFoundException", 404, f"No policy found for: {arn('nope-' + fn)}",
           FunctionName="nope-" + fn, StatementId="s1")
    expect(lam.remove_permission, "ResourceNotFoundException", 404, f"Cannot find alias arn: {arn(fn)}:nope",
           FunctionName=fn, StatementId="s1", Qualifier="nope")
    expect(lam.get_policy, "ResourceNotFoundException", 404, "The resource you requested does not exist.", FunctionName=fn, Qualifier="42")
    lam.add_permission(FunctionName=fn, StatementId="acct", Action="lambda:InvokeFunction", Principal="123456789012")


def test_list_functions_all_names_latest(lam, fn):
    lam.publish_version(FunctionName=fn)
    mine = [f["FunctionArn"] for f in lam.list_functions(FunctionVersion="ALL")["Functions"] if f["FunctionName"] == fn]
    assert mine == [arn(fn) + ":$LATEST", arn(fn) + ":1"]


def test_layer_errors(lam, role_arn):
    name = f"exact-{uuid.uuid4().hex[:8]}"
    v1 = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"x.py": "X = 1\n"})})["LayerVersionArn"]
    assert lam.get_layer_version(LayerName=name, VersionNumber=1)["Content"]["Location"]
    v2 = lam.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"x.py": "X = 2\n"})})["LayerVersionArn"]
    for bad in (0, -1):
        expect(lam.get_layer_version, "InvalidParameterValueException", 400, "Layer Version Cannot be less than 1", LayerName=name,
               VersionNumber=bad)
    expect(lam.get_layer_version, "ResourceNotFoundException", 404, "The resource you requested does not exist.", LayerName=name,
           VersionNumber=9)
    lam.delete_layer_version(LayerName=name, VersionNumber=9)  # nothing to delete is no error
    base = dict(FunctionName=f"l-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role_arn, Handler="app.handler",
                Code={"ZipFile": zip_of(CODE)})
    for pair in ((v1, v2), (v1, v1)):
        expect(lam.create_function, "InvalidParameterValueException", 400,
               "Two different versions of the same layer are not allowed to be referenced in the same function. "
               f"{pair[0]} and {pair[1]} are versions of the same layer.", Layers=list(pair), **base)
    elsewhere = v1.replace(f":{REGION}:", ":eu-west-1:")
    expect(lam.create_function, "InvalidParameterValueException", 400,
           f"Layers are not in the same region as the function. Layers are expected to be in region {REGION}.", Layers=[elsewhere], **base)


def test_updates_are_refused_until_the_function_settles():
    from gureum.aws.errors import AwsError
    from gureum.services.lambda_ import functions

    fn_arn = arn("img")
    for config, message in [
        ({"FunctionArn": fn_arn, "State": "Pending"},
         "The operation cannot be performed at this time. The function is currently in the following state: Pending"),
        ({"FunctionArn": fn_arn, "State": "Active", "LastUpdateStatus": "InProgress"},
         f"The operation cannot be performed at this time. An update is in progress for resource: {fn_arn}"),
    ]:
        with pytest.raises(AwsError) as exc:
            functions.check_updatable(config)
        assert (exc.value.code, exc.value.status, exc.value.message) == ("ResourceConflictException", 409, message)
    functions.check_updatable({"FunctionArn": fn_arn, "State": "Active", "LastUpdateStatus": "Successful"})


def test_a_policy_answers_and_moves_its_owners_revision(lam, fn):
    grant = dict(Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    mismatch = ("The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the "
                "latest Revision Id")
    before = lam.get_function_configuration(FunctionName=fn)["RevisionId"]
    expect(lam.add_permission, "PreconditionFailedException", 412, mismatch, FunctionName=fn, StatementId="s1", RevisionId="nope",
           **grant)
    lam.add_permission(FunctionName=fn, StatementId="s1", RevisionId=before, **grant)
    latest = lam.get_function_configuration(FunctionName=fn)["RevisionId"]
    assert latest != before and lam.get_policy(FunctionName=fn)["RevisionId"] == latest
    expect(lam.remove_permission, "PreconditionFailedException", 412, mismatch, FunctionName=fn, StatementId="s1", RevisionId=before)
    published = lam.publish_version(FunctionName=fn)
    after_publish = lam.get_function_configuration(FunctionName=fn)["RevisionId"]
    assert after_publish not in (latest, published["RevisionId"])
    assert lam.get_policy(FunctionName=fn)["RevisionId"] == after_publish
    alias = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    expect(lam.add_permission, "PreconditionFailedException", 412, mismatch, FunctionName=fn, Qualifier="live", StatementId="s1",
           RevisionId=published["RevisionId"], **grant)
    lam.add_permission(FunctionName=fn, Qualifier="live", StatementId="s1", RevisionId=alias["RevisionId"], **grant)
    moved = lam.get_alias(FunctionName=fn, Name="live")["RevisionId"]
    assert moved != alias["RevisionId"] and lam.get_policy(FunctionName=fn, Qualifier="live")["RevisionId"] == moved
    lam.remove_permission(FunctionName=fn, StatementId="s1", RevisionId=after_publish)


def test_a_deleted_alias_or_version_takes_its_policy_with_it(lam, fn):
    grant = dict(StatementId="s1", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    lam.publish_version(FunctionName=fn)
    lam.update_function_configuration(FunctionName=fn, Timeout=9)
    assert lam.publish_version(FunctionName=fn)["Version"] == "2"
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    lam.add_permission(FunctionName=fn, Qualifier="live", **grant)
    lam.add_permission(FunctionName=fn, Qualifier="2", **grant)
    lam.delete_alias(FunctionName=fn, Name="live")
    lam.delete_function(FunctionName=fn, Qualifier="2")
    lam.create_alias(FunctionName=fn, Name="live", FunctionVersion="1")
    expect(lam.get_policy, "ResourceNotFoundException", 404, "The resource you requested does not exist.", FunctionName=fn, Qualifier="live")
    expect(lam.get_policy, "ResourceNotFoundException", 404, "The resource you requested does not exist.", FunctionName=fn, Qualifier="2")
