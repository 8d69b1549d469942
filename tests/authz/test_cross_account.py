"""Attack tests, issue item 4: with account A's key, another account's queue, topic and
repository are reachable by name only when B's resource policy grants A — in the default
(open) mode. Each refusal here succeeded before the authorization gate."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

A = "401000000001"  # open mode: a 12-digit access key id is that account's root
B = "401000000002"
REGION = "us-east-1"


def _client(gureum: Any, service: str, account: str) -> Any:
    return gureum.client(service, aws_access_key_id=account, aws_secret_access_key="x")


def _grant(resource: str, actions: list[str], principal: str = f"arn:aws:iam::{A}:root") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "grant", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, "Resource": resource}]})


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_another_accounts_queue_is_refused_until_its_policy_grants(gureum: Any) -> None:
    sqs_b = _client(gureum, "sqs", B)
    sqs_a = _client(gureum, "sqs", A)
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs_b.create_queue(QueueName=name)["QueueUrl"]
    sqs_b.send_message(QueueUrl=url, MessageBody="secret of B")
    assert f"/{B}/" in url

    for call in (lambda: sqs_a.send_message(QueueUrl=url, MessageBody="from A"),
                 lambda: sqs_a.receive_message(QueueUrl=url, WaitTimeSeconds=0),
                 lambda: sqs_a.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]),
                 lambda: sqs_a.purge_queue(QueueUrl=url),
                 lambda: sqs_a.delete_queue(QueueUrl=url)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "AccessDenied"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert f"arn:aws:iam::{A}:root is not authorized to perform: sqs:" in exc.value.response["Error"]["Message"]

    arn = f"arn:aws:sqs:{REGION}:{B}:{name}"
    sqs_b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _grant(arn, ["sqs:SendMessage", "sqs:ReceiveMessage"])})
    sqs_a.send_message(QueueUrl=url, MessageBody="from A")
    bodies: set[str] = set()

    def both_received() -> bool:  # a long poll: it waits for messages itself
        bodies.update(m["Body"] for m in sqs_a.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []))
        return bodies == {"secret of B", "from A"}

    wait_for("A to receive both messages of B's queue", both_received, timeout=30, interval=0)
    with pytest.raises(ClientError) as exc:  # granted Send/Receive, not DeleteQueue
        sqs_a.delete_queue(QueueUrl=url)
    assert _code(exc) == "AccessDenied"
    assert sqs_b.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_an_explicit_deny_in_the_queue_policy_refuses_even_a_granted_account(gureum: Any) -> None:
    sqs_b = _client(gureum, "sqs", B)
    sqs_a = _client(gureum, "sqs", A)
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs_b.create_queue(QueueName=name)["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{B}:{name}"
    policy = json.loads(_grant(arn, ["sqs:*"]))
    policy["Statement"].append({"Sid": "no", "Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn})
    sqs_b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    with pytest.raises(ClientError) as exc:
        sqs_a.send_message(QueueUrl=url, MessageBody="x")
    assert _code(exc) == "AccessDenied"
    assert "explicit deny in a resource-based policy" in exc.value.response["Error"]["Message"]
    sqs_a.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])  # sqs:* still grants this


def test_another_accounts_topic_is_refused_until_its_policy_grants(gureum: Any) -> None:
    sns_b = _client(gureum, "sns", B)
    sns_a = _client(gureum, "sns", A)
    sqs_a = _client(gureum, "sqs", A)
    topic = sns_b.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    q_url = sqs_a.create_queue(QueueName=f"sub-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    q_arn = sqs_a.get_queue_attributes(QueueUrl=q_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    for call in (lambda: sns_a.publish(TopicArn=topic, Message="from A"),
                 lambda: sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn),
                 lambda: sns_a.get_topic_attributes(TopicArn=topic),
                 lambda: sns_a.delete_topic(TopicArn=topic)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "AuthorizationError"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "is not authorized to perform: SNS:" in exc.value.response["Error"]["Message"]

    sns_b.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                               AttributeValue=_grant(topic, ["SNS:Publish", "SNS:Subscribe"]))
    sub = sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    assert sns_a.publish(TopicArn=topic, Message="from A")["MessageId"]
    with pytest.raises(ClientError) as exc:
        sns_a.delete_topic(TopicArn=topic)
    assert _code(exc) == "AuthorizationError"
    # The subscription's owner manages its own subscription; a third account may not.
    attrs = sns_a.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["Owner"] == A and attrs["TopicArn"] == topic
    with pytest.raises(ClientError) as exc:
        _client(gureum, "sns", "401000000003").unsubscribe(SubscriptionArn=sub)
    assert _code(exc) == "AuthorizationError"
    sns_a.unsubscribe(SubscriptionArn=sub)
    assert sns_b.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_another_accounts_repositories_are_refused_until_a_repository_policy_grants(gureum: Any) -> None:
    ecr_b = _client(gureum, "ecr", B)
    ecr_a = _client(gureum, "ecr", A)
    name = f"app-{uuid.uuid4().hex[:8]}"
    ecr_b.create_repository(repositoryName=name)

    for call in (lambda: ecr_a.describe_repositories(registryId=B),
                 lambda: ecr_a.describe_repositories(registryId=B, repositoryNames=[name]),
                 lambda: ecr_a.list_images(registryId=B, repositoryName=name),
                 lambda: ecr_a.delete_repository(registryId=B, repositoryName=name, force=True)):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "AccessDeniedException"
        assert f"arn:aws:ecr:{REGION}:{B}:repository/" in exc.value.response["Error"]["Message"]
    assert [r["repositoryName"] for r in ecr_b.describe_repositories(repositoryNames=[name])["repositories"]] == [name]

    ecr_b.set_repository_policy(repositoryName=name, policyText=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Principal": {"AWS": A},
                                                "Action": ["ecr:DescribeRepositories", "ecr:DeleteRepository"]}]}))
    found = ecr_a.describe_repositories(registryId=B, repositoryNames=[name])["repositories"]
    assert [(r["registryId"], r["repositoryName"]) for r in found] == [(B, name)]
    ecr_a.delete_repository(registryId=B, repositoryName=name, force=True)
    with pytest.raises(ClientError) as exc:
        ecr_b.describe_repositories(repositoryNames=[name])
    assert _code(exc) == "RepositoryNotFoundException"


def test_own_account_requests_are_not_gated_in_open_mode(gureum: Any) -> None:
    sqs_a = _client(gureum, "sqs", A)
    url = sqs_a.create_queue(QueueName=f"own-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs_a.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": B}, "Action": "sqs:*"}]})})
    sqs_a.send_message(QueueUrl=url, MessageBody="mine")


def test_no_registry_token_is_issued_for_another_account(gureum: Any) -> None:
    """A gureum ECR token acts as the account it names on /v2/: one for B would be B's keys."""
    ecr_a = _client(gureum, "ecr", A)
    with pytest.raises(ClientError) as exc:
        ecr_a.get_authorization_token(registryIds=[B])
    assert _code(exc) == "AccessDeniedException"
    data = ecr_a.get_authorization_token(registryIds=[A])["authorizationData"]
    assert len(data) == 1 and data[0]["authorizationToken"]


