"""What a use case refuses, in terms the API maps to HTTP statuses."""

from __future__ import annotations

from datetime import datetime

from healthcert.errors import HealthcertError


class ServiceError(HealthcertError):
    """Base of the refusals below."""


class NotFound(ServiceError):
    """No such object, or not one the caller may see (the two are not told apart)."""


class Invalid(ServiceError):
    """The input is wrong; ``problems`` names each bad field and why."""

    def __init__(self, problems: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['message']}" for p in problems))
        self.problems = problems


class Conflict(ServiceError):
    """The request contradicts the stored state (e.g. the record id was used for other data)."""


class Revoked(ServiceError):
    """The certificate was revoked: it is not rendered as if it still held."""

    def __init__(self, certificate_id: int, revoked_at: datetime, reason: str) -> None:
        super().__init__(f"certificate {certificate_id} was revoked")
        self.revoked_at = revoked_at
        self.reason = reason


class Unauthorised(ServiceError):
    """Credentials are missing, wrong or expired."""


class TooManyAttempts(ServiceError):
    """A rate limit refused the attempt; ``retry_after`` seconds until the next may succeed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(ServiceError):
    """A service this one depends on (an identity provider) did not answer as it should."""


class Forbidden(ServiceError):
    """The caller is known but may not do this (e.g. set a contact without being an identity
    source)."""
