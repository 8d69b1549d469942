"""The resource types CloudFormation creates (one module per group of services); importing
the package registers them all in `base.PROVIDERS`."""

from gureum.services.cloudformation.providers import (
    apigw_more,
    apigw_rest_extras,
    apigw_rest_links,
    apigw_v2_domains,
    apigw_v2_extras,
    apis,
    balancing,
    balancing_extras,
    billing,
    budget_actions,
    cloudwatch_extras,
    cognito_extras,
    cognito_more,
    compute,
    containers,
    discovery_extras,
    dynamodb_global,
    ecr_registry,
    ecr_settings,
    ecs_capacity,
    iam_certificates,
    iam_extras,
    identity,
    kinesis_extras,
    kinesis_policy,
    lambda_extras,
    lambda_policy,
    lex,
    logs_extras,
    logs_more,
    macro,
    mail,
    messaging,
    messaging_extras,
    network,
    resolver,
    resolver_config,
    resolver_extras,
    resolver_firewall,
    resolver_querylog,
    route53_extras,
    route53_policies,
    secrets_extras,
    ses_events,
    ses_extras,
    ses_more,
    stacks,
    storage,
)

__all__ = ["apis", "balancing", "compute", "containers", "identity", "mail", "messaging", "network", "resolver", "stacks", "storage"]
__all__ += ["apigw_rest_extras", "apigw_v2_extras", "balancing_extras", "cognito_extras", "resolver_extras", "ses_extras"]
__all__ += ["apigw_rest_links", "apigw_v2_domains"]
__all__ += ["discovery_extras", "iam_extras"]
__all__ += ["messaging_extras"]
__all__ += ["ses_events"]
__all__ += ["cloudwatch_extras"]
__all__ += ["logs_extras"]
__all__ += ["secrets_extras"]
__all__ += ["kinesis_extras", "lambda_extras"]
__all__ += ["ecr_registry"]
__all__ += ["route53_extras"]
__all__ += ["resolver_querylog"]
__all__ += ["resolver_firewall"]
__all__ += ["dynamodb_global"]
__all__ += ["ecr_settings", "ecs_capacity", "iam_certificates", "kinesis_policy"]
__all__ += ["logs_more", "route53_policies"]
__all__ += ["resolver_config"]
__all__ += ["apigw_more", "cognito_more", "ses_more"]
__all__ += ["billing", "lex"]
__all__ += ["budget_actions"]
__all__ += ["lambda_policy", "macro"]
