"""Kinesis's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="kinesis",
    services=("kinesis",),
    api_modules={"kinesis": ("gureum.services.kinesis.api", "gureum.services.kinesis.api_consumers",
                             "gureum.services.kinesis.api_policies")},
    components=(Component("kinesis-retention", "gureum.services.kinesis.sweep:run", ("kinesis",), idle=Idle(("kinesis_streams",))),),
    validation_errors={"kinesis": "ValidationException"},
    denials={"kinesis": Denial("AccessDeniedException")},  # AWS: 400 AccessDeniedException
    routing={"kinesis": Routing(target_prefix="Kinesis_20131202")},
    settings="gureum.services.kinesis.settings:KinesisSettings",
    reset="gureum.services.kinesis.reset:reset",
)
