"""The names of cognito-idp's tables of short-lived rows, which the background sweep
(sweep.py) reads without importing the modules that own them (flows.py, hosted_ui.py,
tokens.py pull in JOSE, cryptography and OTP libraries a node need not load before its
first Cognito request)."""

from __future__ import annotations

CHALLENGES = "cognito_challenges"  # flows.py: pending sign-in challenges
CODES = "cognito_auth_codes"  # hosted_ui.py: unredeemed authorization codes
SESSIONS = "cognito_sessions"  # tokens.py: sign-in sessions (refresh tokens)
USER_SESSIONS = "cognito_user_sessions"  # tokens.py: pool/user/session index of SESSIONS
