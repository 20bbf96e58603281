"""The certificate service's use cases: records, holder sign-in, issuance, revocation, audit.

The HTTP API and the commands call these functions; they hold the rules, the API only maps
them to HTTP.
"""
