"""Lex V2's declaration for the registry (see gureum/services/manifest.py): the model-building
API and the runtime both sign as "lex" and are told apart by their REST paths; Lex V1's
paths (lex-models, lex-runtime) get a 501 naming them."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="lexv2",
    services=("lexv2-models", "lexv2-runtime"),
    api_modules={"lexv2-models": ("gureum.services.lexv2.api_models", "gureum.services.lexv2.api_tags",
                                   "gureum.services.lexv2.api_policies"),
                 "lexv2-runtime": ("gureum.services.lexv2.api_runtime",)},
    denials={"lexv2-models": Denial("AccessDeniedException"), "lexv2-runtime": Denial("AccessDeniedException")},
    validation_errors={"lexv2-models": "ValidationException", "lexv2-runtime": "ValidationException"},
    routing={"lexv2-models": Routing(signing_name="lex", rest=True, unserved_sharing=("lex-models",)),
             "lexv2-runtime": Routing(signing_name="lex", rest=True, unserved_sharing=("lex-runtime",))},
    reset="gureum.services.lexv2.reset:reset",
)
