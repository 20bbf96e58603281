"""The trust store: lookup by kid, CSCA checks (EC, RSA PKCS#1 v1.5 and PSS), removal."""

from __future__ import annotations

import dataclasses

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from healthcert.keys.material import CertifiedKey
from healthcert.model.kinds import EntryKind
from healthcert.trust.anchors import is_issued_by
from healthcert.trust.certificates import read_facts, trusted_key
from healthcert.trust.entry import TrustedKey
from healthcert.trust.store import Anchor, ImportBatch, TrustStore

from . import pki


def _batch(*dscs: CertifiedKey, anchors: tuple[CertifiedKey, ...] = ()) -> ImportBatch:
    keys = [trusted_key(read_facts(pki.der(d.certificate)), "list") for d in dscs]
    found = [Anchor(a.certificate, "DE", "csca.pem") for a in anchors]
    return ImportBatch(keys=keys, anchors=found)


def test_lookup_by_kid_len_iter() -> None:
    csca = pki.csca()
    first, second = pki.dsc(csca), pki.dsc(csca)
    store = TrustStore()
    result = store.add_batch(_batch(first, second))
    assert (result.added, result.duplicates, result.skipped) == (2, 0, ())
    assert len(store) == 2 and {key.kid for key in store} == {
        read_facts(pki.der(first.certificate)).kid,
        read_facts(pki.der(second.certificate)).kid,
    }
    [found] = store.keys_for(read_facts(pki.der(first.certificate)).kid)
    assert found.certificate == first.certificate
    assert store.keys_for(b"\0" * 8) == ()


def test_several_keys_may_share_a_kid() -> None:
    csca = pki.csca()
    one = trusted_key(read_facts(pki.der(pki.dsc(csca).certificate)), "a")
    other = dataclasses.replace(
        trusted_key(read_facts(pki.der(pki.dsc(csca).certificate)), "b"), kid=one.kid
    )
    store = TrustStore()
    store.add_batch(ImportBatch(keys=[one, other]))
    assert [key.source for key in store.keys_for(one.kid)] == ["a", "b"]


def test_duplicates_are_counted_not_added() -> None:
    dsc = pki.dsc(pki.csca())
    store = TrustStore()
    store.add_batch(_batch(dsc))
    result = store.add_batch(_batch(dsc, dsc))
    assert (result.added, result.duplicates, len(store)) == (0, 2, 1)


def test_dsc_signed_by_the_trusted_csca_is_accepted() -> None:
    csca = pki.csca()
    store = TrustStore()
    result = store.add_batch(_batch(pki.dsc(csca), anchors=(csca,)))
    assert (result.added, result.anchors, result.skipped) == (1, 1, ())
    assert store.cscas_for("de") == (csca.certificate,)


def test_dsc_signed_by_another_authority_is_skipped() -> None:
    trusted, foreign = pki.csca(), pki.csca()
    store = TrustStore()
    result = store.add_batch(_batch(pki.dsc(foreign), pki.dsc(trusted), anchors=(trusted,)))
    assert result.added == 1
    [skipped] = result.skipped
    assert skipped.reason == "not signed by any trusted CSCA of DE"
    assert store.skipped == [skipped]


def test_any_trusted_csca_of_the_country_will_do() -> None:
    old, new = pki.csca(), pki.csca()
    store = TrustStore()
    result = store.add_batch(_batch(pki.dsc(old), pki.dsc(new), anchors=(old, new)))
    assert (result.added, result.anchors) == (2, 2)


def test_dsc_of_a_country_without_csca_is_accepted_as_is() -> None:
    store = TrustStore()
    french = pki.dsc(pki.csca("FR"))
    result = store.add_batch(_batch(french, anchors=(pki.csca("DE"),)))
    assert result.added == 1 and result.skipped == ()


def test_a_later_csca_drops_earlier_keys_it_did_not_sign() -> None:
    trusted, foreign = pki.csca(), pki.csca()
    store = TrustStore()
    store.add_batch(_batch(pki.dsc(foreign), pki.dsc(trusted)))
    result = store.add_batch(_batch(anchors=(trusted,)))
    assert result.anchors == 1 and len(result.dropped) == 1
    assert result.dropped[0].reason.startswith("dropped: not signed")
    assert [key.certificate.issuer for key in store if key.certificate] == [
        trusted.certificate.subject
    ]


def test_bare_key_of_an_anchored_country_is_refused() -> None:
    csca = pki.csca()
    bare = dataclasses.replace(
        trusted_key(read_facts(pki.der(pki.dsc(csca).certificate)), "jwks"), certificate=None
    )
    store = TrustStore()
    result = store.add_batch(
        ImportBatch(keys=[bare], anchors=[Anchor(csca.certificate, "DE", "x")])
    )
    assert result.added == 0 and "no certificate" in result.skipped[0].reason


def test_rsa_csca_pkcs1v15_and_pss() -> None:
    csca_key = pki.rsa_key()
    csca = CertifiedKey(csca_key, pki.build(pki.Spec(ca=True), csca_key))
    classic = pki.build(pki.Spec(name="dsc1"), pki.ec_key(), csca)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    probabilistic = pki.build(pki.Spec(name="dsc2"), pki.ec_key(), csca, rsa_padding=pss)
    assert is_issued_by(classic, csca.certificate)
    assert is_issued_by(probabilistic, csca.certificate)
    other = pki.rsa_key()
    impostor = CertifiedKey(other, pki.build(pki.Spec(ca=True), other))
    assert not is_issued_by(probabilistic, impostor.certificate)
    assert not is_issued_by(classic, pki.csca().certificate)  # EC key, RSA signature


def test_ec_csca_signature_check() -> None:
    csca, other = pki.csca(), pki.csca()
    dsc = pki.dsc(csca).certificate
    assert is_issued_by(dsc, csca.certificate)
    assert not is_issued_by(dsc, other.certificate)


def test_remove_by_predicate_and_anchors() -> None:
    csca = pki.csca()
    store = TrustStore()
    store.add_batch(_batch(pki.dsc(csca), pki.dsc(csca), anchors=(csca,)))
    assert store.remove(lambda key: True) == 2 and len(store) == 0
    assert store.remove_anchors(lambda anchor: anchor.source == "csca.pem") == 1
    assert store.anchors == () and not store


def test_deferred_keys_load_on_lookup() -> None:
    key = trusted_key(read_facts(pki.der(pki.dsc(pki.csca()).certificate)), "index")
    calls: list[bytes] = []

    def loader() -> TrustedKey:
        calls.append(key.kid)
        return key

    store = TrustStore()
    store.defer(key.kid, loader)
    assert len(store) == 1 and calls == []
    assert store.keys_for(key.kid) == (key,) and calls == [key.kid]
    assert store.keys_for(key.kid) == (key,) and len(calls) == 1 and len(store) == 1


def test_types_come_from_the_eku() -> None:
    csca = pki.csca()
    dsc = pki.dsc(csca, [EntryKind.RECOVERY])
    [key] = _batch(dsc).keys
    assert key.types == {EntryKind.RECOVERY}
