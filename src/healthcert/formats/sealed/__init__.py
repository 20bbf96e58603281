"""Sealed certificates (QR text ``HCS1:``): a signed EU DCC or health code encrypted to one
destination's border key, so that only that country's verifiers read it. ``payload`` is the
wire format.

The submodule loads on demand (the registry names ``payload``): importing this package loads
nothing.
"""
