"""SQS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="sqs",
    services=("sqs",),
    api_modules={"sqs": ("gureum.services.sqs.api", "gureum.services.sqs.moves")},
    validation_errors={"sqs": "InvalidParameterValue"},
    routing={"sqs": Routing(target_prefix="AmazonSQS", query_version="2012-11-05")},
    model_patches={"sqs": "gureum.services.sqs.model_patches:PATCHES"},
    # a query request sent to a queue URL names its queue by the path
    protocol_hooks="gureum.services.sqs.wire:HOOKS",
    ports={"queues": "gureum.services.sqs.port:Queues"},
    settings="gureum.services.sqs.settings:SqsSettings",
    reset="gureum.services.sqs.reset:reset",
    denials={"sqs": Denial("AccessDenied")},
    status="gureum.services.sqs.node_status:status",
)
