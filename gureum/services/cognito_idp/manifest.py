"""Cognito user pools' declaration for the registry (see gureum/services/manifest.py).
Input that fails the model answers `InvalidParameterException`, as Cognito does. The JWKS
and OpenID configuration of each pool are at "/<pool id>/.well-known/..." (no S3 bucket
name has the underscore of a pool id), the hosted UI's token endpoint at /oauth2/token and
on a pool domain's host."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="cognito_idp",
    services=("cognito-idp",),
    api_modules={"cognito-idp": ("gureum.services.cognito_idp.api",)},
    validation_errors={"cognito-idp": "InvalidParameterException"},
    routing={"cognito-idp": Routing(target_prefix="AWSCognitoIdentityProviderService")},
    edge_routes={
        "/oauth2/": "gureum.services.cognito_idp.http:handle_token",
        # /<pool id>/.well-known/...: a pool id is not a fixed prefix; the handler answers
        # None (at once, on the path's shape) for every other unsigned request
        "/": "gureum.services.cognito_idp.well_known:handle",
    },
    host_routes={r"(?P<domain>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.auth\.(?:[a-z0-9-]+\.amazoncognito\.com|localhost)(?::\d+)?":
                 "gureum.services.cognito_idp.http:handle_domain"},
    components=(Component("cognito-idp-sweep", "gureum.services.cognito_idp.sweep:run", ("cognito-idp",), idle=Idle(("cognito_pools",))),),
    settings="gureum.services.cognito_idp.settings:CognitoSettings",
    reset="gureum.services.cognito_idp.reset:reset",
)
