"""Amazon Cognito user pools (`cognito-idp`): pools, app clients, users, groups, the sign-in
flows (password, SRP-6a, refresh, challenges, TOTP), RS256 tokens with a per-pool key and its
JWKS, the hosted UI's /oauth2/token, and Lambda triggers."""
