"""ICAO VDS-NC message zones (``icao.vacc`` and ``icao.test``, version 1) <-> canonical model.

Field names are those of the ICAO technical report "Visible Digital Seals for Non-Constrained
Environments" and its WHO (proof of vaccination) and CAPSCA (proof of testing) data sets:

- vaccination: ``uvci``; ``pid`` {``n`` name, ``dob``, ``sex``, ``i`` travel document, ``ai``};
  ``ve`` [{``des`` vaccine type (ICD-11), ``nam`` product name, ``dis`` disease (ICD-11),
  ``vd`` [{``dvc`` date, ``seq`` dose, ``ctr`` country, ``adm`` centre or authority, ``lot``,
  ``dvn`` next dose}]}];
- test: ``utci``; ``pid`` {``n``, ``dob``, ``dt`` document type, ``dn`` document number};
  ``sp`` {``spn`` provider, ``ctr`` country, ``cd`` contact {``p``, ``e``, ``a``}};
  ``dat`` {``sc`` sample collected, ``ri`` report issued}; ``tr`` {``tc`` type, ``r`` result,
  ``m`` sampling method}; ``opt``.

Choices where the two models differ, each made the same way in both directions:

- ``n`` is written "family, given" (Doc 9303 puts the primary identifier first); a name without
  a comma is read whole as the family name.
- The canonical entry holds one dose: of several ``vd`` the latest is read, and as VDS-NC has
  no series size, ``total_doses`` is the dose number. ``adm`` carries the canonical ``issuer``.
- Where a seal names no issuer (a test seal, or a dose without ``adm``), the signer
  certificate's organisation stands in.
  ``tc`` distinguishes molecular, antigen and antibody tests only (an antibody test reads as
  IgG). Countries are three letters in VDS-NC and two in the canonical model.
- Fields the canonical model does not hold (travel document, lot, contact) are not written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from healthcert.errors import RequestError
from healthcert.formats import terminology
from healthcert.formats.base import shown
from healthcert.model import codes
from healthcert.model.certificate import Certificate, Holder, Recovery, TestResult, Vaccination
from healthcert.model.names import TransliterationError, transliterate

TYPE_VACCINATION = "icao.vacc"
TYPE_TEST = "icao.test"
VERSION = 1

_TEST_KINDS = {
    "molecular(pcr)": codes.TEST_TYPE_NAAT,
    "molecular(other)": codes.TEST_TYPE_NAAT,
    "antigen": codes.TEST_TYPE_RAPID_ANTIGEN,
    "antibody": codes.TEST_TYPE_ANTIBODY_IGG,
}
_TEST_KIND_NAMES = {
    codes.TEST_TYPE_NAAT: "molecular(PCR)",
    codes.TEST_TYPE_RAPID_ANTIGEN: "antigen",
    codes.TEST_TYPE_ANTIBODY_IGG: "antibody",
    codes.TEST_TYPE_ANTIBODY_IGM: "antibody",
}
_RESULTS = {
    "negative": codes.RESULT_NOT_DETECTED,
    "normal": codes.RESULT_NOT_DETECTED,
    "positive": codes.RESULT_DETECTED,
    "abnormal": codes.RESULT_DETECTED,
}
_RESULT_NAMES = {codes.RESULT_NOT_DETECTED: "negative", codes.RESULT_DETECTED: "positive"}


class MessageError(ValueError):
    """The message zone does not map to a canonical certificate; the text says which field."""


def certificate_from_message(seal_type: str, msg: Any, signer_organisation: str) -> Certificate:
    """The canonical certificate of a message zone; MessageError names what is wrong."""
    if not isinstance(msg, Mapping):
        raise MessageError("data.msg is not an object")
    try:
        holder = _holder(_object(msg, "pid"))
        if seal_type == TYPE_VACCINATION:
            return Certificate(holder=holder, entry=_vaccination(msg, signer_organisation))
        return Certificate(holder=holder, entry=_test(msg, signer_organisation))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MessageError(f"{where}: {first['msg']}" if where else str(first["msg"])) from None
    except (TypeError, ValueError) as error:
        raise MessageError(str(error)) from None


def report_issued(seal_type: str, msg: Any) -> dt.datetime | None:
    """When a test report was issued (``dat.ri``): a seal is not valid before it.

    None when the seal has no ``dat.ri``; MessageError when it has one that is no date and
    time, which must not pass for a seal without the bound.
    """
    if seal_type != TYPE_TEST or not isinstance(msg, Mapping):
        return None
    dates = msg.get("dat")
    if not isinstance(dates, Mapping) or "ri" not in dates:
        return None
    return _datetime(dates["ri"], "dat.ri")


def _object(container: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = container.get(key)
    if not isinstance(value, Mapping):
        raise MessageError(f"{key} is missing or not an object")
    return value


def _text(container: Mapping[str, Any], key: str, *, required: bool = True) -> str | None:
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MessageError(f"{key} is missing or not a text")
    return value.strip()


def _holder(pid: Mapping[str, Any]) -> Holder:
    family, _, given = str(_text(pid, "n")).partition(",")
    return Holder(
        family_name=family.strip() or None,
        given_name=given.strip() or None,
        date_of_birth=_text(pid, "dob", required=False) or "",
    )


def _vaccination(msg: Mapping[str, Any], signer_organisation: str) -> Vaccination:
    doses = [
        (_date(_text(dose, "dvc")), _dose_number(dose.get("seq")), event, dose)
        for event in _list(msg, "ve")
        for dose in _list(event, "vd")
    ]
    if not doses:
        raise MessageError("ve lists no vaccination (vd)")
    date, seq, event, dose = max(doses, key=lambda item: (item[0], item[1]))
    des, nam = str(_text(event, "des")), str(_text(event, "nam"))
    product = terminology.product_by_name(nam) or nam
    known = terminology.product_codes(product)
    vaccine = terminology.vaccine_from_icd11(des)
    return Vaccination(
        disease=_disease(_text(event, "dis", required=False), covid_vaccine=vaccine is not None),
        vaccine=vaccine or des,
        product=product,
        manufacturer=known.manufacturer if known else terminology.UNKNOWN,
        dose_number=seq,
        total_doses=seq,
        date=date,
        country=_country(_text(dose, "ctr")),
        issuer=_text(dose, "adm", required=False) or signer_organisation,
        certificate_id=_text(msg, "uvci"),
    )


def _disease(dis: str | None, *, covid_vaccine: bool) -> str:
    if dis is not None:
        return terminology.disease_from_icd11(dis) or dis
    return codes.COVID_19 if covid_vaccine else terminology.UNKNOWN


def _test(msg: Mapping[str, Any], signer_organisation: str) -> TestResult:
    provider, dates, result = _object(msg, "sp"), _object(msg, "dat"), _object(msg, "tr")
    kind = str(_text(result, "tc"))
    outcome = str(_text(result, "r"))
    return TestResult(
        test_type=_TEST_KINDS.get(kind.lower(), kind),
        sample_time=_datetime(dates.get("sc"), "dat.sc"),
        result=_RESULTS.get(outcome.lower(), outcome),
        centre=_text(provider, "spn", required=False),
        country=_country(_text(provider, "ctr")),
        issuer=signer_organisation,
        certificate_id=_text(msg, "utci"),
    )


def _list(container: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = container.get(key)
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise MessageError(f"{key} is missing or not a list of objects")
    return value


def _dose_number(value: Any) -> int:
    # The data set says STRING, issuers write numbers too: accept both, as an integer. Only
    # whole numbers and ASCII digits: int() would cut 2.7 to 2 and read Arabic-Indic digits.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is int:
        return value
    raise MessageError(f"vd.seq holds {shown(value)}, not a dose number")


def _country(code: str | None) -> str:
    country = terminology.alpha2(str(code))
    if country is None:
        raise MessageError(f"ctr {code!r} is not a Doc 9303 country code")
    return country


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise MessageError(f"vd.dvc {value!r} is not a date YYYY-MM-DD") from None


def _datetime(value: Any, field: str) -> dt.datetime:
    # Text only: str() of the number 20240531 is a date to fromisoformat.
    if not isinstance(value, str):
        raise MessageError(f"{field} holds {shown(value)}, not an ISO 8601 date and time")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise MessageError(f"{field} {value[:40]!r} is not an ISO 8601 date and time") from None
    # The data sets do not insist on a zone; a time without one is read as UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        moment.astimezone(dt.UTC)  # reports write UTC: the time must have a UTC form
    except OverflowError:
        raise MessageError(f"{field} {value[:40]!r} is outside the years 1 to 9999") from None
    return moment


# --- writing --------------------------------------------------------------------------------


def message_from_certificate(
    cert: Certificate, issued_at: dt.datetime
) -> tuple[str, dict[str, Any]]:
    """The seal type and message zone of a canonical vaccination or test certificate."""
    entry = cert.entry
    if isinstance(entry, Recovery):
        raise RequestError("VDS-NC defines vaccination and test seals, not recovery")
    pid = _pid(cert.holder)
    if isinstance(entry, Vaccination):
        return TYPE_VACCINATION, _vaccination_message(entry, pid)
    return TYPE_TEST, _test_message(entry, pid, issued_at)


def _written_or_latin(written: str | None, latin: str | None, field: str) -> str:
    """The name as written when it is in Latin script, else its Doc 9303 form: a seal's name
    is read by machines and border staff that expect Latin letters."""
    if written:
        try:
            transliterate(written, field)
            return written
        except TransliterationError:
            pass
    return (latin or "").replace("<", " ")


def _pid(holder: Holder) -> dict[str, str]:
    family = _written_or_latin(holder.family_name, holder.family_name_latin, "family_name")
    given = _written_or_latin(holder.given_name, holder.given_name_latin, "given_name")
    pid = {"n": f"{family}, {given}" if given else family}
    if holder.date_of_birth:
        pid["dob"] = holder.date_of_birth
    return pid


def _vaccination_message(entry: Vaccination, pid: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "des": terminology.icd11_for_vaccine(entry.vaccine) or entry.vaccine,
        "nam": terminology.product_name(entry.product),
        "dis": terminology.icd11_for_disease(entry.disease) or entry.disease,
        "vd": [
            {
                "dvc": entry.date.isoformat(),
                "seq": entry.dose_number,
                "ctr": _alpha3(entry.country),
                "adm": entry.issuer,
            }
        ],
    }
    return {"uvci": entry.certificate_id, "pid": pid, "ve": [event]}


def _test_message(entry: TestResult, pid: dict[str, str], issued_at: dt.datetime) -> dict[str, Any]:
    provider = {"ctr": _alpha3(entry.country)}
    if entry.centre:
        provider["spn"] = entry.centre
    return {
        "utci": entry.certificate_id,
        "pid": pid,
        "sp": provider,
        "dat": {"sc": entry.sample_time.isoformat(), "ri": issued_at.isoformat()},
        "tr": {
            "tc": _TEST_KIND_NAMES.get(entry.test_type, entry.test_type),
            "r": _RESULT_NAMES.get(entry.result, entry.result),
        },
    }


def _alpha3(country: str | None) -> str:
    code = None if country is None else terminology.alpha3(country)
    if code is None:
        raise RequestError(f"no Doc 9303 three-letter code for the country {country!r}")
    return code
