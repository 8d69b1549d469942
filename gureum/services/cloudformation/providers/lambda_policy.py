"""AWS::Lambda::ResourcePolicy (Ref: the function's, version's or alias's ARN; no
Fn::GetAtt), made by Lambda's own PutResourcePolicy: the document changes in place (put
again), another ResourceArn replaces it (the schema's createOnly, the engine decides); delete
is DeleteResourcePolicy, an already-gone function taken as done (`resource_policy_type`)."""

from __future__ import annotations

from gureum.services.cloudformation.providers.base import resource_policy_type

resource_policy_type("AWS::Lambda::ResourcePolicy", "lambda", "ResourceArn", "PolicyDocument")
