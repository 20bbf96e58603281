"""What each error code of a report means, for the panel in a language other than English.
The report's own message is English and names the specifics (which kid, which time); in
another language the panel shows the code's meaning from the catalog, beside the code."""

from __future__ import annotations

from healthcert.cli.messages import _
from healthcert.report import ErrorCode


def error_text(code: str) -> str | None:
    """The meaning of ``code`` in the chosen language; None for a code not listed here."""
    texts: dict[str, str] = {
        ErrorCode.QR_UNREADABLE: _("no QR code can be read from the image"),
        ErrorCode.INPUT_UNREADABLE: _("the input cannot be read, or is not UTF-8 text"),
        ErrorCode.INPUT_EMPTY: _("the input is empty"),
        ErrorCode.INPUT_TOO_LARGE: _("the input is larger than the verifier reads"),
        ErrorCode.FORMAT_UNKNOWN: _("the payload is of no known format"),
        ErrorCode.PREFIX_INVALID: _("not a payload this verifier reads"),
        ErrorCode.BASE45_INVALID: _("the payload's Base45 text is broken"),
        ErrorCode.DECOMPRESS_FAILED: _("the compressed data is broken or too large"),
        ErrorCode.COSE_INVALID: _("the signed structure (COSE) is malformed"),
        ErrorCode.CBOR_INVALID: _("the data (CBOR) is malformed"),
        ErrorCode.SCHEMA_INVALID: _("the content breaks its format's schema"),
        ErrorCode.ALG_UNSUPPORTED: _("a signature algorithm the format does not allow"),
        ErrorCode.KID_UNKNOWN: _("no trusted key has this key identifier (kid)"),
        ErrorCode.SIGNER_NOT_DSC: _(
            "the key is a country's root (CSCA), which signs no certificate"
        ),
        ErrorCode.SIGNATURE_INVALID: _(
            "the signature does not verify: altered, or signed by another key"
        ),
        ErrorCode.EXPIRED: _("expired"),
        ErrorCode.NOT_YET_VALID: _("not yet valid"),
        ErrorCode.KEY_USAGE_MISMATCH: _("the signer may not sign this kind of certificate"),
        ErrorCode.DSC_EXPIRED: _("valid beyond the end of its signer certificate"),
        ErrorCode.DSC_NOT_YET_VALID: _("signed before its signer certificate was valid"),
        ErrorCode.HEADER_INVALID: _("a header of the signed payload cannot be used"),
        ErrorCode.ISSUER_UNKNOWN: _("the issuer is not trusted"),
        ErrorCode.CHAIN_INVALID: _("the signer certificate does not chain to a trusted root"),
        ErrorCode.REVOKED: _("revoked by its issuer"),
        ErrorCode.JWS_INVALID: _("not a compact JWS"),
        ErrorCode.NUMERIC_INVALID: _("the shc:/ digits encode no JWS"),
        ErrorCode.CHUNKS_INVALID: _("the QR code chunks are missing, repeated or inconsistent"),
        ErrorCode.JSON_INVALID: _("not valid JSON"),
        ErrorCode.CONTENT_UNSUPPORTED: _("genuine, but holding no vaccination, test or recovery"),
        ErrorCode.CLAIMS_INVALID: _("a validity field is not of the type the format defines"),
        ErrorCode.CLAIM_MISSING: _("a validity field the format requires is missing"),
        ErrorCode.TRIP_MISMATCH: _("a health code for another trip, or no health code"),
        ErrorCode.SEALED: _("sealed for a destination whose border key was not given"),
        ErrorCode.INTERNAL_ERROR: _("a fault of healthcert stopped this verification"),
    }
    return texts.get(code)
