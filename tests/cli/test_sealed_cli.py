"""``keys border``, ``issue --seal-to`` and ``verify --unseal-key`` end to end: two countries'
homes made by the commands themselves, a real QR image read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from healthcert.codec.qr import read_image

from .test_issue_cli import EXAMPLES, SECRET, error, invoke, ok, trust_files

REQUEST = str(EXAMPLES / "request-vaccination.json")


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """DE issues; CN and FR each have a border key."""
    made = {}
    for country in ("DE", "CN", "FR"):
        home = tmp_path_factory.mktemp(country)
        ok(home, "keys", "init", "--country", country)
        made[country] = home
    ok(made["DE"], "keys", "dsc")
    for country in ("CN", "FR"):
        out = ok(made[country], "keys", "border", "--country", country)
        assert "Created border key" in out and f"border-{country}.key.pem" in " ".join(out.split())
    return made


def _border(homes: dict[str, Path], country: str, suffix: str = "pem") -> str:
    return str(homes[country] / "keys" / f"border-{country}.{suffix}")


def _verify(home: Path, payload: str, *options: str) -> dict[str, Any]:
    trust = [arg for path in trust_files(home) for arg in ("--trust", str(path))]
    result = invoke(home, "verify", "--json", *trust, *options, payload)
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_seal_issue_and_open(homes: dict[str, Path], tmp_path: Path) -> None:
    image = tmp_path / "sealed.png"
    out = ok(
        homes["DE"],
        "issue",
        "--json",
        REQUEST,
        "--seal-to",
        _border(homes, "CN"),
        "--qr",
        str(image),
    )
    payload = out.strip()
    assert payload.startswith("HCS1:") and read_image(image.read_bytes()) == [payload]

    opened = _verify(homes["DE"], payload, "--unseal-key", _border(homes, "CN", "key.pem"))
    assert opened["valid"] is True and opened["format"] == "eu-dcc"
    assert opened["checks"]["sealed"] is True and opened["checks"]["signature"] is True
    assert opened["certificate"]["holder"]["family_name_latin"]

    for options in ([], ["--unseal-key", _border(homes, "FR", "key.pem")]):
        refused = _verify(homes["DE"], payload, *options)
        assert refused["valid"] is False
        assert [e["code"] for e in refused["errors"]] == ["SEALED"]
        assert refused["certificate"] is None
        text = json.dumps(refused, ensure_ascii=False)
        request = json.loads(Path(REQUEST).read_text(encoding="utf-8"))
        for value in request["holder"].values():
            assert str(value) not in text


def test_batch_issue_seals_every_line(homes: dict[str, Path], tmp_path: Path) -> None:
    line = json.dumps(json.loads(Path(REQUEST).read_text(encoding="utf-8")), ensure_ascii=False)
    batch = tmp_path / "requests.jsonl"
    batch.write_text(f"{line}\n{line}\n", encoding="utf-8")
    out = ok(homes["DE"], "issue", "--batch", str(batch), "--seal-to", _border(homes, "CN"))
    payloads = out.splitlines()
    assert len(payloads) == 2 and all(p.startswith("HCS1:") for p in payloads)
    assert payloads[0] != payloads[1]  # a fresh ephemeral key and IV each


def test_refusals(homes: dict[str, Path]) -> None:
    # The border key needs the CSCA of its own country.
    assert "needs FR's CSCA" in error(2, homes["CN"], "keys", "border", "--country", "FR")
    # A DSC is no border key to seal to.
    dsc = trust_files(homes["DE"])[1]
    message = error(3, homes["DE"], "issue", "--json", REQUEST, "--seal-to", str(dsc))
    assert "not a border key certificate" in message
    message = error(2, homes["DE"], "issue", "--json", REQUEST, "--seal-to", "missing.pem")
    assert "missing.pem" in message
    message = error(
        2,
        homes["DE"],
        "issue",
        "--json",
        REQUEST,
        "--format",
        "shc",
        "--seal-to",
        _border(homes, "CN"),
    )
    assert "--seal-to seals EU DCCs" in message
    # The wrong passphrase for the border key: a clear error, not a report.
    result = invoke(
        homes["CN"],
        "verify",
        "HCS1:X",
        "--unseal-key",
        _border(homes, "CN", "key.pem"),
        passphrase="wrong",
    )
    assert result.exit_code == 3 and "cannot decrypt the key" in result.stderr
    assert SECRET not in result.output


def test_a_new_border_key_keeps_the_old_one_for_what_was_sealed_to_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from healthcert.keys.border import border_kid, load_recipient
    from healthcert.service.unseal import unseal_key_paths

    issuer, border = tmp_path_factory.mktemp("AT"), tmp_path_factory.mktemp("SG")
    ok(issuer, "keys", "init", "--country", "AT")
    ok(issuer, "keys", "dsc")
    ok(border, "keys", "init", "--country", "SG")
    ok(border, "keys", "border", "--country", "SG")
    keys = border / "keys"
    first_kid = border_kid(load_recipient(keys / "border-SG.pem")).hex()
    sealed_before = ok(issuer, "issue", "--json", REQUEST, "--seal-to", str(keys / "border-SG.pem"))

    out = " ".join(ok(border, "keys", "border", "--country", "SG").split())
    retired = keys / f"border-SG-{first_kid}.key.pem"
    assert f"previous border key is kept as {retired}" in out
    assert (keys / f"border-SG-{first_kid}.pem").exists()
    assert border_kid(load_recipient(keys / "border-SG.pem")).hex() != first_kid
    assert set(unseal_key_paths(border)) == {keys / "border-SG.key.pem", retired}

    old = _verify(issuer, sealed_before.strip(), "--unseal-key", str(retired))
    assert old["valid"] is True and old["checks"]["sealed"] is True
    new = _verify(issuer, sealed_before.strip(), "--unseal-key", str(keys / "border-SG.key.pem"))
    assert [e["code"] for e in new["errors"]] == ["SEALED"]
