"""The one error the policy language raises: a document IAM would refuse, with IAM's message
(what `MalformedPolicyDocument` says for it)."""

from __future__ import annotations

SYNTAX = "Syntax errors in policy."
INVALID_JSON = "This policy contains invalid Json"
LEGACY = "The policy failed legacy parsing"
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
PRINCIPAL_IN_IDENTITY = "Policy document should not specify a principal."
NO_PRINCIPAL = "Missing required field Principal."
TRUST_ACTIONS = "AssumeRole policy may only specify STS AssumeRole actions."


class PolicyError(ValueError):
    """A malformed policy; str(error) is IAM's MalformedPolicyDocument message."""
