"""Each service's refusal: the error AWS answers with when IAM says no.

How each service words it is declared by its package (`Manifest.denials`, a `Denial`:
code, and the few departures from the usual message); the HTTP status comes from the
service's model (AwsError.modeled), e.g. IAM/STS/Route 53/SQS/S3 `AccessDenied` 403, SNS
`AuthorizationError` 403, Lambda `AccessDeniedException` 403 (its model patch), ECR/ECS/Logs/
Cloud Map `AccessDeniedException` 400. A service that declares nothing answers
`AccessDenied` 403.

Messages follow AWS's current wording: "User: <principal> is not authorized to perform:
<action> on resource: <resource> because no identity-based policy allows the <action>
action" (or "... with an explicit deny in a resource-based policy", ...); S3 says only
"Access Denied"; STS's refusals of AssumeRole* name no reason; SNS spells its action prefix
in capitals.
"""

from __future__ import annotations

from gureum.aws.errors import AwsError
from gureum.services import registry
from gureum.services.manifest import Denial

# Why a request was refused -> the tail AWS puts on the message.
REASONS = {
    "identity": "because no identity-based policy allows the {action} action",
    "resource": "because no resource-based policy allows the {action} action",
    "boundary": "because no permissions boundary allows the {action} action",
    "session": "because no session policy allows the {action} action",
    "identity-deny": "with an explicit deny in an identity-based policy",
    "resource-deny": "with an explicit deny in a resource-based policy",
    "boundary-deny": "with an explicit deny in a permissions boundary",
    "session-deny": "with an explicit deny in a session policy",
}


def message(principal_arn: str, action: str, resource: str, reason: str) -> str:
    tail = REASONS.get(reason, "").format(action=action)
    text = f"User: {principal_arn} is not authorized to perform: {action}"
    if resource != "*":  # AWS names no resource for actions that take none (List*, Create*)
        text += f" on resource: {resource}"
    return f"{text} {tail}" if tail else text


def access_denied(service: str, principal_arn: str, action: str, resource: str, reason: str) -> AwsError:
    """The error `service` answers a refused request with."""
    denial = registry.DENIALS.get(service, Denial())
    if denial.plain_message is not None:
        return AwsError.modeled(service, denial.code, denial.plain_message)
    shown = action
    if denial.action_prefix is not None and ":" in action:
        shown = denial.action_prefix + ":" + action.split(":", 1)[1]
    text = message(principal_arn, shown, resource, reason if denial.names_reason else "")
    return AwsError.modeled(service, denial.code, text)
