"""S3's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="s3",
    services=("s3",),
    api_modules={"s3": ("gureum.services.s3.api", "gureum.services.s3.objects", "gureum.services.s3.multipart",
                        # object-level features (issue 25, S3 part B)
                        "gureum.services.s3.object_lock_api", "gureum.services.s3.attributes_api",
                        "gureum.services.s3.select_api", "gureum.services.s3.directory",
                        "gureum.services.s3.annotations", "gureum.services.s3.metadata_tables",
                        "gureum.services.s3.unavailable",
                        # bucket configuration
                        "gureum.services.s3.encryption", "gureum.services.s3.bucket_access",
                        "gureum.services.s3.bucket_config", "gureum.services.s3.report_configs",
                        "gureum.services.s3.lifecycle", "gureum.services.s3.website",
                        "gureum.services.s3.replication")},
    # website endpoints: <bucket>.s3-website[-.]<region>.amazonaws.com, <bucket>.s3-website.localhost
    host_routes={r"(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3-website(?:[.-][a-z0-9-]+)?\.(?:amazonaws\.com|localhost)(?::\d+)?":
                 "gureum.services.s3.website_http:handle"},
    method_routes={"OPTIONS": "gureum.services.s3.cors:preflight"},  # CORS preflight
    # unreferenced blob collection, multipart upload expiry
    components=(Component("s3", "gureum.services.s3.gc:run", ("s3",), idle=Idle(("s3_buckets",))),
                Component("s3-lifecycle", "gureum.services.s3.lifecycle_sweep:run", ("s3",), idle=Idle(("s3_buckets",))),
                Component("s3-replication", "gureum.services.s3.replication_worker:run", ("s3",), idle=Idle(("s3_buckets",))),
                Component("s3-access-logs", "gureum.services.s3.access_log:run", ("s3",), idle=Idle(("s3_buckets",)))),
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
