"""Kinesis's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="kinesis",
    services=("kinesis",),
    api_modules={"kinesis": ("gureum.services.kinesis.api", "gureum.services.kinesis.api_consumers")},
    components=(Component("kinesis-retention", "gureum.services.kinesis.sweep:run", ("kinesis",), idle=Idle(("kinesis_streams",))),),
    validation_errors={"kinesis": "ValidationException"},
    routing={"kinesis": Routing(target_prefix="Kinesis_20131202")},
    settings="gureum.services.kinesis.settings:KinesisSettings",
    reset="gureum.services.kinesis.reset:reset",
)
