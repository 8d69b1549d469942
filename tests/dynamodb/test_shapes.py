"""Every DynamoDB operation gureum serves answers in its output shape (and its errors in the
error shape): the raw responses walked against botocore's model (tests/aws/shape_check.py)."""

from __future__ import annotations

from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from tests.aws.shape_check import ShapeRecorder


def test_responses_match_the_model(gureum: Any) -> None:
    c = gureum.client("dynamodb", config=Config(retries={"max_attempts": 1}))
    rec = ShapeRecorder(c)
    c.create_table(TableName="shapes", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST", Tags=[{"Key": "a", "Value": "b"}],
                   GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}}])
    arn = c.describe_table(TableName="shapes")["Table"]["TableArn"]
    c.list_tables()
    item = {"pk": {"S": "a"}, "sk": {"N": "1"}, "g": {"S": "x"}, "b": {"B": b"\x01"}, "l": {"L": [{"NULL": True}]}}
    c.put_item(TableName="shapes", Item=item, ReturnConsumedCapacity="INDEXES")
    c.get_item(TableName="shapes", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ReturnConsumedCapacity="TOTAL")
    c.update_item(TableName="shapes", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, UpdateExpression="SET v = :v",
                  ExpressionAttributeValues={":v": {"N": "2"}}, ReturnValues="ALL_NEW", ReturnConsumedCapacity="INDEXES")
    c.query(TableName="shapes", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}},
            Limit=1, ReturnConsumedCapacity="TOTAL")
    c.scan(TableName="shapes", IndexName="byg")
    c.batch_write_item(RequestItems={"shapes": [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}}]},
                       ReturnConsumedCapacity="TOTAL")
    c.batch_get_item(RequestItems={"shapes": {"Keys": [{"pk": {"S": "b"}, "sk": {"N": "2"}}]}})
    c.transact_write_items(TransactItems=[{"Put": {"TableName": "shapes", "Item": {"pk": {"S": "c"}, "sk": {"N": "3"}}}}],
                           ReturnConsumedCapacity="TOTAL")
    c.transact_get_items(TransactItems=[{"Get": {"TableName": "shapes", "Key": {"pk": {"S": "c"}, "sk": {"N": "3"}}}}])
    try:
        c.transact_write_items(TransactItems=[{"ConditionCheck": {"TableName": "shapes", "Key": {"pk": {"S": "c"}, "sk": {"N": "3"}},
                                                                  "ConditionExpression": "attribute_not_exists(pk)"}}])
    except ClientError:
        pass
    try:
        c.put_item(TableName="shapes", Item={"pk": {"S": "c"}, "sk": {"N": "3"}}, ConditionExpression="attribute_not_exists(pk)",
                   ReturnValuesOnConditionCheckFailure="ALL_OLD")
    except ClientError:
        pass
    c.update_time_to_live(TableName="shapes", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    c.describe_time_to_live(TableName="shapes")
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "c", "Value": "d"}])
    c.list_tags_of_resource(ResourceArn=arn)
    c.untag_resource(ResourceArn=arn, TagKeys=["c"])
    c.describe_limits()
    c.describe_endpoints()
    c.update_table(TableName="shapes", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                   GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "byg", "ProvisionedThroughput": {
                       "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    c.delete_item(TableName="shapes", Key={"pk": {"S": "a"}, "sk": {"N": "1"}}, ReturnValues="ALL_OLD")
    c.delete_table(TableName="shapes")
    assert not rec.findings, rec.report()
    assert len(rec.operations) >= 20
