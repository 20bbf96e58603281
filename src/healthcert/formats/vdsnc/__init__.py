"""ICAO Visible Digital Seals for non-constrained environments (VDS-NC, a JSON seal): the
signed seal and its message.

The submodules load on demand (the registry names ``seal``): importing this package loads
none of them.
"""
