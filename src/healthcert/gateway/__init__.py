"""The trust gateway: countries' trusted parties onboarded by an operator, signed uploads of
DSCs, rules and revocations, signed downloads, federation; and the country-side client.

``client``, ``cms``, ``download_signature`` and ``wire`` are what a country needs (they use the
library only); the rest is the server, which needs the service extra.
"""
