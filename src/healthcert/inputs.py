"""What a person hands the verifier: a literal payload, an image of a QR code, or a text file.

Each input becomes one or more ``Item``s: a label (what the person gave) and either the payload
text or the error that kept it from being read. Nothing is dropped: an unreadable input still
yields an item, so it still gets its report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from healthcert import report as codes
from healthcert.codec.qr import NotAnImage, QrError, read_image
from healthcert.codec.shc_numeric import has_prefix
from healthcert.errors import PayloadError
from healthcert.limits import MAX_IMAGE_BYTES, MAX_INPUT_BYTES

HEALTH_CARD_SUFFIX = ".smart-health-card"
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"RIFF", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True, slots=True)
class Item:
    label: str
    payload: str | None = None
    error_code: codes.ErrorCode | None = None
    error_message: str | None = None


def from_arguments(arguments: Iterable[str]) -> list[Item]:
    """The items of several arguments, in order; the chunks of a SMART Health Card split over
    several QR codes, given together, become one item."""
    items = [item for argument in arguments for item in from_argument(argument)]
    return _join_card_chunks(items)


def _join_card_chunks(items: list[Item]) -> list[Item]:
    # The card reader (and the model it brings) loads only when two QR texts could be chunks.
    if sum(item.payload is not None and has_prefix(item.payload.strip()) for item in items) < 2:
        return items
    from healthcert.formats.shc.card import group_chunks, is_chunk

    chunks = [item for item in items if item.payload is not None and is_chunk(item.payload)]
    if len(chunks) < 2:
        return items
    joined = group_chunks([chunk.payload for chunk in chunks if chunk.payload is not None])[0]
    label = " + ".join(chunk.label for chunk in chunks)
    first = chunks[0]
    return [
        Item(label, payload=joined) if item is first else item
        for item in items
        if item is first or item not in chunks
    ]


def from_argument(argument: str) -> list[Item]:
    """An argument is a file when such a file exists, and a literal payload otherwise."""
    path = Path(argument)
    try:
        is_file = len(argument) < 4096 and path.is_file()
    except OSError:
        is_file = False
    if not is_file:
        return [Item(label=argument, payload=argument)]
    return from_file(path)


def from_file(path: Path) -> list[Item]:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return [_too_large(label, MAX_IMAGE_BYTES)]
        data = path.read_bytes()
    except OSError as error:
        return [Item(label, error_code=codes.INPUT_UNREADABLE, error_message=str(error))]
    if path.suffix.lower() in IMAGE_SUFFIXES or data.startswith(_IMAGE_MAGIC):
        return from_image(label, data)
    if path.suffix.lower() == HEALTH_CARD_SUFFIX:
        return from_health_card_file(label, data)
    return [from_text_bytes(label, data)]


def from_health_card_file(label: str, data: bytes) -> list[Item]:
    """One item per card of a ``.smart-health-card`` file."""
    # why: the card reader loads only when a payload is a SMART Health Card (verify start-up)
    from healthcert.formats.shc.card import cards_from_file

    try:
        cards = cards_from_file(data)
    except PayloadError as error:
        return [Item(label, error_code=error.code, error_message=error.message)]
    if not cards:
        return [Item(label, error_code=codes.INPUT_EMPTY, error_message="the file holds no card")]
    return [Item(f"{label}#{index}", payload=card) for index, card in enumerate(cards, 1)]


def from_image(label: str, data: bytes) -> list[Item]:
    try:
        texts = read_image(data)
    except NotAnImage as error:
        message = f"{label} is not an image healthcert can read: {error}"
        return [Item(label, error_code=codes.QR_UNREADABLE, error_message=message)]
    except QrError as error:
        return [Item(label, error_code=codes.QR_UNREADABLE, error_message=str(error))]
    if len(texts) == 1:
        return [Item(label, payload=texts[0])]
    return [Item(f"{label}#{index}", payload=text) for index, text in enumerate(texts, 1)]


def from_text_bytes(label: str, data: bytes) -> Item:
    if len(data) > MAX_INPUT_BYTES * 4:
        return _too_large(label, MAX_INPUT_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Item(label, error_code=codes.INPUT_UNREADABLE, error_message=f"not UTF-8: {error}")
    return Item(label, payload=text.strip())


def _too_large(label: str, limit: int) -> Item:
    return Item(label, error_code=codes.INPUT_TOO_LARGE, error_message=f"larger than {limit} bytes")


def from_line(raw: bytes) -> Item:
    """The item of one line of a batch (with or without its line break), labelled by its own
    text; a blank or undecodable line still gets its item, so the answers stay line for line
    with the batch."""
    if len(raw) > MAX_INPUT_BYTES + 2:
        return _too_large(raw[:64].decode("utf-8", "replace") + "...", MAX_INPUT_BYTES)
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as error:
        label = raw.decode("utf-8", "replace").strip()
        return Item(label, error_code=codes.INPUT_UNREADABLE, error_message=f"not UTF-8: {error}")
    return Item(text, payload=text)
