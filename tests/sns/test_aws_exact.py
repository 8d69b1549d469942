"""SNS answers exactly as AWS answers (issue 27): for each refusal the error code, its type
(Sender/Receiver), the HTTP status and the message text, word for word, as recorded from AWS;
the notification URLs as AWS writes them. Driven through boto3 (the query protocol)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _n(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def clients(gureum):
    return gureum.client("sns"), gureum.client("sqs")


@pytest.fixture
def topic(clients):
    return clients[0].create_topic(Name=_n("t"))["TopicArn"]


def _queue(sqs, fifo=False):
    url = sqs.create_queue(QueueName=_n("q") + (".fifo" if fifo else ""),
                           Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@pytest.fixture
def sub(clients, topic):
    sns, sqs = clients
    _, arn = _queue(sqs)
    return sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)["SubscriptionArn"]


def refused(call, **kwargs) -> tuple[int, str, str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    err = e.value.response["Error"]
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"], err["Code"], err["Type"], err["Message"]


def invalid(message: str) -> tuple[int, str, str, str]:
    return 400, "InvalidParameter", "Sender", message


def value_invalid(message: str) -> tuple[int, str, str, str]:
    return 400, "ParameterValueInvalid", "Sender", message


# -- ARN parameters ----------------------------------------------------------------------------

@pytest.mark.parametrize("arn,elements", [("randomstring", 1), ("randomstring:1", 2), ("", 1)])
def test_malformed_topic_arn_says_how_many_elements(clients, arn, elements):
    sns, _ = clients
    want = invalid(f"Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not {elements}")
    assert refused(sns.get_topic_attributes, TopicArn=arn) == want
    assert refused(sns.publish, TopicArn=arn, Message="m") == want
    assert refused(sns.subscribe, TopicArn=arn, Protocol="email", Endpoint="a@example.com") == want


def test_topic_of_another_region_is_an_invalid_topic_arn(clients, topic):
    sns, _ = clients
    other = topic.replace(":us-east-1:", ":eu-west-1:")
    for call, kw in ((sns.get_topic_attributes, {}), (sns.publish, {"Message": "m"}),
                     (sns.set_topic_attributes, {"AttributeName": "DisplayName", "AttributeValue": "x"}),
                     (sns.list_subscriptions_by_topic, {}), (sns.delete_topic, {})):
        assert refused(call, TopicArn=other, **kw) == invalid("Invalid parameter: TopicArn")


def test_missing_topic_is_not_found_404(clients, topic):
    sns, _ = clients
    gone = topic + "x"
    want = (404, "NotFound", "Sender", "Topic does not exist")
    assert refused(sns.get_topic_attributes, TopicArn=gone) == want
    assert refused(sns.publish, TopicArn=gone, Message="m") == want
    assert refused(sns.publish_batch, TopicArn=gone, PublishBatchRequestEntries=[{"Id": "1", "Message": "m"}]) == want
    assert refused(sns.subscribe, TopicArn=gone, Protocol="email", Endpoint="a@example.com") == want


def test_publish_to_missing_platform_endpoint_is_invalid_parameter_400(clients):
    sns, _ = clients
    endpoint = "arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/" + uuid.uuid4().hex
    assert refused(sns.publish, TargetArn=endpoint, Message="m") == invalid(
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
    assert refused(sns.publish, TargetArn="nope", Message="m") == invalid(
        "Invalid parameter: TargetArn Reason: An ARN must have at least 6 elements, not 1")


def test_publish_to_a_malformed_phone_number(clients):
    sns, _ = clients
    assert refused(sns.publish, PhoneNumber="+1a234", Message="m") == invalid(
        "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to")


def test_malformed_subscription_arns(clients):
    sns, _ = clients
    assert refused(sns.unsubscribe, SubscriptionArn="randomstring") == invalid(
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
    assert refused(sns.unsubscribe, SubscriptionArn="arn:aws:sns:us-east-1:random") == invalid(
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5")
    assert refused(sns.unsubscribe, SubscriptionArn="arn:aws:sns:us-east-1:000000000000:random") == invalid(
        "Invalid parameter: SubscriptionId")
    assert refused(sns.get_subscription_attributes, SubscriptionArn="randomstring") == invalid(
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")


def test_missing_subscription_is_not_found_but_unsubscribe_is_idempotent(clients, sub):
    sns, _ = clients
    gone = sub[:-8] + "abcdefgh"
    assert refused(sns.get_subscription_attributes, SubscriptionArn=gone) == (
        404, "NotFound", "Sender", "Subscription does not exist")
    assert refused(sns.set_subscription_attributes, SubscriptionArn=gone, AttributeName="RawMessageDelivery",
                   AttributeValue="true") == (404, "NotFound", "Sender", "Subscription does not exist")
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)  # AWS: 200 again
    sns.unsubscribe(SubscriptionArn=gone)


def test_malformed_resource_arn_of_tags(clients):
    sns, _ = clients
    assert refused(sns.list_tags_for_resource, ResourceArn="randomstring") == invalid(
        "Invalid parameter: ResourceArn Reason: An ARN must have at least 6 elements, not 1")


# -- topics ------------------------------------------------------------------------------------

def test_topic_attribute_names(clients, topic):
    sns, _ = clients
    assert refused(sns.set_topic_attributes, TopicArn=topic, AttributeName="Fake", AttributeValue="x") == invalid(
        "Invalid parameter: AttributeName")
    assert refused(sns.set_topic_attributes, TopicArn=topic, AttributeName="FifoTopic", AttributeValue="false") == \
        invalid("Invalid parameter: AttributeName")
    assert refused(sns.create_topic, Name=_n("t"), Attributes={"Fake": "x"}) == invalid(
        "Invalid parameter: AttributeName")


@pytest.mark.parametrize("name", ["", "a" * 257, "bad:name", "bad;name", "bad name", "plain.fifo"])
def test_topic_names(clients, name):
    sns, _ = clients
    assert refused(sns.create_topic, Name=name) == invalid("Invalid parameter: Topic Name")


def test_tags_duplicated_and_topic_recreated_with_other_tags(clients):
    sns, _ = clients
    name = _n("t")
    arn = sns.create_topic(Name=name, Tags=[{"Key": "k1", "Value": "v1"}])["TopicArn"]
    assert refused(sns.tag_resource, ResourceArn=arn, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]) \
        == invalid("Invalid parameter: Duplicated keys are not allowed.")
    assert refused(sns.create_topic, Name=name, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]) \
        == invalid("Invalid parameter: Tags Reason: Topic already exists with different tags")
    assert sns.create_topic(Name=name)["TopicArn"] == arn  # no tags: idempotent


# -- subscriptions -----------------------------------------------------------------------------

def test_subscription_attribute_values_on_set(clients, sub):
    sns, _ = clients

    def set_(name, value):
        return refused(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName=name, AttributeValue=value)

    assert set_("Fake", "x") == invalid("Invalid parameter: AttributeName")
    assert set_("RawMessageDelivery", "test-ValUe") == invalid(
        "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.")
    assert set_("RawMessageDelivery", "") == invalid(
        "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false.")
    assert set_("RedrivePolicy", json.dumps({"deadLetterTargetArn": "fake"})) == invalid(
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn")
    assert set_("FilterPolicyScope", "RandomValue") == invalid(
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or "
        "MessageAttributes")
    assert set_("FilterPolicy", json.dumps({"object": {"key": [{"prefix": "auto-"}]}})) == invalid(
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
    assert set_("FilterPolicy", json.dumps({"key_a": "value_one"})) == invalid(
        'Invalid parameter: FilterPolicy: "key_a" must be an object or an array')
    assert set_("RedrivePolicy", "{invalidjson}")[3].startswith("Invalid parameter: RedrivePolicy: failed to parse JSON.")
    assert set_("FilterPolicy", "{invalidjson}")[3].startswith("Invalid parameter: FilterPolicy: failed to parse JSON.")


def test_subscription_attribute_values_on_subscribe(clients, topic):
    sns, sqs = clients
    _, arn = _queue(sqs)
    assert refused(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=arn,
                   Attributes={"RawMessageDelivery": "wrongvalue"}) == invalid(
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.")
    assert refused(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=arn,
                   Attributes={"FilterPolicy": json.dumps({"key": [{"wrong-operator": True}]})}) == invalid(
        "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wrong-operator")
    assert refused(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint="not-an-arn") == invalid(
        "Invalid parameter: SQS endpoint ARN")
    assert refused(sns.subscribe, TopicArn=topic, Protocol="test-protocol", Endpoint="x") == invalid(
        "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol")


def test_fifo_subscription_rules(clients):
    sns, sqs = clients
    fifo_topic = sns.create_topic(Name=_n("t") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    std_topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    _, fifo_queue = _queue(sqs, fifo=True)
    _, std_queue = _queue(sqs)
    assert refused(sns.subscribe, TopicArn=std_topic, Protocol="sqs", Endpoint=fifo_queue) == invalid(
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard "
        "SNS topics")
    sns.subscribe(TopicArn=fifo_topic, Protocol="sqs", Endpoint=std_queue)  # AWS takes it since 2025
    sub = sns.subscribe(TopicArn=fifo_topic, Protocol="sqs", Endpoint=fifo_queue,
                        ReturnSubscriptionArn=True)["SubscriptionArn"]
    assert refused(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="RedrivePolicy",
                   AttributeValue=json.dumps({"deadLetterTargetArn": std_queue})) == invalid(
        "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")


def test_confirm_subscription_tokens(clients, topic):
    sns, _ = clients
    well_formed = "ab" * 64
    assert refused(sns.confirm_subscription, TopicArn=topic, Token="randomtoken") == invalid("Invalid token")
    assert refused(sns.confirm_subscription, TopicArn=topic, Token=well_formed) == invalid("Invalid parameter: Token")
    assert refused(sns.confirm_subscription, TopicArn=topic[:-1] + "i", Token=well_formed) == invalid(
        "Invalid parameter: Token")
    assert refused(sns.confirm_subscription, TopicArn="broken", Token=well_formed) == invalid(
        "Invalid parameter: Topic")


# -- publish -----------------------------------------------------------------------------------

def test_publish_refusals(clients, topic):
    sns, _ = clients
    assert refused(sns.publish, TopicArn=topic, Message="") == invalid("Invalid parameter: Empty message")
    assert refused(sns.publish, TopicArn=topic, Message="m", Subject="") == invalid("Invalid parameter: Subject")
    assert refused(sns.publish, TopicArn=topic, Message="x" * (256 * 1024 + 1)) == invalid(
        "Invalid parameter: Message too long")
    assert refused(sns.publish, TopicArn=topic, Message="{}", MessageStructure="json") == invalid(
        "Invalid parameter: Message Structure - No default entry in JSON message body")
    assert refused(sns.publish, TopicArn=topic, Message="{", MessageStructure="json") == invalid(
        "Invalid parameter: Message Structure - JSON message body failed to parse")
    assert refused(sns.publish, TopicArn=topic, Message="m", MessageDeduplicationId="d") == invalid(
        "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
        "that is not valid for this topic type")


@pytest.mark.parametrize("name,attribute,message", [
    ("attr1", {"DataType": "String", "StringValue": ""},
     "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type "
     "'String'."),
    ("attr1", {"DataType": "Binary", "BinaryValue": b""},
     "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type "
     "'Binary'."),
    ("attr1", {"DataType": "String", "BinaryValue": b"v"},
     "The message attribute 'attr1' with type 'String' must use field 'String'."),
    ("attr1", {"DataType": "Number", "BinaryValue": b"1"},
     "The message attribute 'attr1' with type 'Number' must use field 'String'."),
    ("attr1", {"DataType": "Binary", "StringValue": "v"},
     "The message attribute 'attr1' with type 'Binary' must use field 'Binary'."),
    ("attr1", {"DataType": "Other", "StringValue": "v"},
     "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is "
     "Binary, Number, and String."),
    ("a" * 257, {"DataType": "String", "StringValue": "v"},
     "Length of message attribute name must be less than 256 bytes."),
    ("a^b", {"DataType": "String", "StringValue": "v"},
     "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include "
     "alphanumeric characters, hyphens, underscores, or dots."),
    (".ab", {"DataType": "String", "StringValue": "v"},
     "Invalid message attribute name starting with character '.' was found."),
    ("ab.", {"DataType": "String", "StringValue": "v"},
     "Invalid message attribute name ending with character '.' was found."),
    ("a..b", {"DataType": "String", "StringValue": "v"}, "Message attribute name can not have successive '.' character."),
])
def test_message_attribute_refusals(clients, topic, name, attribute, message):
    sns, _ = clients
    assert refused(sns.publish, TopicArn=topic, Message="m", MessageAttributes={name: attribute}) == \
        value_invalid(message)


def test_publish_batch_refusals(clients, topic):
    sns, _ = clients
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": str(i), "Message": "m"} for i in range(11)]) == (
        400, "TooManyEntriesInBatchRequest", "Sender", "The batch request contains more entries than permissible.")
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "m"}, {"Id": "1", "Message": "m"}]) == (
        400, "BatchEntryIdsNotDistinct", "Sender", "Two or more batch entries in the request have the same Id.")
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "1", "Message": "x" * 200_000}, {"Id": "2", "Message": "x" * 200_000}]) == (
        400, "BatchRequestTooLong", "Sender", "The length of all the messages put together is more than the limit.")


def test_maximum_message_size(clients, topic):
    # AWS (2025): MaximumMessageSize from 1,024 to 1,048,576 bytes, 262,144 by default; the body and the
    # message attributes count against it, for Publish and for a PublishBatch's entries together.
    sns, _ = clients
    big = sns.create_topic(Name=_n("t"), Attributes={"MaximumMessageSize": "1048576"})["TopicArn"]
    assert sns.get_topic_attributes(TopicArn=big)["Attributes"]["MaximumMessageSize"] == "1048576"
    assert sns.publish(TopicArn=big, Message="x" * 600_000)["MessageId"]
    assert sns.publish_batch(TopicArn=big, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "x" * 400_000}, {"Id": "b", "Message": "x" * 400_000}])["Failed"] == []
    assert refused(sns.publish, TopicArn=topic, Message="x" * 600_000) == invalid("Invalid parameter: Message too long")
    for bad in ("1023", "1048577", "x"):
        assert refused(sns.set_topic_attributes, TopicArn=topic, AttributeName="MaximumMessageSize",
                       AttributeValue=bad) == invalid("Invalid parameter: MaximumMessageSize")
        assert refused(sns.create_topic, Name=_n("t"), Attributes={"MaximumMessageSize": bad}) == invalid(
            "Invalid parameter: MaximumMessageSize")
    sns.set_topic_attributes(TopicArn=topic, AttributeName="MaximumMessageSize", AttributeValue="2048")
    sns.publish(TopicArn=topic, Message="x" * 2000)
    assert refused(sns.publish, TopicArn=topic, Message="x" * 2000, MessageAttributes={
        "a" * 10: {"DataType": "String", "StringValue": "v" * 40}}) == invalid("Invalid parameter: Message too long")
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "a", "Message": "x" * 1100}, {"Id": "b", "Message": "x" * 1100}])[1] == "BatchRequestTooLong"


def test_publish_batch_entry_ids(clients, topic):
    # AWS (recorded): the first Id that breaks [A-Za-z0-9_-]{1,80} is named; nothing is published.
    sns, _ = clients
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "ok-1", "Message": "m"}, {"Id": "bad id!", "Message": "m"}]) == (
        400, "InvalidBatchEntryId", "Sender",
        "The Id of a batch entry in the batch request contains an impermissible character: bad id!")
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "message.id", "Message": "m"}])[3].endswith("impermissible character: message.id")
    long_id = "a" * 81
    assert refused(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[{"Id": long_id, "Message": "m"}]) == (
        400, "InvalidBatchEntryId", "Sender", f"The Id of a batch entry in the batch request is too long: {long_id}")
    ok = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": "A_b-" + "c" * 76, "Message": "m"}])
    assert [e["Id"] for e in ok["Successful"]] == ["A_b-" + "c" * 76] and ok["Failed"] == []


def test_fifo_publish_refusals(clients):
    sns, _ = clients
    arn = sns.create_topic(Name=_n("t") + ".fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    assert refused(sns.publish, TopicArn=arn, Message="m") == invalid(
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
    assert refused(sns.publish, TopicArn=arn, Message="m", MessageGroupId="g") == invalid(
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly")


# -- filter policies ---------------------------------------------------------------------------

@pytest.mark.parametrize("policy,reason", [
    ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
    ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
    ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
    ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ({"key": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
    ({k: ["v"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}, "Filter policy is too complex"),
])
def test_filter_policy_refusals(clients, topic, policy, reason):
    sns, sqs = clients
    _, arn = _queue(sqs)
    assert refused(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=arn,
                   Attributes={"FilterPolicy": json.dumps(policy)}) == invalid(
        f"Invalid parameter: Attributes Reason: FilterPolicy: {reason}")


# -- notification documents --------------------------------------------------------------------

def test_notification_urls_carry_the_subscription_arn_as_aws_writes_it(clients, topic):
    sns, sqs = clients
    url, arn = _queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="hello")
    got: list[dict] = []

    def arrived() -> bool:
        got.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []))
        return bool(got)

    wait_for("the notification", arrived, timeout=20)
    doc = json.loads(got[0]["Body"])
    assert doc["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={sub}")


@pytest.mark.parametrize("version", ["1", "2"])
def test_notifications_are_signed_with_a_fetchable_certificate(clients, version):
    import base64
    import urllib.request

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    sns, sqs = clients
    topic = sns.create_topic(Name=_n("t"), Attributes={"SignatureVersion": version})["TopicArn"]
    url, arn = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="signed", Subject="about")
    got: list[dict] = []

    def arrived() -> bool:
        got.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []))
        return bool(got)

    wait_for("the notification", arrived, timeout=20)
    doc = json.loads(got[0]["Body"])
    assert doc["SignatureVersion"] == version
    assert re.fullmatch(r"http://[^/]+/_gureum/sns/SimpleNotificationService-[0-9a-f]{32}\.pem", doc["SigningCertURL"])
    with urllib.request.urlopen(doc["SigningCertURL"], timeout=10) as resp:
        cert = x509.load_pem_x509_certificate(resp.read())
    canonical = "".join(f"{k}\n{doc[k]}\n" for k in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"))
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    cert.public_key().verify(base64.b64decode(doc["Signature"]), canonical.encode(), padding.PKCS1v15(), digest)


def test_model_constraints_are_validation_errors(gureum, topic):
    from botocore.config import Config

    sns = gureum.client("sns", config=Config(parameter_validation=False))
    status, code, kind, message = refused(sns.publish, TopicArn=topic, Message="m",
                                          MessageAttributes={"attr1": {"StringValue": "v"}})
    assert (status, code, kind) == (400, "ValidationError", "Sender")
    assert message == ("1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' "
                       "failed to satisfy constraint: Member must not be null")


def test_topic_policy_checks(clients, topic):
    sns, _ = clients

    def set_policy(doc):
        return refused(sns.set_topic_attributes, TopicArn=topic, AttributeName="Policy",
                       AttributeValue=doc if isinstance(doc, str) else json.dumps(doc))

    assert set_policy("{not json") == invalid("Invalid parameter: Policy Error: null")
    two = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                                                   "Resource": [topic, topic + "2"]}]}
    assert set_policy(two) == invalid("Invalid parameter: Policy statement must apply to a single resource!")
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage",
                                                     "Resource": topic}]}
    assert set_policy(other) == invalid("Invalid parameter: Policy statement action out of service scope!")
    good = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sns:Publish",
                                                    "Resource": topic}]}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(good))


def test_subject_with_a_control_character(clients, topic):
    sns, _ = clients
    assert refused(sns.publish, TopicArn=topic, Message="m", Subject="a\tb") == invalid("Invalid parameter: Subject")
    assert refused(sns.publish, TopicArn=topic, Message="m", Subject="x" * 101) == invalid("Invalid parameter: Subject")
    sns.publish(TopicArn=topic, Message="m", Subject="Grüße, 100% fine!")


def test_effective_delivery_policy_lays_the_topics_over_aws_defaults(clients, topic):
    sns, _ = clients
    got = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])
    assert got == {"http": {"defaultHealthyRetryPolicy": {
        "minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3, "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
        "numMinDelayRetries": 0, "backoffFunction": "linear"}, "disableSubscriptionOverrides": False,
        "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1},
                  "disableSubscriptionOverrides": False}}))
    got = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])["http"]
    assert got["defaultHealthyRetryPolicy"] == {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1,
                                                "numMaxDelayRetries": 0, "numNoDelayRetries": 0,
                                                "numMinDelayRetries": 0, "backoffFunction": "linear"}
    assert got["defaultRequestPolicy"] == {"headerContentType": "text/plain; charset=UTF-8"}


def test_add_and_remove_permission_edit_the_topic_policy(gureum, clients, topic):
    sns, _ = clients
    other = gureum.client("sns", aws_access_key_id="111111111111", aws_secret_access_key="test")
    assert refused(other.publish, TopicArn=topic, Message="m")[1] == "AuthorizationError"
    sns.add_permission(TopicArn=topic, Label="let-other-publish", AWSAccountId=["111111111111"], ActionName=["Publish"])
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["__default_statement_ID", "let-other-publish"]
    assert policy["Statement"][1] == {"Sid": "let-other-publish", "Effect": "Allow",
                                      "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                                      "Action": "SNS:Publish", "Resource": topic}
    other.publish(TopicArn=topic, Message="m")
    sns.remove_permission(TopicArn=topic, Label="let-other-publish")
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["__default_statement_ID"]
    assert refused(other.publish, TopicArn=topic, Message="m")[1] == "AuthorizationError"


def test_more_than_ten_message_attributes(clients, topic):
    sns, sqs = clients
    url, arn = _queue(sqs)
    raw_url, raw_arn = _queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
    attrs = {f"a{i}": {"DataType": "String", "StringValue": str(i)} for i in range(11)}
    sns.publish(TopicArn=topic, Message="many", MessageAttributes=attrs)  # SNS takes them
    sns.publish(TopicArn=topic, Message="few", MessageAttributes={"a": {"DataType": "String", "StringValue": "1"}})
    got: list[dict] = []

    def both() -> bool:
        got.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []))
        return len(got) >= 2

    wait_for("both notifications", both, timeout=20)
    many = next(json.loads(m["Body"]) for m in got if json.loads(m["Body"])["Message"] == "many")
    assert sorted(many["MessageAttributes"]) == sorted(attrs)
    raw: list[dict] = []

    def the_few() -> bool:  # the raw subscription got the message with one attribute, not the other
        raw.extend(sqs.receive_message(QueueUrl=raw_url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", []))
        return bool(raw)

    wait_for("the raw delivery", the_few, timeout=20)
    assert [m["Body"] for m in raw] == ["few"]


def test_http_delivery_policies_as_aws_composes_them(clients):
    import urllib.request

    from sns.test_sns import _Endpoint

    sns, _ = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
        {"http": {"disableSubscriptionOverrides": False,
                  "defaultRequestPolicy": {"headerContentType": "application/json"}}}))
    ep = _Endpoint()
    try:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url, Attributes={"DeliveryPolicy": json.dumps(
            {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 0},
             "throttlePolicy": {"maxReceivesPerSecond": 1000}})})
        ep.wait(1)
        headers, confirm = ep.posts[0]
        assert headers["content-type"] == "text/plain; charset=UTF-8"  # confirmations keep AWS's default
        with urllib.request.urlopen(confirm["SubscribeURL"]) as resp:
            resp.read()
        sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
        attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        healthy = {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 0, "numMaxDelayRetries": 0,
                   "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"}
        assert json.loads(attrs["DeliveryPolicy"]) == {
            "healthyRetryPolicy": healthy, "sicklyRetryPolicy": None, "throttlePolicy": {"maxReceivesPerSecond": 1000},
            "requestPolicy": None, "guaranteed": False}
        assert json.loads(attrs["EffectiveDeliveryPolicy"]) == {
            "healthyRetryPolicy": healthy, "sicklyRetryPolicy": None, "throttlePolicy": {"maxReceivesPerSecond": 1000},
            "requestPolicy": {"headerContentType": "application/json"}, "guaranteed": False}
        sns.publish(TopicArn=topic, Message="typed")
        ep.wait(2)
        headers, note = ep.posts[1]
        assert note["Message"] == "typed" and headers["content-type"] == "application/json"
    finally:
        ep.close()


def test_filter_policy_scope_shows_only_with_a_policy(clients, topic):
    sns, sqs = clients
    _, arn = _queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True, Attributes={
        "RawMessageDelivery": "TrUe", "FilterPolicyScope": "MessageBody", "FilterPolicy": ""})["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert "FilterPolicy" not in attrs and "FilterPolicyScope" not in attrs
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"attr": ["match-this"]}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert (json.loads(attrs["FilterPolicy"]), attrs["FilterPolicyScope"]) == ({"attr": ["match-this"]}, "MessageBody")


def test_subscription_principal_is_who_subscribed(gureum, clients, sub):
    sns, _ = clients
    caller = gureum.client("sts").get_caller_identity()["Arn"]
    assert sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["SubscriptionPrincipal"] == caller


def test_unsubscribing_an_http_endpoint_tells_it_and_lets_it_restore(clients):
    import urllib.request

    from sns.test_sns import _Endpoint

    sns, _ = clients
    topic = sns.create_topic(Name=_n("t"))["TopicArn"]
    ep = _Endpoint()
    try:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        ep.wait(1)
        with urllib.request.urlopen(ep.posts[0][1]["SubscribeURL"]) as resp:
            resp.read()
        sub = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
        sns.unsubscribe(SubscriptionArn=sub)
        assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
        ep.wait(2)
        headers, note = ep.posts[1]
        assert headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
        assert headers["x-amz-sns-subscription-arn"] == sub
        assert note["Type"] == "UnsubscribeConfirmation" and note["TopicArn"] == topic
        assert note["Message"] == (f"You have chosen to deactivate subscription {sub}.\nTo cancel this operation and "
                                   "restore the subscription, visit the SubscribeURL included in this message.")
        assert note["SubscribeURL"].endswith(f"/?Action=ConfirmSubscription&TopicArn={topic}&Token={note['Token']}")
        with urllib.request.urlopen(note["SubscribeURL"]) as resp:
            assert sub.encode() in resp.read()
        assert [s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]] == [sub]
    finally:
        ep.close()
