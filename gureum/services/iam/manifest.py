"""IAM's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Manifest

MANIFEST = Manifest(
    package="iam",
    services=("iam",),
    api_modules={"iam": ("gureum.services.iam.api",)},
    validation_errors={"iam": "ValidationError"},
    settings="gureum.services.iam.settings:IamSettings",
    reset="gureum.services.iam.reset:reset",
)
