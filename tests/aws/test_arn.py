"""gureum.aws.arn on plain values: every builder against the ARN AWS documents for it (the
examples of each service's "Resource types" table and API reference), parse/str round trips,
the resource type/id split, and malformed input -> BadArn (never IndexError)."""

from __future__ import annotations

import pytest

from gureum.aws import arn as arns
from gureum.aws.arn import Arn, BadArn

ACCT = "123456789012"

BUILT = [
    (arns.sqs_queue("us-east-2", ACCT, "MyQueue"), "arn:aws:sqs:us-east-2:123456789012:MyQueue"),
    (arns.sns_topic("us-east-2", ACCT, "MyTopic"), "arn:aws:sns:us-east-2:123456789012:MyTopic"),
    (arns.sns_subscription("us-east-2", ACCT, "MyTopic", "6b0e71bd-7e97-4d97-80ce-4a0994e55286"),
     "arn:aws:sns:us-east-2:123456789012:MyTopic:6b0e71bd-7e97-4d97-80ce-4a0994e55286"),
    (arns.lambda_function("us-west-2", ACCT, "my-function"), "arn:aws:lambda:us-west-2:123456789012:function:my-function"),
    (arns.lambda_function("us-west-2", ACCT, "my-function", "1"), "arn:aws:lambda:us-west-2:123456789012:function:my-function:1"),
    (arns.lambda_function("us-west-2", ACCT, "my-function", "$LATEST"),
     "arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST"),
    (arns.lambda_layer("us-east-2", ACCT, "my-layer"), "arn:aws:lambda:us-east-2:123456789012:layer:my-layer"),
    (arns.lambda_layer("us-east-2", ACCT, "my-layer", 1), "arn:aws:lambda:us-east-2:123456789012:layer:my-layer:1"),
    (arns.lambda_event_source_mapping("us-east-2", ACCT, "a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"),
     "arn:aws:lambda:us-east-2:123456789012:event-source-mapping:a1b2c3d4-5678-90ab-cdef-11111EXAMPLE"),
    (arns.lambda_runtime("us-east-1", "gureum"), "arn:aws:lambda:us-east-1::runtime:gureum"),
    (arns.iam_root(ACCT), "arn:aws:iam::123456789012:root"),
    (arns.iam_role(ACCT, "/", "S3Access"), "arn:aws:iam::123456789012:role/S3Access"),
    (arns.iam_role(ACCT, "/application_abc/component_xyz/", "S3Access"),
     "arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access"),
    (arns.iam_user(ACCT, "/division_abc/subdivision_xyz/", "Jane"),
     "arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Jane"),
    (arns.iam_policy(ACCT, "/", "UsersManageOwnCredentials"), "arn:aws:iam::123456789012:policy/UsersManageOwnCredentials"),
    (arns.iam_managed_policy("/", "ReadOnlyAccess"), "arn:aws:iam::aws:policy/ReadOnlyAccess"),
    (arns.iam_managed_policy("/service-role/", "AWSLambdaRole"), "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"),
    (arns.iam_oidc_provider(ACCT, "oidc.example.com/id/1"), "arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/1"),
    (arns.sts_assumed_role(ACCT, "Accounting-Role", "Mary"), "arn:aws:sts::123456789012:assumed-role/Accounting-Role/Mary"),
    (arns.sts_federated_user(ACCT, "my-federated-user-name"),
     "arn:aws:sts::123456789012:federated-user/my-federated-user-name"),
    (arns.ecs_cluster("us-east-1", ACCT, "default"), "arn:aws:ecs:us-east-1:123456789012:cluster/default"),
    (arns.ecs_task_definition("us-east-1", ACCT, "hello_world", 8),
     "arn:aws:ecs:us-east-1:123456789012:task-definition/hello_world:8"),
    (arns.ecs_task("us-east-1", ACCT, "default", "1dc5c17a-422b-4dc4-b493-371970c6c4d6"),
     "arn:aws:ecs:us-east-1:123456789012:task/default/1dc5c17a-422b-4dc4-b493-371970c6c4d6"),
    (arns.ecs_container("us-east-1", ACCT, "default", "t1", "c1"), "arn:aws:ecs:us-east-1:123456789012:container/default/t1/c1"),
    (arns.ecs_container_instance("us-east-1", ACCT, "default", "f2756532-8f13-4d53-87c9-aed50dc94cd7"),
     "arn:aws:ecs:us-east-1:123456789012:container-instance/default/f2756532-8f13-4d53-87c9-aed50dc94cd7"),
    (arns.ecs_service("us-east-1", ACCT, "default", "ecs-simple-service"),
     "arn:aws:ecs:us-east-1:123456789012:service/default/ecs-simple-service"),
    (arns.ecr_repository("us-west-2", ACCT, "project-a/nginx-web-app"),
     "arn:aws:ecr:us-west-2:123456789012:repository/project-a/nginx-web-app"),
    (arns.kms_alias("us-west-2", ACCT, "aws/ecr"), "arn:aws:kms:us-west-2:123456789012:alias/aws/ecr"),
    (arns.logs_group("us-east-1", ACCT, "my-log-group"), "arn:aws:logs:us-east-1:123456789012:log-group:my-log-group"),
    (arns.servicediscovery_namespace("us-east-1", ACCT, "ns-e4anhexample0004"),
     "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-e4anhexample0004"),
    (arns.servicediscovery_service("us-east-1", ACCT, "srv-e4anhexample0004"),
     "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-e4anhexample0004"),
    (arns.s3_bucket("amzn-s3-demo-bucket"), "arn:aws:s3:::amzn-s3-demo-bucket"),
    (arns.s3_object("amzn-s3-demo-bucket", "dir/my-data.txt"), "arn:aws:s3:::amzn-s3-demo-bucket/dir/my-data.txt"),
    (arns.route53_hostedzone("Z148QEXAMPLE8V"), "arn:aws:route53:::hostedzone/Z148QEXAMPLE8V"),
    (arns.route53_healthcheck("abcdef11-2222-3333-4444-555555fedcba"),
     "arn:aws:route53:::healthcheck/abcdef11-2222-3333-4444-555555fedcba"),
    (arns.route53_cidrcollection("c8c02a84-aaaa-bbbb-e0d2-d833a2f80106"),
     "arn:aws:route53:::cidrcollection/c8c02a84-aaaa-bbbb-e0d2-d833a2f80106"),
    (arns.route53("delegationset", "N1PA6795SAMPLE"), "arn:aws:route53:::delegationset/N1PA6795SAMPLE"),
]


