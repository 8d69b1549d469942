"""Secrets Manager's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="secretsmanager",
    services=("secretsmanager",),
    api_modules={"secretsmanager": ("gureum.services.secretsmanager.api",)},
    validation_errors={"secretsmanager": "ValidationException"},
    routing={"secretsmanager": Routing(target_prefix="secretsmanager")},
    components=(Component("secretsmanager.sweep", "gureum.services.secretsmanager.sweep:run", ("secretsmanager",), idle=Idle(("sm_secrets",))),),
    settings="gureum.services.secretsmanager.settings:SecretsSettings",
    reset="gureum.services.secretsmanager.reset:reset",
    denials={"secretsmanager": Denial("AccessDeniedException")},
)
