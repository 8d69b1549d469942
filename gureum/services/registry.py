"""Which modules serve which AWS service, which background components run, which HTTP
paths are not AWS APIs. Importing this module imports nothing heavy: everything named
here is loaded on first use (API modules) or after the listener is up (components).

Each service adds its own lines here and nothing else global.
"""

from __future__ import annotations

# AWS service name (botocore's) -> modules whose import registers @operation handlers.
API_MODULES: dict[str, list[str]] = {
    "sts": ["gureum.services.sts.api"],
    "iam": ["gureum.services.iam.api"],
    "ecr": ["gureum.services.ecr.api"],
    "route53": ["gureum.services.route53.api", "gureum.services.route53.cidr", "gureum.services.route53.health",
                "gureum.services.route53.querylog", "gureum.services.route53.traffic"],
    "sqs": ["gureum.services.sqs.api", "gureum.services.sqs.moves"],
    "s3": ["gureum.services.s3.api", "gureum.services.s3.objects", "gureum.services.s3.multipart"],
    "sns": ["gureum.services.sns.api"],
    "lambda": ["gureum.services.lambda_.api", "gureum.services.lambda_.esm"],
    "logs": ["gureum.services.logs.api"],
    "ecs": ["gureum.services.ecs.api"],
    "servicediscovery": ["gureum.services.servicediscovery.api"],
}

# Background components, started by `gureum up` after the HTTP listener is ready, each
# `async def run(app: App) -> None` running until cancelled ("module:function").
# name -> (entry point, AWS services it backs, for the health report)
COMPONENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ecr": ("gureum.services.ecr.components:run", ("ecr",)),  # GC, lifecycle, upload expiry
    "dns": ("gureum.services.route53.server:run", ("route53",)),
    "route53-health": ("gureum.services.route53.health:run", ("route53",)),  # health check probes
    "s3": ("gureum.services.s3.gc:run", ("s3",)),  # unreferenced blob collection, upload expiry
    "sns": ("gureum.services.sns.delivery:run", ("sns",)),  # durable http(s) deliveries and retries
    "lambda": ("gureum.services.lambda_.engine:run", ("lambda",)),  # scheduler, event queue, URLs
    "ecs": ("gureum.services.ecs.agent:run", ("ecs",)),  # task agent, service scheduler
    "lambda-esm": ("gureum.services.lambda_.esm_poller:run", ("lambda",)),  # SQS event source mappings
}

# What a `gureum agent` runs: the task agent, and a DNS server for its tasks' resolvers.
AGENT_COMPONENTS = ("dns", "ecs")

# HTTP path prefixes on the main port that are not AWS APIs -> "module:function",
# `async def handle(app: App, request: Request) -> Response`.
EDGE_ROUTES: dict[str, str] = {
    "/v2/": "gureum.services.ecr.http:handle",  # the OCI registry (ECR)
    "/_gureum/lambda/code/": "gureum.services.lambda_.code_urls:handle",  # GetFunction's Code.Location
    "/_aws/lambda-url/": "gureum.services.lambda_.urls:handle_path",  # function URLs in path form
}

# Services gureum speaks on its API port (for routing and the health report).
SERVED = (
    "route53",
    "route53domains",
    "route53resolver",
    "lambda",
    "ecr",
    "ecs",
    "eks",
    "s3",
    "sqs",
    "sns",
    "kinesis",
    "dynamodb",
    "dynamodbstreams",
    "logs",
    "iam",
    "sts",
    "elbv2",
    "apigatewayv2",
    "servicediscovery",
    "ce",
)
