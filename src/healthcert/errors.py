"""The exception family of healthcert.

Verification failures are not exceptions: they are codes in a report (see ``report``).
These exceptions are for misuse, bad configuration and bad requests to issue.
"""

from healthcert.report import ErrorCode


class HealthcertError(Exception):
    """Base class of every exception healthcert raises on purpose."""


class ConfigurationError(HealthcertError):
    """A setting is missing or wrong (passphrase, home directory, key files)."""


class KeyStoreError(HealthcertError):
    """A key or certificate file cannot be created, read or decrypted."""


class TrustStoreError(HealthcertError):
    """A trust source cannot be read at all (a single bad entry is skipped, not raised)."""


class RequestError(HealthcertError):
    """A request to issue a certificate is invalid; the message says which field and why."""


class PayloadError(HealthcertError):
    """A payload cannot be decoded; carries the report error code that names the failing step."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
