"""DynamoDB's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="dynamodb",
    services=("dynamodb",),
    api_modules={"dynamodb": ("gureum.services.dynamodb.api",)},
    components=(Component("dynamodb-ttl", "gureum.services.dynamodb.ttl:run", ("dynamodb",), idle=Idle(("dynamodb_tables",))),),
    validation_errors={"dynamodb": "ValidationException"},
    routing={"dynamodb": Routing(target_prefix="DynamoDB_20120810")},
    settings="gureum.services.dynamodb.settings:DynamoDbSettings",
    reset="gureum.services.dynamodb.reset:reset",
    denials={"dynamodb": Denial("AccessDeniedException")},  # AWS: 400 AccessDeniedException
)
