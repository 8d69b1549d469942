"""IAM: users, access keys, groups, roles, managed and inline policies, instance profiles,
and the identity lookups other services use (`gureum.services.iam.lookup`)."""
