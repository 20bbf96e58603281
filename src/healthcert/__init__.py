"""healthcert: issue and verify international travel health certificates offline."""

__version__ = "0.1.0"
