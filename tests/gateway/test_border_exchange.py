"""Border keys travel: a country that syncs from the gateway finds a destination's border key
in its trust store (``trust.border.border_keys_for``), checked against the destination's CSCA;
a followed gateway's border keys are carried once; the DID form lists them for key agreement."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Engine, func, select

from healthcert.database.db import session_factory
from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.client import Connection
from healthcert.gateway.database import gateway_engine
from healthcert.gateway.federation import follow
from healthcert.gateway.repository import next_change
from healthcert.gateway.sync import SyncResult, sync
from healthcert.gateway.tables import SignerCertificate
from healthcert.keys.border import BORDER_OID, border_kid, border_public_key
from healthcert.keys.csca import create_csca
from healthcert.keys.kid import kid_of_der
from healthcert.trust.border import border_keys_for, is_border_key
from healthcert.trust.local import key_summary, load_local_trust
from healthcert.trust.store import TrustStore
from tests.gateway.border_world import border_of
from tests.gateway.world import (
    PROXY,
    Country,
    cms,
    der,
    gateway_client,
    new_anchor,
    onboard_country,
    running,
    upload,
)


def _sync(settings: GatewaySettings, home: Path) -> SyncResult:
    with running(settings) as url, Connection(url, settings.anchor.certificate) as connection:
        return sync(connection, home)


def test_a_synced_border_key_is_found_for_its_country(
    settings: GatewaySettings, de: Country, fr: Country, tmp_path: Path
) -> None:
    border = border_of(fr)
    upload(settings, fr, "/borderCertificate", der(border))
    upload(settings, fr, "/signerCertificate", der(fr.new_dsc()))
    result = _sync(settings, tmp_path)
    assert (result.dscs, result.border_keys, result.skipped) == (1, 1, ())

    store = load_local_trust(tmp_path)
    [found] = border_keys_for(store, "FR", datetime.now(UTC))
    assert found.kid == kid_of_der(der(border)) and found.source == "gateway"
    assert found.types == frozenset() and is_border_key(found)
    assert isinstance(found.public_key, ec.EllipticCurvePublicKey)
    assert border_kid(found.public_key) == border_kid(border_public_key(border.certificate))
    assert border_keys_for(store, "DE", datetime.now(UTC)) == []
    summary = key_summary(found)
    assert (summary["usage"], summary["types"], summary["country"]) == ("border", [], "FR")
    [dsc] = [key for key in store if not is_border_key(key)]
    assert key_summary(dsc)["usage"] == "signing"


def _straight_into_the_database(engine: Engine, kind: str, raw: bytes, signature: str = "") -> None:
    """A row past the upload checks, as a broken or hostile gateway might serve it."""
    with session_factory(engine, writes=True)() as session:
        session.add(
            SignerCertificate(
                certificate_type=kind,
                country="FR",
                kid=base64.b64encode(kid_of_der(raw)).decode(),
                thumbprint=hashlib.sha256(raw).hexdigest(),
                raw_data=raw,
                signature=signature,
                created_at=datetime.now(UTC),
                change=next_change(session),
                deleted=False,
            )
        )
        session.commit()


def test_border_entries_that_do_not_hold_are_skipped_and_the_rest_kept(
    settings: GatewaySettings, fr: Country, tmp_path: Path
) -> None:
    good = border_of(fr)
    upload(settings, fr, "/borderCertificate", der(good))
    other_csca = Country("FR", create_csca("FR"), fr.upload, fr.auth)
    _straight_into_the_database(settings.engine, "BORDER", der(border_of(other_csca)))
    _straight_into_the_database(settings.engine, "BORDER", der(fr.new_dsc()))
    result = _sync(settings, tmp_path)
    reasons = sorted(skip.reason for skip in result.skipped)
    assert reasons == [
        "listed as a border key, but its extended key usage does not name the border key usage "
        "2.25.324615132376908405824396429742924583001",
        "not signed by any trusted CSCA of FR",
    ]
    store = load_local_trust(tmp_path)
    assert [key.kid for key in border_keys_for(store, "FR", datetime.now(UTC))] == [
        kid_of_der(der(good))
    ]
    assert [key for key in store if not is_border_key(key)] == []


def test_a_deleted_border_key_leaves_the_next_sync(
    settings: GatewaySettings, fr: Country, tmp_path: Path
) -> None:
    border = der(border_of(fr))
    upload(settings, fr, "/borderCertificate", border)
    with running(settings) as url, Connection(url, settings.anchor.certificate) as connection:
        assert sync(connection, tmp_path).border_keys == 1
        upload(settings, fr, "/borderCertificate/delete", border)
        delta = sync(connection, tmp_path)
    assert (delta.full, delta.border_keys) == (False, 0)
    assert border_keys_for(load_local_trust(tmp_path), "FR", datetime.now(UTC)) == []


def _border_rows(engine: Engine) -> int:
    with session_factory(engine)() as session:
        query = select(func.count()).where(SignerCertificate.certificate_type == "BORDER")
        return int(session.scalar(query) or 0)


def test_a_followed_gateways_border_keys_are_carried_once(
    engine: Engine, anchor: GatewayAnchor, de: Country, fr: Country, tmp_path: Path
) -> None:
    a = GatewaySettings(anchor, engine, trusted_proxies=frozenset({PROXY}))
    b_anchor = new_anchor()
    b = GatewaySettings(
        b_anchor,
        gateway_engine(f"sqlite:///{tmp_path / 'b.db'}"),
        trusted_proxies=frozenset({PROXY}),
    )
    onboard_country(a.engine, anchor, fr)
    onboard_country(b.engine, b_anchor, de)
    border = der(border_of(fr))
    upload(a, fr, "/borderCertificate", border)

    def follow_once(own: GatewaySettings, url: str, theirs: GatewayAnchor) -> dict[str, int]:
        with (
            Connection(url, theirs.certificate) as connection,
            session_factory(own.engine, writes=True)() as session,
        ):
            imported = follow(session, own.anchor, connection).imported
            session.commit()
        return imported

    with running(a) as a_url, running(b) as b_url:
        assert follow_once(b, a_url, anchor)["BORDER"] == 1
        assert "BORDER" not in follow_once(a, b_url, b_anchor)  # FR's own, come back: skipped
        for _round in range(2):
            assert follow_once(b, a_url, anchor) == {}
            assert follow_once(a, b_url, b_anchor) == {}
        assert (_border_rows(a.engine), _border_rows(b.engine)) == (1, 1)
        # B serves FR's border key with where it came from; a country syncing from B keeps it.
        [entry] = gateway_client(b).get("/trustList/BORDER/FR").json()
        assert base64.b64decode(entry["rawData"]) == border and "origin" in entry
        with Connection(b_url, b_anchor.certificate) as connection:
            assert sync(connection, tmp_path / "country").border_keys == 1
        store = load_local_trust(tmp_path / "country")
        assert len(border_keys_for(store, "FR", datetime.now(UTC))) == 1

        # A DSC that A lists as a border key (its uploader's CMS genuine) is not carried.
        dsc = der(fr.new_dsc())
        _straight_into_the_database(a.engine, "BORDER", dsc, cms(dsc, fr.upload).decode())
        with (
            Connection(a_url, anchor.certificate) as connection,
            session_factory(b.engine, writes=True)() as session,
        ):
            skipped = follow(session, b.anchor, connection).skipped
            session.commit()
        assert len(skipped) == 1 and skipped[0].endswith(
            f"its extended key usage does not name the border key usage {BORDER_OID}"
        )
        assert _border_rows(b.engine) == 1

        # FR withdraws it at A: B follows the deletion.
        upload(a, fr, "/borderCertificate/delete", border)
        follow_once(b, a_url, anchor)
        assert gateway_client(b).get("/trustList/BORDER/FR").json() == []
    b.engine.dispose()


def test_the_did_form_lists_a_border_key_for_key_agreement(
    settings: GatewaySettings, anchor: GatewayAnchor, fr: Country
) -> None:
    from healthcert.gateway.did_list import did_writer
    from healthcert.trust.did import import_did_document

    client = gateway_client(replace(settings, did_writer=did_writer(anchor, "gw.example")))
    border = der(border_of(fr))
    dsc = der(fr.new_dsc())
    upload(settings, fr, "/borderCertificate", border)
    upload(settings, fr, "/signerCertificate", dsc)

    document = client.get("/v2/trustlist/DCC/FRA/-/did.json").json()
    methods = {method["keyusage"]["code"]: method for method in document["verificationMethod"]}
    assert document["keyAgreement"] == [methods["#BORDER"]["id"]]
    assert document["assertionMethod"] == [methods["#DSC"]["id"]]
    assert methods["#BORDER"]["id"].startswith("did:web:gw.example:v2:trustlist:DCC:FRA:BORDER#")
    chain = [base64.b64decode(text) for text in methods["#BORDER"]["publicKeyJwk"]["x5c"]]
    assert chain == [border, fr.csca.certificate.public_bytes(Encoding.DER)]

    only = client.get("/v2/trustlist/DCC/FRA/BORDER/did.json").json()
    assert len(only["verificationMethod"]) == 1 and "assertionMethod" not in only
    read = import_did_document(document, "gateway", signers=[anchor.certificate])
    store = TrustStore()
    store.add_batch(read)
    moment = datetime.now(UTC) + timedelta(minutes=1)
    assert [key.kid for key in border_keys_for(store, "FR", moment)] == [kid_of_der(border)]

    # A border entry without its certificate cannot say it is one: skipped, with why.
    for method in document["verificationMethod"]:
        if method["keyusage"]["code"] == "#BORDER":
            del method["publicKeyJwk"]["x5c"]
    bare = import_did_document(document, "edited")
    assert [skip.reason for skip in bare.skipped] == ["a border key without its certificate (x5c)"]
