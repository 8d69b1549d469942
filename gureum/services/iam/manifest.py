"""IAM's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="iam",
    services=("iam",),
    api_modules={"iam": ("gureum.services.iam.api", "gureum.services.iam.api_passwords",
                          "gureum.services.iam.api_ssh_keys", "gureum.services.iam.api_certificates",
                          "gureum.services.iam.api_service_credentials", "gureum.services.iam.api_mfa",
                          "gureum.services.iam.api_credential_report",
                          "gureum.services.iam.api_account", "gureum.services.iam.api_saml",
                          "gureum.services.iam.api_simulate", "gureum.services.iam.api_reports",
                          "gureum.services.iam.api_newest")},
    # the OIDC issuers of outbound identity federation (issuer_http.py)
    edge_routes={"/_gureum/iam/": "gureum.services.iam.issuer_http:handle"},
    validation_errors={"iam": "ValidationError"},
    routing={"iam": Routing(query_version="2010-05-08")},
    settings="gureum.services.iam.settings:IamSettings",
    reset="gureum.services.iam.reset:reset",
    denials={"iam": Denial("AccessDenied")},
)
