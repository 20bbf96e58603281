"""The verification report: the one machine-readable answer of healthcert.

Every step of verification writes what it found here, as checks and stable error codes. The
CLI, the HTTP API and the pages all show this same report.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import orjson


class ErrorCode(StrEnum):
    """Every error code a report can carry. Programs match on these strings: a member is
    never renamed, and its value is its name. README.md (Error codes) says what each means."""

    QR_UNREADABLE = "QR_UNREADABLE"
    INPUT_UNREADABLE = "INPUT_UNREADABLE"
    INPUT_EMPTY = "INPUT_EMPTY"
    INPUT_TOO_LARGE = "INPUT_TOO_LARGE"
    FORMAT_UNKNOWN = "FORMAT_UNKNOWN"
    PREFIX_INVALID = "PREFIX_INVALID"
    BASE45_INVALID = "BASE45_INVALID"
    DECOMPRESS_FAILED = "DECOMPRESS_FAILED"
    COSE_INVALID = "COSE_INVALID"
    CBOR_INVALID = "CBOR_INVALID"
    SCHEMA_INVALID = "SCHEMA_INVALID"
    ALG_UNSUPPORTED = "ALG_UNSUPPORTED"
    KID_UNKNOWN = "KID_UNKNOWN"
    # The kid names a trusted CSCA that vouches for DSCs but is not trusted to sign payloads itself.
    SIGNER_NOT_DSC = "SIGNER_NOT_DSC"
    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    KEY_USAGE_MISMATCH = "KEY_USAGE_MISMATCH"
    DSC_EXPIRED = "DSC_EXPIRED"
    DSC_NOT_YET_VALID = "DSC_NOT_YET_VALID"
    HEADER_INVALID = "HEADER_INVALID"
    ISSUER_UNKNOWN = "ISSUER_UNKNOWN"
    CHAIN_INVALID = "CHAIN_INVALID"
    REVOKED = "REVOKED"
    # SMART Health Cards and ICAO VDS-NC.
    JWS_INVALID = "JWS_INVALID"  # not a compact JWS: three base64url parts
    NUMERIC_INVALID = "NUMERIC_INVALID"  # shc:/ digits that encode no JWS
    CHUNKS_INVALID = "CHUNKS_INVALID"  # shc:/i/n/ chunks missing, repeated or inconsistent
    JSON_INVALID = "JSON_INVALID"  # not JSON, or JSON that I-JSON forbids (duplicate names, ...)
    CONTENT_UNSUPPORTED = "CONTENT_UNSUPPORTED"  # authentic, but no entry the canonical model holds
    # Claims (CWT, JWT) and the seal's validity fields.
    CLAIMS_INVALID = (
        "CLAIMS_INVALID"  # present, but not of the type the format defines (a text exp)
    )
    CLAIM_MISSING = (
        "CLAIM_MISSING"  # a claim the format requires is absent (HC1 exp or iat, SHC nbf)
    )
    # Health codes: genuine, but for another transport or date than the verifier's --trip (or,
    # with --trip, no health code at all).
    TRIP_MISMATCH = "TRIP_MISMATCH"
    # A sealed certificate that could not be opened: no border key given, another country's
    # key, or a changed byte. The report then holds nothing of what the seal hides.
    SEALED = "SEALED"
    # A defect of healthcert stopped verification of this input (it is logged); never the
    # input's fault, and the other inputs of a batch are unaffected.
    INTERNAL_ERROR = "INTERNAL_ERROR"


# The codes as module names too (``report.KID_UNKNOWN``), as the pipeline's steps write them.
QR_UNREADABLE: Final = ErrorCode.QR_UNREADABLE
INPUT_UNREADABLE: Final = ErrorCode.INPUT_UNREADABLE
INPUT_EMPTY: Final = ErrorCode.INPUT_EMPTY
INPUT_TOO_LARGE: Final = ErrorCode.INPUT_TOO_LARGE
FORMAT_UNKNOWN: Final = ErrorCode.FORMAT_UNKNOWN
PREFIX_INVALID: Final = ErrorCode.PREFIX_INVALID
BASE45_INVALID: Final = ErrorCode.BASE45_INVALID
DECOMPRESS_FAILED: Final = ErrorCode.DECOMPRESS_FAILED
COSE_INVALID: Final = ErrorCode.COSE_INVALID
CBOR_INVALID: Final = ErrorCode.CBOR_INVALID
SCHEMA_INVALID: Final = ErrorCode.SCHEMA_INVALID
ALG_UNSUPPORTED: Final = ErrorCode.ALG_UNSUPPORTED
KID_UNKNOWN: Final = ErrorCode.KID_UNKNOWN
SIGNER_NOT_DSC: Final = ErrorCode.SIGNER_NOT_DSC
SIGNATURE_INVALID: Final = ErrorCode.SIGNATURE_INVALID
EXPIRED: Final = ErrorCode.EXPIRED
NOT_YET_VALID: Final = ErrorCode.NOT_YET_VALID
KEY_USAGE_MISMATCH: Final = ErrorCode.KEY_USAGE_MISMATCH
DSC_EXPIRED: Final = ErrorCode.DSC_EXPIRED
DSC_NOT_YET_VALID: Final = ErrorCode.DSC_NOT_YET_VALID
HEADER_INVALID: Final = ErrorCode.HEADER_INVALID
ISSUER_UNKNOWN: Final = ErrorCode.ISSUER_UNKNOWN
CHAIN_INVALID: Final = ErrorCode.CHAIN_INVALID
REVOKED: Final = ErrorCode.REVOKED
JWS_INVALID: Final = ErrorCode.JWS_INVALID
NUMERIC_INVALID: Final = ErrorCode.NUMERIC_INVALID
CHUNKS_INVALID: Final = ErrorCode.CHUNKS_INVALID
JSON_INVALID: Final = ErrorCode.JSON_INVALID
CONTENT_UNSUPPORTED: Final = ErrorCode.CONTENT_UNSUPPORTED
CLAIMS_INVALID: Final = ErrorCode.CLAIMS_INVALID
CLAIM_MISSING: Final = ErrorCode.CLAIM_MISSING
INTERNAL_ERROR: Final = ErrorCode.INTERNAL_ERROR
TRIP_MISMATCH: Final = ErrorCode.TRIP_MISMATCH
SEALED: Final = ErrorCode.SEALED

# The checks every report carries, in the order a person reads them.
CHECK_NAMES: tuple[str, ...] = (
    "decode",
    "schema",
    "signature",
    "validity_period",
    "key_usage",
)

# A certificate is never valid unless these were computed and passed.
MANDATORY_CHECKS: tuple[str, ...] = ("decode", "signature", "validity_period")

# Checks of the entry decision, not of the certificate: present only when a destination was
# asked for, and never part of ``valid`` (a genuine certificate stays valid where it is refused).
DECISION_CHECKS: frozenset[str] = frozenset({"rules"})


def _unchecked() -> dict[str, bool | None]:
    return dict.fromkeys(CHECK_NAMES)


def _unknown_issuer() -> dict[str, Any]:
    return {"country": None, "kid": None}


@dataclass(slots=True)
class ReportError:
    code: ErrorCode
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(slots=True)
class Report:
    """What verification found about one input."""

    input: str
    format: str | None = None
    checks: dict[str, bool | None] = field(default_factory=_unchecked)
    errors: list[ReportError] = field(default_factory=list)
    issuer: dict[str, Any] = field(default_factory=_unknown_issuer)
    payload: str | None = None
    certificate: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def fail(self, code: ErrorCode, message: str, check: str | None = None) -> None:
        """Record an error; when ``check`` is named, that check failed."""
        self.errors.append(ReportError(code, message))
        if check is not None:
            self.checks[check] = False

    def passed(self, check: str) -> None:
        """Record that ``check`` ran and passed, unless it already failed."""
        if self.checks.get(check) is not False:
            self.checks[check] = True

    def restart(self) -> None:
        """Forget every finding, keeping the input and payload, to verify from the start."""
        self.format, self.certificate = None, None
        self.checks, self.errors, self.issuer = _unchecked(), [], _unknown_issuer()
        self.extra = {}

    def has_error(self, code: str) -> bool:
        return any(error.code == code for error in self.errors)

    @property
    def error_codes(self) -> list[ErrorCode]:
        return [error.code for error in self.errors]

    @property
    def valid(self) -> bool:
        if self.errors:
            return False
        checks = self.checks
        for name in MANDATORY_CHECKS:
            if checks.get(name) is not True:
                return False
        if False not in checks.values():  # the common answer, without a loop in Python
            return True
        return all(
            result is not False for name, result in checks.items() if name not in DECISION_CHECKS
        )

    def json_line(self) -> str:
        """The report as one line of strict JSON (UTF-8 text, no NaN, no trailing newline)."""
        return self.json_bytes()[:-1].decode("utf-8")

    def json_bytes(self) -> bytes:
        """``json_line`` encoded as UTF-8 with its newline, as a JSON Lines stream holds it."""
        # orjson: 5 us against json's 30 us for a report, on a path that runs per payload. The
        # document shares the report's dicts: it is serialised at once and never kept.
        document = self._document(self.checks, self.issuer)
        try:
            return orjson.dumps(document, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:
            return (_json_text(document) + "\n").encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        """The report as the JSON document ``healthcert verify --json`` prints for it: exactly
        what ``json.loads`` makes of ``json_line()``, same keys in the same order, and a copy
        that shares nothing with the report."""
        document = self._document(self.checks, self.issuer)
        try:
            # What orjson writes, it reads back unchanged (it writes no integer beyond 64 bits).
            copy: dict[str, Any] = orjson.loads(orjson.dumps(document))
        except TypeError:
            copy = json.loads(_json_text(document))
        return copy

    def _document(self, checks: dict[str, Any], issuer: dict[str, Any]) -> dict[str, Any]:
        document: dict[str, Any] = {
            "input": self.input,
            "format": self.format,
            "valid": self.valid,
            "checks": checks,
            "errors": [error.to_dict() for error in self.errors],
            "issuer": issuer,
            "payload": self.payload,
            "certificate": self.certificate,
        }
        if self.extra:
            document.update(self.extra)
        return document


def _json_text(document: dict[str, Any]) -> str:
    """The document as strict JSON through the json module, for the rare report orjson
    refuses: lone surrogates (what Python makes of a command-line argument that is not UTF-8,
    or of a JSON "\\ud800" escape) and integers beyond 64 bits (a DCC may hold any CBOR
    integer). Surrogates are shown as U+FFFD, so that no input costs the operator an answer."""
    return json.dumps(
        _json_safe(document),
        ensure_ascii=False,
        allow_nan=False,
        separators=(",", ":"),
        default=str,
    )


def _json_safe(value: Any) -> Any:
    """``value`` with surrogates replaced and non-finite floats as null, as orjson writes them."""
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value.__class__ is int and _too_long(value):
        return f"an integer of {value.bit_length()} bits"
    if isinstance(value, dict):
        return {_json_safe(_key_text(key)): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _too_long(number: int) -> bool:
    """Whether Python refuses to write the integer (beyond sys.get_int_max_str_digits, 4300
    digits: a CBOR bignum of a few compressible bytes in a DCC)."""
    try:
        str(number)
    except ValueError:
        return True
    return False


def _key_text(key: Any) -> str:
    return (
        f"an integer of {key.bit_length()} bits"
        if key.__class__ is int and _too_long(key)
        else str(key)
    )
