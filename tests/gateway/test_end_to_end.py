"""The gateway and two countries on loopback, each a separate process and folder: both are
onboarded, DE publishes its DSC, a rule and a revocation, FR syncs over mutual TLS, the gateway
stops, and FR verifies offline: DE's certificate (valid), its revoked one (REVOKED), and one of
a country the gateway never heard of (KID_UNKNOWN). FR, as a destination, publishes its border
key too: DE learns it over the gateway, seals a certificate to it, and only FR's post opens it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.keys.border import load_unseal_key
from healthcert.trust.border import border_keys_for
from healthcert.trust.local import load_local_trust
from healthcert.verification import verify
from tests.gateway.cli_world import PASSPHRASE, Place, country, issue, onboard, serving
from tests.gateway.world import rule_document


def test_two_countries_recognise_each_other_through_the_gateway(tmp_path: Path) -> None:
    gateway = Place(tmp_path / "operator", tmp_path / "gateway")
    gateway.run("gateway", "init")
    anchor = str(tmp_path / "gateway" / "home" / "anchor.pem")
    de = country(tmp_path, tmp_path / "gateway", "DE")
    fr = country(tmp_path, tmp_path / "gateway", "FR")
    it = country(tmp_path, tmp_path / "gateway", "IT")  # never onboarded
    onboard(gateway, de, "DE")
    onboard(gateway, fr, "FR")
    valid = issue(de, tmp_path, "URN:UVCI:01:DE:GATEWAYTEST0000000001#A", "DE")
    revoked_id = "URN:UVCI:01:DE:GATEWAYTEST0000000002#B"
    revoked = issue(de, tmp_path, revoked_id, "DE")
    unknown = issue(it, tmp_path, "URN:UVCI:01:IT:GATEWAYTEST0000000003#C", "IT")
    rule = tmp_path / "rule.json"
    rule.write_bytes(rule_document("VR-DE-0001"))

    with serving(gateway) as url:
        assert url.startswith("https://127.0.0.1:")
        published = json.loads(
            de.run("gateway", "publish", url, "--anchor", anchor, "--rules", str(rule),
                   "--revoke", revoked_id, "--json").stdout
        )  # fmt: skip
        assert len(published["dscs"]) == 1 and published["rules"] == ["VR-DE-0001 1.0.0"]
        assert len(published["revocation_batches"]) == 1 and published["refused"] == []
        again = json.loads(de.run("gateway", "publish", url, "--anchor", anchor, "--json").stdout)
        assert again["dscs"] == [] and again["already_published"] == 1
        synced = json.loads(fr.run("trust", "sync", url, "--anchor", anchor, "--json").stdout)
        assert synced["full"] is True and synced["dscs"] == 1
        assert synced["revocation_batches"] == 1 and synced["rules"] == 1
        delta = json.loads(fr.run("trust", "sync", url, "--anchor", anchor, "--json").stdout)
        assert delta["changed"] is False and delta["seq"] == synced["seq"]
        _fr_publishes_its_border_key_and_de_learns_it(fr, de, url, anchor)

    # The gateway is gone: FR verifies from its offline copy.
    report = fr.verify(valid)
    assert report["valid"] is True, report["errors"]
    trust = report["trust"]
    assert isinstance(trust, dict) and trust["source"] == url and "warning" not in trust
    synced_at = datetime.fromisoformat(str(trust["synced_at"]))
    assert datetime.now(UTC) - synced_at < timedelta(minutes=5)
    report = fr.verify(revoked)
    assert [error["code"] for error in report["errors"]] == ["REVOKED"]  # type: ignore[union-attr]
    report = fr.verify(unknown)
    assert [error["code"] for error in report["errors"]] == ["KID_UNKNOWN"]  # type: ignore[union-attr]

    # A sync that cannot reach the gateway fails, and the last good copy stays in use.
    failed = fr.run("trust", "sync", url, "--anchor", anchor, check=False)
    assert failed.returncode == 1 and "error:" in failed.stderr
    assert fr.verify(valid)["valid"] is True
    # Past the configured age, reports warn (and the certificate stays valid).
    stale = json.loads(
        fr.run("verify", valid, "--json", HEALTHCERT_TRUST_MAX_AGE_HOURS="0.0001").stdout
    )
    assert stale["valid"] is True and "sync with the gateway" in stale["trust"]["warning"]

    _de_seals_to_fr_and_fr_opens_it(de, fr, tmp_path)


def _fr_publishes_its_border_key_and_de_learns_it(
    fr: Place, de: Place, url: str, anchor: str
) -> None:
    fr.run("keys", "border", "--country", "FR")
    published = json.loads(fr.run("gateway", "publish", url, "--anchor", anchor, "--json").stdout)
    assert len(published["border_certificates"]) == 1 and published["refused"] == []
    again = json.loads(fr.run("gateway", "publish", url, "--anchor", anchor, "--json").stdout)
    assert again["border_certificates"] == [] and again["already_published"] == 2
    learned = json.loads(de.run("trust", "sync", url, "--anchor", anchor, "--json").stdout)
    assert (learned["border_keys"], learned["dscs"]) == (1, 2)  # FR's border key; both DSCs
    listed = [json.loads(line) for line in de.run("trust", "list", "--json").stdout.splitlines()]
    [border] = [key for key in listed if key["usage"] == "border"]
    assert (border["country"], border["types"], border["source"]) == ("FR", [], "gateway")


def _de_seals_to_fr_and_fr_opens_it(de: Place, fr: Place, tmp_path: Path) -> None:
    """DE's issuer seals to the border key its synced trust store holds for FR; FR's post opens
    the certificate with its private border key and verifies it against its own synced copy."""
    now = datetime.now(UTC)
    [key] = border_keys_for(load_local_trust(de.root), "FR", now)
    assert key.certificate is not None
    recipient = tmp_path / "learned-border-FR.pem"
    recipient.write_bytes(key.certificate.public_bytes(Encoding.PEM))
    certificate_id = "URN:UVCI:01:DE:GATEWAYTEST0000000004#D"
    sealed = issue(de, tmp_path, certificate_id, "DE", "--seal-to", str(recipient))
    assert sealed.startswith("HCS1:")

    unseal = load_unseal_key(fr.root / "keys" / "border-FR.key.pem", PASSPHRASE.encode())
    report = verify(sealed, trust=load_local_trust(fr.root), unseal_keys=[unseal])
    assert report.valid, report.errors
    assert report.checks["sealed"] is True and report.checks["signature"] is True
    # DE's own post, without FR's key, reads nothing of it.
    refused = verify(sealed, trust=load_local_trust(de.root))
    assert [error.code for error in refused.errors] == ["SEALED"]