def test_buckets_zones_log_groups_and_functions_of_another_account_stay_out_of_reach(gureum: Any) -> None:
    """The services that were already isolated stay so behind the gate."""
    s3_b, s3_a = _client(gureum, "s3", B), _client(gureum, "s3", A)
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    s3_b.create_bucket(Bucket=bucket)
    s3_b.put_object(Bucket=bucket, Key="k", Body=b"of B")
    with pytest.raises(ClientError) as exc:
        s3_a.get_object(Bucket=bucket, Key="k")
    assert _code(exc) == "AccessDenied"

    zone = _client(gureum, "route53", B).create_hosted_zone(
        Name=f"z{uuid.uuid4().hex[:8]}.example.", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    with pytest.raises(ClientError) as exc:
        _client(gureum, "route53", A).get_hosted_zone(Id=zone)
    assert _code(exc) == "NoSuchHostedZone"

    logs_b, logs_a = _client(gureum, "logs", B), _client(gureum, "logs", A)
    group = f"/g/{uuid.uuid4().hex[:8]}"
    logs_b.create_log_group(logGroupName=group, tags={"owner": "B"})
    with pytest.raises(ClientError) as exc:
        logs_a.list_tags_for_resource(resourceArn=f"arn:aws:logs:{REGION}:{B}:log-group:{group}")
    assert _code(exc) == "AccessDeniedException"
    assert logs_a.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_sqs_add_permission_grants_another_account_and_remove_permission_takes_it_back(gureum: Any) -> None:
    sqs_b, sqs_a = _client(gureum, "sqs", B), _client(gureum, "sqs", A)
    url = sqs_b.create_queue(QueueName=f"perm-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    with pytest.raises(ClientError):
        sqs_a.send_message(QueueUrl=url, MessageBody="x")
    sqs_b.add_permission(QueueUrl=url, Label="a-sends", AWSAccountIds=[A], Actions=["SendMessage"])
    sqs_a.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(ClientError) as exc:  # only SendMessage was granted
        sqs_a.get_queue_url(QueueName=url.rsplit("/", 1)[1], QueueOwnerAWSAccountId=B)
    assert _code(exc) == "AccessDenied"
    sqs_b.remove_permission(QueueUrl=url, Label="a-sends")
    with pytest.raises(ClientError) as exc:
        sqs_a.send_message(QueueUrl=url, MessageBody="x")
    assert _code(exc) == "AccessDenied"


def test_a_topic_cannot_push_into_another_accounts_queue_unless_the_queue_policy_allows_sns(gureum: Any) -> None:
    """A subscribes B's queue to A's own topic and publishes: without B's grant to
    sns.amazonaws.com for that topic, nothing reaches B's queue."""
    sns_a, sqs_b = _client(gureum, "sns", A), _client(gureum, "sqs", B)
    topic = sns_a.create_topic(Name=f"push-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url = sqs_b.create_queue(QueueName=f"victim-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs_b.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn,
                    Attributes={"RawMessageDelivery": "true"})
    sns_a.publish(TopicArn=topic, Message="injected")  # SQS deliveries are done when Publish returns
    assert sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []

    sqs_b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns_a.publish(TopicArn=topic, Message="invited")
    got = sqs_b.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
    assert [m["Body"] for m in got] == ["invited"]


def test_bucket_notifications_into_another_accounts_queue_need_its_grant_to_s3(gureum: Any) -> None:
    s3_a, sqs_b = _client(gureum, "s3", A), _client(gureum, "sqs", B)
    bucket = f"notify-{uuid.uuid4().hex[:10]}"
    s3_a.create_bucket(Bucket=bucket)
    url = sqs_b.create_queue(QueueName=f"n-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs_b.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    config = {"QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]}
    for skip in (False, True):
        with pytest.raises(ClientError) as exc:
            s3_a.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config,
                                                       SkipDestinationValidation=skip)
        assert _code(exc) == "InvalidArgument"
    sqs_b.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": queue_arn, "Condition": {"StringEquals": {"aws:SourceAccount": A}}}]})})
    s3_a.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def test_a_queue_of_another_account_is_a_dead_letter_target_only_when_it_names_the_source(gureum: Any) -> None:
    sqs_a, sqs_b = _client(gureum, "sqs", A), _client(gureum, "sqs", B)
    dlq_url = sqs_b.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs_b.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = f"src-{uuid.uuid4().hex[:8]}"
    redrive = {"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})}
    with pytest.raises(ClientError) as exc:
        sqs_a.create_queue(QueueName=name, Attributes=redrive)
    assert "is not allowed to use" in exc.value.response["Error"]["Message"]
    src_arn = f"arn:aws:sqs:{REGION}:{A}:{name}"
    sqs_b.set_queue_attributes(QueueUrl=dlq_url, Attributes={"RedriveAllowPolicy": json.dumps(
        {"redrivePermission": "byQueue", "sourceQueueArns": [src_arn]})})
    sqs_a.create_queue(QueueName=name, Attributes=redrive)


def test_a_message_move_task_cannot_pour_into_another_accounts_queue(gureum: Any) -> None:
    sqs_a, sqs_b = _client(gureum, "sqs", A), _client(gureum, "sqs", B)
    src = sqs_a.create_queue(QueueName=f"mv-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    src_arn = sqs_a.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    dest = sqs_b.create_queue(QueueName=f"mvd-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dest_arn = sqs_b.get_queue_attributes(QueueUrl=dest, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as exc:
        sqs_a.start_message_move_task(SourceArn=src_arn, DestinationArn=dest_arn)
    assert _code(exc) == "AccessDenied"


def test_a_subscriptions_dead_letter_queue_in_another_account_needs_its_grant(gureum: Any) -> None:
    sns_a, sqs_a, sqs_b = _client(gureum, "sns", A), _client(gureum, "sqs", A), _client(gureum, "sqs", B)
    topic = sns_a.create_topic(Name=f"dl-{uuid.uuid4().hex[:8]}")["TopicArn"]
    gone = sqs_a.create_queue(QueueName=f"gone-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    gone_arn = sqs_a.get_queue_attributes(QueueUrl=gone, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    dlq = sqs_b.create_queue(QueueName=f"sdlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs_b.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns_a.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=gone_arn,
                    Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})})
    sqs_a.delete_queue(QueueUrl=gone)
    sns_a.publish(TopicArn=topic, Message="undeliverable")  # SQS deliveries (and their DLQ) finish in Publish
    assert sqs_b.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []) == []
    sqs_b.set_queue_attributes(QueueUrl=dlq, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": dlq_arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]})})
    sns_a.publish(TopicArn=topic, Message="undeliverable again")
    got = sqs_b.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
    assert len(got) == 1 and "undeliverable again" in got[0]["Body"]
