"""AWS::Kinesis::ResourcePolicy (Ref: the stream's or consumer's ARN; no Fn::GetAtt), made by
the kinesis service's own handlers: PutResourcePolicy; the document changes in place (put
again), another ResourceArn replaces it (the engine decides); delete is DeleteResourcePolicy,
an already-gone policy or resource taken as done (`resource_policy_type`)."""

from __future__ import annotations

from gureum.services.cloudformation.providers.base import resource_policy_type

resource_policy_type("AWS::Kinesis::ResourcePolicy", "kinesis", "ResourceARN", "ResourcePolicy")
