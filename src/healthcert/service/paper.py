"""The paper certificate: a one-page A4 PDF, one layout for every kind of certificate (the
holder with their document number, the entry, a QR code large enough to scan from print, and
who issued it, when, and until when), labelled in English and in the issuing country's language.

The font is a subset of WenQuanYi Micro Hei shipped in ``fonts/`` (Apache-2.0): it prints
Latin, Latin-1 and GB 2312 Chinese with no system font installed. A name with characters
outside it is printed in its ICAO Latin form instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from fontTools.ttLib import TTFont  # a tenth of a second: loaded with the first PDF
from fpdf import FPDF  # a third of a second: loaded with the first PDF, not at start-up

from healthcert.codec.qr import image_bytes
from healthcert.model.display import FIELD_SETS, display_name
from healthcert.model.written_name import written_name
from healthcert.service.paper_labels import label, language_of, local

FONT = Path(__file__).with_name("fonts") / "wqy-microhei-gb2312.ttf"
QrSize = Literal["small", "medium", "large"]
QR_SIZES: Final[tuple[QrSize, ...]] = ("small", "medium", "large")
# The printed side: modules of an HC1 code near 0.7, 0.9 and 1.2 mm. Medium is read by phone
# cameras at arm's length; large by older scanners at a counter.
QR_SIDE_MM: Final[dict[QrSize, int]] = {"small": 60, "medium": 80, "large": 105}
# Pixels per module of the QR images: a phone screen (small, medium) or a print (large).
QR_SCALE: Final[dict[QrSize, int]] = {"small": 3, "medium": 4, "large": 8}
# Shorter than the LOINC display names, which run to a line each on paper.
_TEST_TYPES = {
    "LP6464-4": "NAAT (PCR)",
    "LP217198-3": "Rapid antigen",
    "94563-4": "Antibody IgG",
    "94564-2": "Antibody IgM",
    "94562-6": "Antibody IgA",
}
# Each kind's rows, in the order a reader checks them; a row in _OPTIONAL is left out when
# the certificate has no value for it (a NAAT names its test, a rapid test its device).
_ENTRY_ROWS = {
    "vaccination": ("disease", "vaccine", "product", "manufacturer", "doses", "date", "country"),
    "test": (
        "disease",
        "test_type",
        "test_name",
        "test_device",
        "sample_time",
        "result",
        "centre",
        "country",
    ),
    "recovery": ("disease", "first_positive", "valid_from", "valid_until", "country"),
}
_OPTIONAL = frozenset({"test_name", "test_device", "centre"})
LABEL_MM = 80  # the labels' column; the values take the rest of the line
_VALUE_LINE_MM = 7
# A label's lines are closer than a value's; set down so a one-line label sits level with it.
_LABEL_LINE_MM = 4.5
_LABEL_OFFSET_MM = (_VALUE_LINE_MM - _LABEL_LINE_MM) / 2


@dataclass(frozen=True)
class PaperFacts:
    """What the PDF prints beside the signed certificate: from the issuance record."""

    uvci: str
    country: str
    issuer: str
    document_number: str
    issued: datetime
    expires: datetime


def qr_image(payload: str, kind: str, *, scale: int = QR_SCALE["medium"]) -> bytes:
    """The payload's QR code as PNG or SVG; error level Q survives a scuffed print."""
    return image_bytes(payload, kind, error_level="Q", scale=scale)


@cache
def _font_characters() -> frozenset[int]:
    return frozenset(TTFont(str(FONT)).getBestCmap())


def printable(text: str) -> bool:
    """Every character of ``text`` has a glyph in the shipped font."""
    characters = _font_characters()
    return all(ord(character) in characters for character in text)


def render_pdf(
    certificate: dict[str, Any], payload: str, facts: PaperFacts, size: QrSize = "medium"
) -> bytes:
    """The PDF of a canonical certificate, its QR code ``size``."""
    language = language_of(facts.country)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cert", fname=str(FONT))
    pdf.add_page()
    entry = certificate["entry"]
    _title(pdf, entry["kind"], language)
    _holder(pdf, certificate["holder"], facts.document_number, language)
    for key in _ENTRY_ROWS[entry["kind"]]:
        if key in _OPTIONAL and entry.get(key) in (None, ""):
            continue
        _row(pdf, label(key, language), _value(entry, key, language))
    _qr(pdf, payload, QR_SIDE_MM[size])
    _footer(pdf, facts, language)
    return bytes(pdf.output())


