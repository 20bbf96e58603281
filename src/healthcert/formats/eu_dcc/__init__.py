"""EU Digital COVID Certificate (HCERT, QR text ``HC1:``): the signed payload, the DCC JSON
mapping and the DCC JSON schema.

The submodules load on demand (the registry names ``payload``): importing this package loads
none of them.
"""
