"""SQS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Manifest

MANIFEST = Manifest(
    package="sqs",
    services=("sqs",),
    api_modules={"sqs": ("gureum.services.sqs.api", "gureum.services.sqs.moves")},
    validation_errors={"sqs": "InvalidParameterValue"},
    ports={"queues": "gureum.services.sqs.port:Queues"},
    reset="gureum.services.sqs.reset:reset",
)
