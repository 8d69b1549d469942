"""DynamoDB Streams: the change records DynamoDB writes with every item change, their shards
and sequence numbers, and the dynamodbstreams API that reads them."""
