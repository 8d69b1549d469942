"""Amazon SNS: topics, subscriptions, filter policies and delivery to SQS, HTTP(S) and Lambda."""
