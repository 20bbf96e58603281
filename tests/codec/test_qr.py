"""QR images as each format prescribes them, read back by a real decoder."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from healthcert.codec.qr import default_error_level, image_bytes, read_image

CARD = "shc:/" + "5676290952432060346029243740446031222959532654603460292540772804336028702864" * 12
HC1 = "HC1:NCFOXN%TSMAHN-H%O8W2NWGBQ/QAU3:D4 W2-36%E7PIMP%CFBL-TM4:S:-H*XD/GPWBI$C9UDBQ"
SEAL = '{"data":{"hdr":{"t":"icao.vacc","v":1,"is":"CHN"},"msg":{}},"sig":{}}'


@pytest.mark.parametrize("payload", [CARD, HC1, SEAL])
def test_every_format_reads_back(payload: str) -> None:
    assert read_image(image_bytes(payload, "png")) == [payload]


def test_a_card_is_digits_in_numeric_mode_after_its_prefix() -> None:
    byte_mode = segno.make_qr(CARD, error="l", mode="byte")
    width = Image.open(io.BytesIO(image_bytes(CARD, "png", scale=1))).size[0] - 8  # border 4
    assert width < byte_mode.symbol_size(scale=1, border=0)[0]


def test_default_error_levels_follow_each_format() -> None:
    assert [default_error_level(p) for p in (HC1, CARD, SEAL)] == ["Q", "L", "M"]


def test_svg_and_a_bad_kind() -> None:
    assert image_bytes(HC1, "svg").lstrip().startswith(b"<?xml")
    with pytest.raises(ValueError, match=r"\.png or \.svg"):
        image_bytes(HC1, "gif")
    with pytest.raises(ValueError, match="error correction"):
        image_bytes(HC1, "png", error_level="X")