@pytest.mark.parametrize("built,documented", BUILT, ids=[d for _, d in BUILT])
def test_builder_matches_documented_arn_and_round_trips(built: str, documented: str) -> None:
    assert built == documented
    assert str(arns.parse(built)) == documented


def test_parse_fields_and_resource_split() -> None:
    a = arns.parse("arn:aws:iam::123456789012:role/application_abc/S3Access")
    assert a == Arn("aws", "iam", "", ACCT, "role/application_abc/S3Access")
    assert (a.resource_type, a.resource_id) == ("role", "application_abc/S3Access")
    f = arns.parse("arn:aws:lambda:us-west-2:123456789012:function:my-function:PROD")
    assert (f.region, f.resource_type, f.resource_id) == ("us-west-2", "function", "my-function:PROD")
    g = arns.parse("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f")
    assert (g.resource_type, g.resource_id) == ("log-group", "/aws/lambda/f")  # first separator wins
    q = arns.parse("arn:aws:sqs:us-east-2:123456789012:MyQueue")
    assert (q.resource_type, q.resource_id) == ("", "MyQueue")


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_parse_accepts_every_aws_partition(partition: str) -> None:
    assert arns.parse(f"arn:{partition}:sqs:cn-north-1:{ACCT}:q").partition == partition


@pytest.mark.parametrize("text", [
    "", "arn", "arn:", "arn:aws", "arn:aws:sqs", "arn:aws:sqs:us-east-1:123456789012",
    "arn:aws:sqs:us-east-1:123456789012:", "urn:aws:sqs:us-east-1:123456789012:q",
    "arn:gcp:sqs:us-east-1:123456789012:q", "arn::sqs:us-east-1:123456789012:q",
    "arn:aws::us-east-1:123456789012:q", "arn:aws:SQS!:us-east-1:123456789012:q", "MyQueue",
])
def test_malformed_raises_bad_arn(text: str) -> None:
    with pytest.raises(BadArn):
        arns.parse(text)
    assert arns.try_parse(text) is None
    assert arns.service_of(text) is None
    assert issubclass(BadArn, ValueError)


def test_service_of_and_looks_like_arn() -> None:
    assert arns.service_of("arn:aws:sqs:us-east-1:123456789012:q") == "sqs"
    assert arns.looks_like_arn("arn:nonsense") and not arns.looks_like_arn("my-cluster")


@pytest.mark.parametrize("text,ref", [
    ("my-function", (None, None, "my-function", None)),
    ("my-function:v1", (None, None, "my-function", "v1")),
    ("123456789012:function:my-function", (None, ACCT, "my-function", None)),
    ("arn:aws:lambda:us-west-2:123456789012:function:my-function:$LATEST", ("us-west-2", ACCT, "my-function", "$LATEST")),
])
def test_lambda_function_ref_reads_names_partial_and_full_arns(text: str, ref: tuple[str | None, ...]) -> None:
    r = arns.lambda_function_ref(text)
    assert r is not None and (r.region, r.account, r.name, r.qualifier) == ref


@pytest.mark.parametrize("text", ["", "arn:aws:sqs:us-east-1:123456789012:q", "a b", "my-function:v1:extra"])
def test_lambda_function_ref_refuses_other_text(text: str) -> None:
    assert arns.lambda_function_ref(text) is None


def test_layer_version_parts() -> None:
    r = arns.lambda_layer_version("arn:aws:lambda:us-east-2:123456789012:layer:my-layer:3")
    assert (r.region, r.account, r.name, r.version) == ("us-east-2", ACCT, "my-layer", 3)
    for bad in ("arn:aws:lambda:us-east-2:123456789012:layer:my-layer", "arn:aws:lambda:us-east-2:1:layer:l:1",
                "arn:aws:lambda:us-east-2:123456789012:function:f:1", "arn:aws:lambda:us-east-2:123456789012:layer:l:x"):
        with pytest.raises(BadArn):
            arns.lambda_layer_version(bad)


