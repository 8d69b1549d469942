"""Route 53's one error whose message is built by a rule: InvalidChangeBatch. Every other
error is raised as `AwsError.modeled("route53", code, message)` (status from the model)."""

from __future__ import annotations

from gureum.aws.errors import AwsError


def invalid_change_batch(messages: list[str], bare: bool = False) -> AwsError:
    """The batch failed validation; AWS lists every problem in `messages`, and the message
    is that list in brackets ("[Tried to create … but it already exists]"), except for the
    CNAME rules, which AWS reports alone and bare."""
    text = messages[0] if bare else "[" + ", ".join(messages) + "]"
    return AwsError.modeled("route53", "InvalidChangeBatch", text, messages=list(messages))
