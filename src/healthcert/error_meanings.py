"""What each error code of a report means, in a sentence a person reads: the command line's
panel and the check page show it, translated, where the page or panel is not in English (the
report's own message is English and names the specifics: which kid, which time).

The sentences are the ``cli`` catalog's (``cli/locale``), marked here with ``N_`` so that the
command line's extraction finds them; the pages read that same catalog for them.
"""

from __future__ import annotations

from collections.abc import Callable

from healthcert.report import ErrorCode


def N_(message: str) -> str:
    """gettext's mark: a message to extract, translated where it is shown, not here."""
    return message


MEANINGS: dict[str, str] = {
    ErrorCode.QR_UNREADABLE: N_("no QR code can be read from the image"),
    ErrorCode.INPUT_UNREADABLE: N_("the input cannot be read, or is not UTF-8 text"),
    ErrorCode.INPUT_EMPTY: N_("the input is empty"),
    ErrorCode.INPUT_TOO_LARGE: N_("the input is larger than the verifier reads"),
    ErrorCode.FORMAT_UNKNOWN: N_("the payload is of no known format"),
    ErrorCode.PREFIX_INVALID: N_("not a payload this verifier reads"),
    ErrorCode.BASE45_INVALID: N_("the payload's Base45 text is broken"),
    ErrorCode.DECOMPRESS_FAILED: N_("the compressed data is broken or too large"),
    ErrorCode.COSE_INVALID: N_("the signed structure (COSE) is malformed"),
    ErrorCode.CBOR_INVALID: N_("the data (CBOR) is malformed"),
    ErrorCode.SCHEMA_INVALID: N_("the content breaks its format's schema"),
    ErrorCode.ALG_UNSUPPORTED: N_("a signature algorithm the format does not allow"),
    ErrorCode.KID_UNKNOWN: N_("no trusted key has this key identifier (kid)"),
    ErrorCode.SIGNER_NOT_DSC: N_("the key is a country's root (CSCA), which signs no certificate"),
    ErrorCode.SIGNATURE_INVALID: N_(
        "the signature does not verify: altered, or signed by another key"
    ),
    ErrorCode.EXPIRED: N_("expired"),
    ErrorCode.NOT_YET_VALID: N_("not yet valid"),
    ErrorCode.KEY_USAGE_MISMATCH: N_("the signer may not sign this kind of certificate"),
    ErrorCode.DSC_EXPIRED: N_("valid beyond the end of its signer certificate"),
    ErrorCode.DSC_NOT_YET_VALID: N_("signed before its signer certificate was valid"),
    ErrorCode.HEADER_INVALID: N_("a header of the signed payload cannot be used"),
    ErrorCode.ISSUER_UNKNOWN: N_("the issuer is not trusted"),
    ErrorCode.CHAIN_INVALID: N_("the signer certificate does not chain to a trusted root"),
    ErrorCode.REVOKED: N_("revoked by its issuer"),
    ErrorCode.JWS_INVALID: N_("not a compact JWS"),
    ErrorCode.NUMERIC_INVALID: N_("the shc:/ digits encode no JWS"),
    ErrorCode.CHUNKS_INVALID: N_("the QR code chunks are missing, repeated or inconsistent"),
    ErrorCode.JSON_INVALID: N_("not valid JSON"),
    ErrorCode.CONTENT_UNSUPPORTED: N_("genuine, but holding no vaccination, test or recovery"),
    ErrorCode.CLAIMS_INVALID: N_("a validity field is not of the type the format defines"),
    ErrorCode.CLAIM_MISSING: N_("a validity field the format requires is missing"),
    ErrorCode.TRIP_MISMATCH: N_("a health code for another trip, or no health code"),
    ErrorCode.SEALED: N_("sealed for a destination whose border key was not given"),
    ErrorCode.INTERNAL_ERROR: N_("a fault of healthcert stopped this verification"),
}


def meaning(code: str, translate: Callable[[str], str]) -> str | None:
    """What ``code`` means, through ``translate`` (a catalog's gettext); None for a code not
    listed here."""
    text = MEANINGS.get(code)
    return None if text is None else translate(text)
