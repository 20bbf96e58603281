"""SMART Health Cards (QR text ``shc:/``): the card's JWS, its FHIR Bundle read and written,
and the issuers bound to their URL.

The submodules load on demand (the registry names ``card``): importing this package loads
none of them.
"""
