"""Federation: gateway B follows gateway A and A follows B. Each imports the other's
countries, checked against the other's anchor, signs their entries with its own anchor and
keeps where each came from; following again and again neither duplicates nor grows."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import Engine, func, select

from healthcert.database.db import session_factory
from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.client import Connection
from healthcert.gateway.database import gateway_engine
from healthcert.gateway.federation import FollowResult, follow
from healthcert.gateway.sync import sync
from healthcert.gateway.tables import RevocationBatch, Rule, SignerCertificate, TrustedParty
from healthcert.gateway.wire import thumbprint
from healthcert.trust.local import load_local_trust
from tests.gateway.world import (
    PROXY,
    Country,
    batch_document,
    cms,
    der,
    gateway_client,
    new_anchor,
    onboard_country,
    rule_document,
    running,
    upload,
)


def _counts(engine: Engine) -> Counter[str]:
    counts: Counter[str] = Counter()
    with session_factory(engine)() as session:
        for table in (TrustedParty, SignerCertificate, Rule, RevocationBatch):
            counts[table.__tablename__] = (
                session.scalar(select(func.count()).select_from(table)) or 0
            )
    return counts


def _follow(engine: Engine, own: GatewayAnchor, url: str, theirs: GatewayAnchor) -> FollowResult:
    with (
        Connection(url, theirs.certificate) as connection,
        session_factory(engine, writes=True)() as session,
    ):
        result = follow(session, own, connection)
        session.commit()
    return result


def test_two_gateways_following_each_other_neither_duplicate_nor_grow(
    engine: Engine, anchor: GatewayAnchor, de: Country, fr: Country, tmp_path: Path
) -> None:
    a = GatewaySettings(anchor, engine, trusted_proxies=frozenset({PROXY}))
    b_anchor = new_anchor()
    b = GatewaySettings(
        b_anchor,
        gateway_engine(f"sqlite:///{tmp_path / 'b.db'}"),
        trusted_proxies=frozenset({PROXY}),
    )
    onboard_country(a.engine, anchor, de)
    onboard_country(b.engine, b_anchor, fr)
    upload(a, de, "/signerCertificate", der(de.new_dsc()))
    upload(a, de, "/rules", rule_document("VR-DE-0001"))
    upload(a, de, "/revocation-list", batch_document("DE", b"\x05" * 16))
    upload(b, fr, "/signerCertificate", der(fr.new_dsc()))

    with running(a) as a_url, running(b) as b_url:
        first = _follow(b.engine, b_anchor, a_url, anchor)
        assert first.imported == {
            "CSCA": 1,
            "UPLOAD": 1,
            "AUTHENTICATION": 1,
            "DSC": 1,
            "rule": 1,
            "revocation batch": 1,
        }
        back = _follow(a.engine, anchor, b_url, b_anchor)
        # A gets FR's entries, and none of its own DE entries back.
        assert back.imported == {"CSCA": 1, "UPLOAD": 1, "AUTHENTICATION": 1, "DSC": 1}
        settled_a, settled_b = _counts(a.engine), _counts(b.engine)
        assert (
            settled_a
            == settled_b
            == Counter(
                gw_trusted_parties=6, gw_signer_certificates=2, gw_rules=1, gw_revocation_batches=1
            )
        )
        for _round in range(2):
            assert _follow(b.engine, b_anchor, a_url, anchor).imported == {}
            assert _follow(a.engine, anchor, b_url, b_anchor).imported == {}
        assert (_counts(a.engine), _counts(b.engine)) == (settled_a, settled_b)

        # B republishes DE's entries signed by its own anchor, with where they came from.
        origin = thumbprint(anchor.certificate.public_bytes(Encoding.DER))
        entries = gateway_client(b).get("/trustList/CSCA/DE").json()
        assert [entry["origin"] for entry in entries] == [origin]
        # A country syncing from B alone trusts DE's DSC, checked against B's anchor.
        with Connection(b_url, b_anchor.certificate) as connection:
            result = sync(connection, tmp_path / "country")
        assert result.dscs == 2 and result.revocation_batches == 1 and result.rules == 1
        assert {key.country for key in load_local_trust(tmp_path / "country")} == {"DE", "FR"}
    b.engine.dispose()


def test_an_imported_party_does_not_authenticate_at_the_follower(
    engine: Engine, anchor: GatewayAnchor, de: Country, tmp_path: Path
) -> None:
    a = GatewaySettings(anchor, engine, trusted_proxies=frozenset({PROXY}))
    b_anchor = new_anchor()
    b = GatewaySettings(
        b_anchor,
        gateway_engine(f"sqlite:///{tmp_path / 'b.db'}"),
        trusted_proxies=frozenset({PROXY}),
    )
    onboard_country(a.engine, anchor, de)
    with running(a) as a_url:
        _follow(b.engine, b_anchor, a_url, anchor)
    answer = gateway_client(b).post(
        "/signerCertificate", content=cms(der(de.new_dsc()), de.upload), headers=de.auth_header()
    )
    assert answer.status_code == 401
    b.engine.dispose()
