"""S3's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Manifest, Routing

MANIFEST = Manifest(
    package="s3",
    services=("s3",),
    api_modules={"s3": ("gureum.services.s3.api", "gureum.services.s3.objects", "gureum.services.s3.multipart",
                        # object-level features (issue 25, S3 part B)
                        "gureum.services.s3.object_lock_api", "gureum.services.s3.attributes_api",
                        "gureum.services.s3.select_api", "gureum.services.s3.directory",
                        "gureum.services.s3.annotations", "gureum.services.s3.metadata_tables",
                        "gureum.services.s3.unavailable")},
    # unreferenced blob collection, multipart upload expiry
    components=(Component("s3", "gureum.services.s3.gc:run", ("s3",)),),
    validation_errors={"s3": "InvalidArgument"},
    protocol_hooks="gureum.services.s3.wire:HOOKS",
    # directory buckets' requests are signed as s3express (with a CreateSession session),
    # WriteGetObjectResponse as s3-object-lambda
    routing={"s3": Routing(rest=True, rest_last=True, signing_aliases=("s3express", "s3-object-lambda"))},
    model_patches={"s3": "gureum.services.s3.model_patches:PATCHES"},
    settings="gureum.services.s3.settings:S3Settings",
    reset="gureum.services.s3.reset:reset",
    denials={"s3": Denial("AccessDenied", plain_message="Access Denied")},
)
