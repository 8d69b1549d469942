"""DynamoDB Streams' declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="dynamodbstreams",
    services=("dynamodbstreams",),
    api_modules={"dynamodbstreams": ("gureum.services.dynamodbstreams.api",)},
    components=(Component("dynamodbstreams-retention", "gureum.services.dynamodbstreams.sweep:run", ("dynamodbstreams",), idle=Idle(("dynamodbstreams_streams",))),),
    validation_errors={"dynamodbstreams": "ValidationException"},
    routing={"dynamodbstreams": Routing(signing_name="dynamodb", target_prefix="DynamoDBStreams_20120810")},
    settings="gureum.services.dynamodbstreams.settings:StreamsSettings",
    reset="gureum.services.dynamodbstreams.reset:reset",
)
