"""What each error code of a report means, for the panel in a language other than English.
The report's own message is English and names the specifics (which kid, which time); in
another language the panel shows the code's meaning from the catalog, beside the code."""

from __future__ import annotations

from healthcert.cli.messages import _


def error_text(code: str) -> str | None:
    """The meaning of ``code`` in the chosen language; None for a code not listed here."""
    texts = {
        "QR_UNREADABLE": _("no QR code can be read from the image"),
        "INPUT_UNREADABLE": _("the input cannot be read, or is not UTF-8 text"),
        "INPUT_EMPTY": _("the input is empty"),
        "INPUT_TOO_LARGE": _("the input is larger than the verifier reads"),
        "FORMAT_UNKNOWN": _("the payload is of no known format"),
        "PREFIX_INVALID": _("not a payload this verifier reads"),
        "BASE45_INVALID": _("the payload's Base45 text is broken"),
        "DECOMPRESS_FAILED": _("the compressed data is broken or too large"),
        "COSE_INVALID": _("the signed structure (COSE) is malformed"),
        "CBOR_INVALID": _("the data (CBOR) is malformed"),
        "SCHEMA_INVALID": _("the content breaks its format's schema"),
        "ALG_UNSUPPORTED": _("a signature algorithm the format does not allow"),
        "KID_UNKNOWN": _("no trusted key has this key identifier (kid)"),
        "SIGNER_NOT_DSC": _("the key is a country's root (CSCA), which signs no certificate"),
        "SIGNATURE_INVALID": _("the signature does not verify: altered, or signed by another key"),
        "EXPIRED": _("expired"),
        "NOT_YET_VALID": _("not yet valid"),
        "KEY_USAGE_MISMATCH": _("the signer may not sign this kind of certificate"),
        "DSC_EXPIRED": _("valid beyond the end of its signer certificate"),
        "DSC_NOT_YET_VALID": _("signed before its signer certificate was valid"),
        "HEADER_INVALID": _("a header of the signed payload cannot be used"),
        "ISSUER_UNKNOWN": _("the issuer is not trusted"),
        "CHAIN_INVALID": _("the signer certificate does not chain to a trusted root"),
        "REVOKED": _("revoked by its issuer"),
        "JWS_INVALID": _("not a compact JWS"),
        "NUMERIC_INVALID": _("the shc:/ digits encode no JWS"),
        "CHUNKS_INVALID": _("the QR code chunks are missing, repeated or inconsistent"),
        "JSON_INVALID": _("not valid JSON"),
        "CONTENT_UNSUPPORTED": _("genuine, but holding no vaccination, test or recovery"),
        "CLAIMS_INVALID": _("a validity field is not of the type the format defines"),
        "CLAIM_MISSING": _("a validity field the format requires is missing"),
        "TRIP_MISMATCH": _("a health code for another trip, or no health code"),
        "INTERNAL_ERROR": _("a fault of healthcert stopped this verification"),
    }
    return texts.get(code)
