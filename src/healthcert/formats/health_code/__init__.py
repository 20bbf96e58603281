"""Health codes (QR text ``HCD1:``): a consulate's signed, short-lived green / yellow / red
answer to a returning traveller's health declaration, for one trip. ``code`` is the wire
format; ``model`` what the issuer hands over, and how long each colour stays valid.

The submodules load on demand (the registry names ``code``): importing this package loads
none of them.
"""
