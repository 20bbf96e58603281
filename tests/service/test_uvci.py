"""UVCIs: form, Luhn mod N checksum, randomness."""

from __future__ import annotations

from healthcert.service.uvci import checksum, is_valid, new_uvci


def test_the_checksum_matches_the_published_example() -> None:
    # The DCC schema discussion's example, computed without '#' in the character set.
    assert checksum("01LUX/18737512422923") == "E"


def test_a_new_uvci_is_well_formed_and_verifies() -> None:
    uvci = new_uvci("cn")
    assert uvci.startswith("URN:UVCI:01:CN:")
    assert is_valid(uvci)


def test_a_changed_character_is_caught() -> None:
    uvci = new_uvci("CN")
    body, check = uvci.rsplit("#", 1)
    tampered = body[:-1] + ("A" if body[-1] != "A" else "B")
    assert not is_valid(f"{tampered}#{check}")
    assert not is_valid(uvci.lower())


def test_uvcis_do_not_repeat() -> None:
    assert len({new_uvci("CN") for _ in range(2000)}) == 2000
