"""The gateway and two countries on loopback, each a separate process and folder: both are
onboarded, DE publishes its DSC, a rule and a revocation, FR syncs over mutual TLS, the gateway
stops, and FR verifies offline: DE's certificate (valid), its revoked one (REVOKED), and one of
a country the gateway never heard of (KID_UNKNOWN)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.gateway.cli_world import Place, country, issue, onboard, serving
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
