"""A person's name as written, for people to read: family name first, as documents print it.

Chinese, Japanese and Korean names in their own script are written without a space between
family and given name (王小明); every other name keeps one (Müller Anna).
"""

from __future__ import annotations

import unicodedata


def _ideographic(character: str) -> bool:
    """Han, kana and hangul: the scripts whose names run together."""
    name = unicodedata.name(character, "")
    return name.startswith(("CJK ", "HIRAGANA ", "KATAKANA ", "HANGUL "))


def written_name(family: object, given: object) -> str:
    """``family`` and ``given`` joined as a reader of the name's script expects; either may
    be missing (None or empty)."""
    parts = [str(part).strip() for part in (family, given) if part and str(part).strip()]
    if len(parts) == 2 and _ideographic(parts[0][-1]) and _ideographic(parts[1][0]):
        return parts[0] + parts[1]
    return " ".join(parts)
