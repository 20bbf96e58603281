"""Signing keys of an issuer: CSCA and DSC creation, encrypted key files, the signer.

Each concept lives in its own module; import from there (``healthcert.keys.signer`` and so on)
so that importing this package stays free of ``cryptography``.
"""
