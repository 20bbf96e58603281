"""QR codes: render a payload as PNG or SVG (segno), read payloads back from images (zxing-cpp)."""

from __future__ import annotations

import io
from pathlib import Path

from healthcert.formats.registry import FORMATS
from healthcert.limits import MAX_IMAGE_BYTES

ERROR_LEVELS = ("L", "M", "Q", "H")
IMAGE_KINDS = ("png", "svg")


class QrError(ValueError):
    """The image cannot be read, or holds no readable QR code."""


class NotAnImage(QrError):
    """The data is no image that can be read at all; the message says why."""


def read_image(data: bytes) -> list[str]:
    """Every QR code's text in an image, in reading order; QrError when there is none."""
    # Loaded with the first image: a verifier given payload text never needs them.
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise QrError(f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            codes = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.QRCode)  # type: ignore[arg-type]
    except UnidentifiedImageError:
        # Pillow's own message names its in-memory buffer object, which tells a person nothing.
        raise NotAnImage("unknown image format, or not an image") from None
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise NotAnImage(str(error)) from None
    texts = [code.text for code in codes if code.valid and code.text]
    if not texts:
        raise QrError("no QR code found in the image")
    return texts


def _segments(payload: str) -> str | list[tuple[str, int]]:
    """A SMART Health Card is "shc:/" in byte mode and then digits in numeric mode, as its
    framework prescribes; every other payload is one segment in the mode segno picks
    (alphanumeric for HC1, byte for a VDS-NC seal's JSON)."""
    from segno import consts  # loaded with the first image, as below

    prefix, digits = payload[:5], payload[5:]
    if prefix == "shc:/" and digits.isascii() and digits.isdigit():
        return [(prefix, consts.MODE_BYTE), (digits, consts.MODE_NUMERIC)]
    return payload


def default_error_level(payload: str) -> str:
    """The error correction each format's QR codes use unless asked: the EU recommends Q for
    HC1; the SMART Health Cards framework allows L for its long numeric payloads; a VDS-NC
    seal, long JSON in byte mode, takes M (see ``formats.registry``)."""
    for wire_format in FORMATS:
        if payload.startswith(wire_format.prefix):
            return wire_format.qr_error_level
    return "Q"


def image_bytes(
    payload: str, kind: str, *, error_level: str | None = None, scale: int = 4
) -> bytes:
    """The payload's QR code as PNG or SVG bytes, in the modes its format prescribes.

    The fixed mask skips eight trial encodings.
    """
    import segno  # loaded with the first image: reading and issuing text never need it

    level = error_level or default_error_level(payload)
    if level not in ERROR_LEVELS:
        raise ValueError(f"error correction level must be one of {', '.join(ERROR_LEVELS)}")
    if kind not in IMAGE_KINDS:
        raise ValueError("a QR image is written as .png or .svg")
    segments = _segments(payload)  # segno takes a list of segments, though its types say not
    code = segno.make_qr(segments, error=level.lower(), boost_error=False, mask=0)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    code.save(buffer, scale=scale, border=4, kind=kind)
    return buffer.getvalue()


def render(payload: str, target: Path, *, error_level: str | None = None, scale: int = 4) -> None:
    """Write the payload's QR code to ``target``, PNG or SVG by its extension."""
    data = image_bytes(
        payload, target.suffix.lower().lstrip("."), error_level=error_level, scale=scale
    )
    target.write_bytes(data)
