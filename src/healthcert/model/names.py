"""Names in ICAO Doc 9303 Part 3 form: the machine-readable transliteration a DCC carries.

A standardised name holds only A-Z and the filler ``<``. Latin-script names are converted
here; names in other scripts need a transliteration chosen by a person (pinyin, the national
romanisation of Cyrillic or Greek, ...), so they are refused with a message saying what to give.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from healthcert.model.fields import NAME_MAX

MAX_LENGTH = NAME_MAX
STANDARD_NAME = re.compile(r"[A-Z<]*")  # use fullmatch: "$" would let a final "\n" in

# Doc 9303 Part 3, section 6, transliteration of multinational Latin-based characters: the
# letters that do not simply lose their diacritic. Where the table lists choices (Ä: AE or A,
# Ü: UE, UXX or U) we take the first, which is what passports of the letter's home country use.
# Keys are upper case because the name is upper-cased first (which also turns ß into SS).
_SPECIAL_LETTERS = {
    "Ä": "AE",
    "Å": "AA",
    "Æ": "AE",
    "Ð": "D",
    "Đ": "D",
    "Ħ": "H",
    "Ĳ": "IJ",
    "Ŀ": "L",
    "Ł": "L",
    "Ŋ": "N",
    "Ö": "OE",
    "Ø": "OE",
    "Œ": "OE",
    "Þ": "TH",
    "Ŧ": "T",
    "Ü": "UE",
    "ẞ": "SS",
}
# Separators between name parts become the filler; these marks are simply left out.
_SEPARATORS = frozenset(" -\u00a0\u2010\u2011\u2012\u2013\u2014\t")
_DROPPED = frozenset("'’‘ʼ`´.,")

# What to suggest when a name is in a script we do not transliterate ourselves.
_SCRIPT_HINTS = (
    ("CJK", "the pinyin in capitals, such as ZHANG for 张"),
    ("HANGUL", "the romanisation in capitals, such as KIM for 김"),
    ("HIRAGANA", "the romanisation in capitals, such as SATO for さとう"),
    ("KATAKANA", "the romanisation in capitals, such as SATO for サトウ"),
    ("CYRILLIC", "the ICAO transliteration in capitals, such as IVANOV for Иванов"),
    ("GREEK", "the transliteration in capitals, such as GEORGIOS for Γεώργιος"),
    ("ARABIC", "the transliteration in capitals, such as MOHAMED for محمد"),
    ("HEBREW", "the transliteration in capitals, such as COHEN for כהן"),
)
_GENERIC_HINT = "its ICAO Doc 9303 transliteration in capitals A-Z, with '<' between parts"


class TransliterationError(ValueError):
    """A name cannot be put in Doc 9303 form; the message names the field and the remedy."""


def transliterate(name: str, field: str) -> str:
    """The Doc 9303 form of a Latin-script ``name``; ``field`` names it in error messages."""
    # NFC first, so that a decomposed Ö still meets its table entry rather than losing its dots.
    composed = unicodedata.normalize("NFC", name).upper()
    letters = composed.translate(_latin_table())
    if not STANDARD_NAME.fullmatch(letters):  # a character outside the table: look closer
        letters = "".join(_letter(char, name, field) for char in composed)
    joined = re.sub("<+", "<", letters).strip("<")
    return joined[:MAX_LENGTH]


@cache
def _latin_table() -> dict[int, str]:
    """What ``_letter`` gives for every character up to Latin Extended-B, as one translate
    table: verifying a card derives names on every payload, and this is ten times faster.
    A character ``_letter`` refuses maps to NUL, so that the result fails the check above and
    the careful path raises the error."""
    table: dict[int, str] = {}
    for code in range(0x250):
        try:
            table[code] = _letter(chr(code), "", "")
        except TransliterationError:
            table[code] = "\0"
    return table


def normalise_standard(value: str, field: str) -> str:
    """A caller-given standardised name, upper-cased and with separators as fillers."""
    if len(value) <= MAX_LENGTH and STANDARD_NAME.fullmatch(value):
        return value  # the usual case, on the verification path: already standard
    text = value.strip().upper()
    text = "".join("<" if char in _SEPARATORS else char for char in text)
    if not STANDARD_NAME.fullmatch(text):
        raise TransliterationError(
            f"{field} {value!r} may hold only the letters A-Z and '<' (ICAO Doc 9303)"
        )
    if len(text) > MAX_LENGTH:
        raise TransliterationError(f"{field} is longer than {MAX_LENGTH} characters")
    return text


def _letter(char: str, name: str, field: str) -> str:
    if "A" <= char <= "Z":
        return char
    if char in _SEPARATORS:
        return "<"
    if char in _DROPPED:
        return ""
    if char in _SPECIAL_LETTERS:
        return _SPECIAL_LETTERS[char]
    base = "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")
    if base and all("A" <= c <= "Z" for c in base):
        return base
    if unicodedata.category(char) == "Mn":  # a combining mark left over from decomposed input
        return ""
    raise _refusal(char, name, field)


def _refusal(char: str, name: str, field: str) -> TransliterationError:
    char_name = unicodedata.name(char, "")
    latin_field = f"{field}_latin"
    if not unicodedata.category(char).startswith("L"):
        return TransliterationError(
            f"{field} {name!r} contains {char!r}, which has no place in a name: "
            f"remove it or give {latin_field}"
        )
    if "LATIN" in char_name:
        return TransliterationError(
            f"{field} {name!r} contains the letter {char!r}, which has no ICAO Doc 9303 "
            f"transliteration here: give {latin_field}"
        )
    hint = next((text for key, text in _SCRIPT_HINTS if key in char_name), _GENERIC_HINT)
    return TransliterationError(
        f"{field} {name!r} is not in Latin script: give {latin_field}, e.g. {hint}"
    )
