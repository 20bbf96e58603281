"""The gateway's trust list in the WHO GDHCN DID form: its entries as DID verification methods,
signed with the gateway's anchor (``trust.did_write``)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from cryptography import x509

from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.app import DidWriter
from healthcert.gateway.wire import UPLOADED_TYPES
from healthcert.trust.did import BORDER_USAGE
from healthcert.trust.did_write import (
    DidEntry,
    select_entries,
    trustlist_did,
    write_did_document,
)

# The EU gateway's certificate types by the WHO network's key usage codes.
USAGE_OF_TYPE = {
    "CSCA": "SCA",
    "DSC": "DSC",
    "UPLOAD": "UP",
    "AUTHENTICATION": "TLS",
    "BORDER": BORDER_USAGE,  # healthcert's own: a destination's border key (keyAgreement)
}
# The entries a country's CSCA signed: written with it, so a reader checks the chain.
_UNDER_CSCA = frozenset(UPLOADED_TYPES)


def did_writer(anchor: GatewayAnchor, host: str) -> DidWriter:
    """The writer the gateway's ``/v2/trustlist/.../did.json`` route calls; its documents are
    ``did:web`` ids under ``host``."""

    def write(
        items: list[dict[str, Any]], domain: str, participant: str, usage: str
    ) -> dict[str, Any] | None:
        try:
            chosen = select_entries(
                did_entries(items), domain=domain, participant=participant, usage=usage
            )
        except ValueError:
            return None
        return write_did_document(
            chosen,
            domain=domain,
            participant=participant,
            usage=usage,
            did_id=trustlist_did(host, domain, participant, usage),
            signer_key=anchor.key,
            signer_certificate=anchor.certificate,
        )

    return write


def did_entries(items: Sequence[dict[str, Any]]) -> list[DidEntry]:
    """The live entries of an EU-form trust list, each DSC and border certificate with the
    CSCA that signed it (by subject) so a reader can check the chain from the document alone."""
    live = [item for item in items if not item.get("deleted")]
    certificates = [
        (item, x509.load_der_x509_certificate(base64.b64decode(item["rawData"])))
        for item in live
        if item.get("certificateType") in USAGE_OF_TYPE
    ]
    cscas = {
        certificate.subject: certificate
        for item, certificate in certificates
        if item["certificateType"] == "CSCA"
    }
    return [
        DidEntry(
            certificate=certificate,
            country=item["country"],
            usage=USAGE_OF_TYPE[item["certificateType"]],
            issuer=cscas.get(certificate.issuer)
            if item["certificateType"] in _UNDER_CSCA
            else None,
        )
        for item, certificate in certificates
    ]
