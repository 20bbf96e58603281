"""QR codes: render a payload as PNG or SVG (segno), read payloads back from images (zxing-cpp)."""

from __future__ import annotations

import io
from pathlib import Path

from healthcert.limits import MAX_IMAGE_BYTES

ERROR_LEVELS = ("L", "M", "Q", "H")


class QrError(ValueError):
    """The image cannot be read, or holds no readable QR code."""


def read_image(data: bytes) -> list[str]:
    """Every QR code's text in an image, in reading order; QrError when there is none."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_IMAGE_BYTES:
        raise QrError(f"the image is larger than {MAX_IMAGE_BYTES} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            codes = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.QRCode)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise QrError(f"not a readable image: {error}") from None
    texts = [code.text for code in codes if code.valid and code.text]
    if not texts:
        raise QrError("no QR code found in the image")
    return texts


def render(payload: str, target: Path, *, error_level: str = "Q", scale: int = 4) -> None:
    """Write the payload's QR code to ``target``, PNG or SVG by its extension.

    Payloads in the QR alphanumeric alphabet (HC1) or digits (shc:/) get the compact mode
    segno picks by itself; the fixed mask skips eight trial encodings.
    """
    import segno

    if error_level not in ERROR_LEVELS:
        raise ValueError(f"error correction level must be one of {', '.join(ERROR_LEVELS)}")
    code = segno.make_qr(payload, error=error_level.lower(), boost_error=False, mask=0)
    suffix = target.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError("a QR image is written as .png or .svg")
    code.save(str(target), scale=scale, border=4, kind=suffix[1:])
