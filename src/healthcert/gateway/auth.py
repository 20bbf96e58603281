"""Who is calling: the TLS client certificate, from the gateway's own TLS or a trusted proxy.

With the gateway terminating TLS itself, the server's protocol (``server.py``) puts the
client's certificate into the request scope as the ASGI TLS extension does
(``scope["extensions"]["tls"]["client_cert_chain"]``, PEM). Behind a proxy that terminates
TLS, the proxy passes the certificate in ``X-SSL-Client-Cert`` (PEM, URL-encoded as nginx's
``$ssl_client_escaped_cert`` writes it); that header counts only from the proxy addresses the
operator named, and is ignored from anyone else.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection, Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy.orm import Session

from healthcert.gateway import repository
from healthcert.gateway.wire import thumbprint

PROXY_HEADER = "x-ssl-client-cert"
MAX_HEADER_CERTIFICATE = 16 * 1024


class NotAuthenticated(Exception):
    """401 or 403, and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def client_certificate(
    scope: Mapping[str, Any], headers: Mapping[str, str], trusted_proxies: Collection[str]
) -> x509.Certificate | None:
    """The caller's certificate: from TLS, else from a trusted proxy's header, else None."""
    tls = scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if chain:
        return _pem(str(chain[0]))
    client = scope.get("client")
    if client and client[0] in trusted_proxies:
        value = headers.get(PROXY_HEADER)
        if value and len(value) <= MAX_HEADER_CERTIFICATE:
            return _pem(urllib.parse.unquote(value))
    return None


def _pem(text: str) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None


def authenticated_country(session: Session, certificate: x509.Certificate | None) -> str:
    """The country whose onboarded AUTHENTICATION certificate this is; 401 or 403 otherwise."""
    if certificate is None:
        raise NotAuthenticated(401, "no client certificate: authenticate with TLS")
    print_hex = thumbprint(certificate.public_bytes(Encoding.DER))
    # Parties imported from a followed gateway authenticate there, not here.
    roles = [p for p in repository.party_by_thumbprint(session, print_hex) if p.origin is None]
    for role in roles:
        if role.certificate_type == "AUTHENTICATION":
            return role.country
    if roles:
        kinds = ", ".join(sorted({role.certificate_type for role in roles}))
        raise NotAuthenticated(
            403, f"this certificate is onboarded as {kinds}, not as AUTHENTICATION"
        )
    raise NotAuthenticated(401, "unknown client certificate: not onboarded at this gateway")
