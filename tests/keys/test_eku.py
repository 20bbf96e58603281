from __future__ import annotations

import pytest

from healthcert.keys.eku import (
    DRAFT_EKU_OIDS,
    EKU_OIDS,
    kinds_from_certificate,
    oids_for_kinds,
    parse_kinds,
)
from healthcert.model.kinds import ALL_KINDS, EntryKind

from .certs import CLIENT_AUTH, self_signed

TEST, VACC, REC = EntryKind.TEST, EntryKind.VACCINATION, EntryKind.RECOVERY


def _kinds(eku: list[str] | None) -> frozenset[EntryKind]:
    return kinds_from_certificate(self_signed(eku))


def test_the_registered_oids() -> None:
    assert EKU_OIDS == {
        TEST: "1.3.6.1.4.1.1847.2021.1.1",
        VACC: "1.3.6.1.4.1.1847.2021.1.2",
        REC: "1.3.6.1.4.1.1847.2021.1.3",
        EntryKind.HEALTH_CODE: "2.25.293259797426052953585412928883113006604",
    }
    assert DRAFT_EKU_OIDS[TEST] == "1.3.6.1.4.1.0.1847.2021.1.1"


@pytest.mark.parametrize("kind", list(EntryKind))
def test_each_current_oid_allows_its_kind_only(kind: EntryKind) -> None:
    assert _kinds([EKU_OIDS[kind]]) == {kind}


# The draft arc predates health codes: it names the kinds of entry only.
@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_each_draft_oid_allows_its_kind_only(kind: EntryKind) -> None:
    assert _kinds([DRAFT_EKU_OIDS[kind]]) == {kind}


def test_forms_can_be_mixed() -> None:
    assert _kinds([EKU_OIDS[TEST], DRAFT_EKU_OIDS[REC]]) == {TEST, REC}


def test_no_eku_allows_every_kind() -> None:
    assert _kinds(None) == ALL_KINDS


def test_foreign_eku_only_allows_nothing() -> None:
    assert _kinds([CLIENT_AUTH]) == frozenset()


def test_foreign_oids_next_to_ours_are_ignored() -> None:
    assert _kinds([CLIENT_AUTH, EKU_OIDS[VACC]]) == {VACC}


def test_oids_for_kinds_in_stable_order() -> None:
    assert oids_for_kinds([REC, TEST]) == [EKU_OIDS[TEST], EKU_OIDS[REC]]


def test_parse_kinds() -> None:
    assert parse_kinds(" Vaccination, test ") == {VACC, TEST}
    with pytest.raises(ValueError, match="unknown kind antibody"):
        parse_kinds("vaccination,antibody")
    with pytest.raises(ValueError, match="no kind"):
        parse_kinds(" , ")