def test_policy_and_s3_object_parts() -> None:
    assert arns.iam_policy_parts("arn:aws:iam::aws:policy/service-role/AWSLambdaRole") == (
        "aws", "/service-role/", "AWSLambdaRole")
    assert arns.iam_policy_parts("arn:aws:iam::123456789012:policy/P") == (ACCT, "/", "P")
    for bad in ("arn:aws:iam::123456789012:role/P", "arn:aws:iam::12:policy/P", "arn:aws:iam::123456789012:policy/",
                "arn:aws:iam:us-east-1:123456789012:policy/P", "arn:aws:sts::123456789012:policy/P"):
        with pytest.raises(BadArn):
            arns.iam_policy_parts(bad)
    assert arns.s3_object_parts("arn:aws:s3:::bucket/dir/env.env") == ("bucket", "dir/env.env")
    for bad in ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/", "arn:aws:s3:us-east-1::b/k", "arn:aws:sqs:::b/k"):
        with pytest.raises(BadArn):
            arns.s3_object_parts(bad)


def test_logs_group_parts() -> None:
    assert arns.logs_group_parts("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f") == (
        "us-east-1", ACCT, "/aws/lambda/f")
    assert arns.logs_group_parts("arn:aws:logs:us-east-1:123456789012:log-group:my-group:*")[2] == "my-group"
    for bad in ("arn:aws:logs:us-east-1:123456789012:destination:d", "arn:aws:sqs:us-east-1:123456789012:log-group:g",
                "my-group"):
        with pytest.raises(BadArn):
            arns.logs_group_parts(bad)


def test_function_parts_and_base() -> None:
    ref = arns.lambda_function_parts("arn:aws:lambda:us-west-2:123456789012:function:my-function:PROD")
    assert (ref.region, ref.account, ref.name, ref.qualifier) == ("us-west-2", ACCT, "my-function", "PROD")
    assert arns.lambda_function_base("arn:aws:lambda:us-west-2:123456789012:function:my-function:7") == (
        "arn:aws:lambda:us-west-2:123456789012:function:my-function")
    for bad in ("my-function", "123456789012:function:my-function", "arn:aws:sqs:us-west-2:123456789012:q"):
        with pytest.raises(BadArn):
            arns.lambda_function_parts(bad)


def test_container_instance_and_cloud_map_service_parts() -> None:
    assert arns.ecs_container_instance_parts(
        "arn:aws:ecs:us-east-1:123456789012:container-instance/default/f2756532") == ("us-east-1", ACCT, "default", "f2756532")
    assert arns.ecs_container_instance_parts(
        "arn:aws:ecs:us-east-1:123456789012:container-instance/f2756532") == ("us-east-1", ACCT, None, "f2756532")
    for bad in ("arn:aws:ecs:us-east-1:123456789012:task/default/f", "arn:aws:ecs:us-east-1:1234:container-instance/x"):
        with pytest.raises(BadArn):
            arns.ecs_container_instance_parts(bad)
    assert arns.servicediscovery_service_parts(
        "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-e4anhexample0004") == (
        "us-east-1", ACCT, "srv-e4anhexample0004")
    for bad in ("arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-x",
                "arn:aws-cn:servicediscovery:us-east-1:123456789012:service/srv-x",
                "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-X"):
        with pytest.raises(BadArn):
            arns.servicediscovery_service_parts(bad)


def test_fields_reads_any_six_fields_without_judging_them() -> None:
    f = arns.fields("arn:x:y:z:444455556666:anything/at:all")
    assert f == Arn("x", "y", "z", "444455556666", "anything/at:all")
    for short in ("arn:x", "arn:aws:sns", "arn:aws:sns:r:a", "*", "urn:a:b:c:d:e"):
        assert arns.fields(short) is None


def test_iam_principal_parts() -> None:
    assert arns.iam_principal_parts("arn:aws:iam::123456789012:root") == (ACCT, "root")
    assert arns.iam_principal_parts("arn:aws:sts::123456789012:assumed-role/R/S") == (ACCT, "assumed-role/R/S")
    for bad in ("arn:aws:iam:us-east-1:123456789012:root", "arn:aws:iam::12345:root", "arn:aws:sqs::123456789012:q",
                "123456789012", "arn:aws:iam::123456789012:"):
        assert arns.iam_principal_parts(bad) is None


def test_iam_resource_rest() -> None:
    role = "arn:aws:iam::123456789012:role/application_abc/S3Access"
    assert arns.iam_resource_rest(role, ACCT, "role") == "application_abc/S3Access"
    assert arns.iam_resource_rest(role, "444455556666", "role") is None
    assert arns.iam_resource_rest(role, ACCT, "user") is None
    assert arns.iam_resource_rest("arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/1", ACCT,
                                  "oidc-provider") == "oidc.example.com/id/1"
