"""IAM's policy language and evaluation logic, sans-IO (see `gureum.policy.engine`)."""
