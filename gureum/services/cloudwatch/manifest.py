"""CloudWatch's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="cloudwatch",
    services=("cloudwatch",),
    api_modules={"cloudwatch": ("gureum.services.cloudwatch.api",)},
    components=(Component("cloudwatch-alarms", "gureum.services.cloudwatch.evaluator:run", ("cloudwatch",), idle=Idle(("cloudwatch_alarms",))),),
    validation_errors={"cloudwatch": "ValidationError"},
    routing={"cloudwatch": Routing(signing_name="monitoring", target_prefix="GraniteServiceVersion20100801",
                                   query_version="2010-08-01")},
    settings="gureum.services.cloudwatch.settings:CloudWatchSettings",
    reset="gureum.services.cloudwatch.reset:reset",
)