def _title(pdf: FPDF, kind: str, language: str | None) -> None:
    pdf.set_font("cert", size=18)
    pdf.cell(0, 10, label(f"title.{kind}", None), new_x="LMARGIN", new_y="NEXT")
    second = local(f"title.{kind}", language)
    if second:
        pdf.cell(0, 10, second, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _holder(pdf: FPDF, holder: dict[str, Any], document: str, language: str | None) -> None:
    latin = written_name(holder.get("family_name_latin"), holder.get("given_name_latin"))
    written = written_name(holder.get("family_name"), holder.get("given_name"))
    if written and printable(written) and written != latin:
        _row(pdf, label("name", language), written)
    _row(pdf, label("name_latin", language), latin)
    _row(pdf, label("date_of_birth", language), holder.get("date_of_birth") or "-")
    _row(pdf, label("document_number", language), document)
    pdf.ln(3)


def _value(entry: dict[str, Any], key: str, language: str | None = None) -> str:
    if key == "doses":
        return f"{entry['dose_number']} / {entry['total_doses']}"
    value = entry.get(key)
    if key == "country" and value is None:  # read from a format that names none
        return "unknown"
    if value in (None, ""):
        return "-"
    if key == "sample_time":
        return moment(datetime.fromisoformat(str(value)))
    if key in FIELD_SETS:
        return _named(key, str(value), language)
    return str(value)


def moment(when: datetime) -> str:
    """``2026-11-20 08:30 UTC+08:00``: a time as the person who was there read it."""
    offset = when.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{when:%Y-%m-%d %H:%M} {zone}"


def _named(key: str, code: str, language: str | None) -> str:
    """``English / local (code)``, as the labels are; the code alone when no set knows it."""
    english = _TEST_TYPES.get(code) if key == "test_type" else None
    english = english or display_name(key, code)
    second = display_name(key, code, language) if language else english
    names = (
        english if second in (english, code) or not printable(second) else f"{english} / {second}"
    )
    return code if names == code else f"{names} ({code})"


def _row(pdf: FPDF, name: str, value: str) -> None:
    """The label in the left column, the value right of it, each wrapped in its own column
    (a German or French label runs past the column's width); the next row starts below both."""
    top = pdf.get_y()
    pdf.set_font("cert", size=9)
    pdf.set_xy(pdf.l_margin, top + _LABEL_OFFSET_MM)
    pdf.multi_cell(LABEL_MM - 2, _LABEL_LINE_MM, name, align="L", new_x="LMARGIN", new_y="NEXT")
    below_label = pdf.get_y() + _LABEL_OFFSET_MM
    pdf.set_font("cert", size=11)
    shown = value if printable(value) else value.encode("ascii", "replace").decode("ascii")
    pdf.set_xy(pdf.l_margin + LABEL_MM, top)
    pdf.multi_cell(0, _VALUE_LINE_MM, shown, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), below_label))


def _qr(pdf: FPDF, payload: str, side: int) -> None:
    image = qr_image(payload, "png", scale=QR_SCALE["large"])
    x = (pdf.w - side) / 2
    pdf.image(io.BytesIO(image), x=x, y=pdf.get_y() + 4, w=side, h=side)
    pdf.set_y(pdf.get_y() + side + 8)


def _footer(pdf: FPDF, facts: PaperFacts, language: str | None) -> None:
    _row(pdf, label("issuer", language), facts.issuer)
    _row(pdf, label("uvci", language), facts.uvci)
    _row(pdf, label("issued", language), moment(facts.issued))
    _row(pdf, label("expires", language), moment(facts.expires))
    pdf.set_font("cert", size=9)
    pdf.multi_cell(0, 6, label("scan", language), new_x="LMARGIN", new_y="NEXT")
