"""The service issues through the library's core: a record's certificate carries the claims
the command line signs for the same request, and batch issuance signs each chunk together."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.shc import card as shc
from healthcert.issuance import DEFAULT_VALID_DAYS, Signed, issue_payload, parse_request
from healthcert.service import batch_store
from healthcert.service.apikeys import sender_actor
from healthcert.service.audit import Actor
from healthcert.service.errors import Invalid
from healthcert.service.issuance import certificate_document, issue_for_record
from healthcert.service.records import parse_record, store_record
from healthcert.verification import context, verify_payload
from tests.service import samples

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext
    from healthcert.trust.store import TrustStore

NOW = datetime.now(UTC).replace(microsecond=0)
ISSUER = Actor("issuer", "core-tests")


def _claims(format_name: str, payload: str) -> Any:
    """What a payload asserts, signature aside (ECDSA signatures are randomised)."""
    if format_name == registry.EU_DCC:
        return dict(eu_dcc.decode(payload).claims)
    if format_name == registry.SHC:
        return shc.decode(payload).claims
    return json.loads(payload)["data"]


@pytest.mark.parametrize("format_name", registry.CERTIFICATE_FORMATS)
def test_the_service_and_the_command_line_sign_the_same_claims(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, format_name: str
) -> None:
    monkeypatch.setattr(ctx, "clock", lambda: NOW)
    sent = samples.record(samples.vaccination())
    record = store_record(ctx, parse_record(sent), sender_actor(ctx, "core-tests")).record
    stored = issue_for_record(ctx, record.id, format_name, ISSUER).certificate
    # The same certificate as a command-line request: the record's holder and entry, in the
    # DSC's country, under the service's name and the UVCI the service drew.
    signer = ctx.signer()
    document = certificate_document(
        sent["holder"], sent["entry"], stored.country, ctx.issuer_name, stored.uvci
    )
    request = parse_request(document)
    payload = issue_payload(
        request, signer, format_name=format_name, now=NOW, shc_issuer=ctx.shc_issuer
    )
    assert _claims(format_name, stored.payload) == _claims(format_name, payload)
    # One expiry rule: a record carries no valid_days, so the kind's default applies, as it
    # does to a command-line request without them.
    default = NOW.replace(microsecond=0) + timedelta(days=DEFAULT_VALID_DAYS["vaccination"])
    assert stored.expires_at == min(default, signer.not_after)
    assert stored.issued_at == NOW


def test_the_service_issues_the_registrys_formats_and_no_other(ctx: ServiceContext) -> None:
    # The format is checked first: a record that does not exist is not even looked up.
    with pytest.raises(Invalid) as refused:
        issue_for_record(ctx, 0, "pdf", ISSUER)
    known = ", ".join(registry.CERTIFICATE_FORMATS)
    assert refused.value.problems == [{"field": "format", "message": f"must be one of: {known}"}]
    # A health code is signed for a declared trip, never as a record's certificate.
    with pytest.raises(Invalid) as refused:
        issue_for_record(ctx, 0, registry.HEALTH_CODE, ISSUER)
    assert refused.value.problems == [{"field": "format", "message": f"must be one of: {known}"}]


def test_valid_days_bound_a_command_line_certificate_by_the_same_rule(
    ctx: ServiceContext,
) -> None:
    document = certificate_document(
        samples.holder(), samples.vaccination(), "CN", ctx.issuer_name, "URN:UVCI:01:CN:X#1"
    )
    request = parse_request({**document, "valid_days": 30})
    payload = issue_payload(request, ctx.signer(), now=NOW)
    assert eu_dcc.decode(payload).expires == int((NOW + timedelta(days=30)).timestamp())


def _line(number: int) -> str:
    record = {
        "record_id": f"core-{number:06d}-{NOW.timestamp():.0f}",
        "holder": samples.holder(f"C{number:08d}"),
        "entry": samples.vaccination(),
    }
    return json.dumps(record, ensure_ascii=False)


def test_the_batch_store_signs_each_chunk_together(
    issuer_keys: tuple[Signer, Any], trust: TrustStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One grouped signing call per chunk of lines, the refused lines left out of it."""
    groups: list[int] = []
    encode_many = eu_dcc.encode_many

    def counted(
        dccs: Sequence[tuple[Mapping[str, Any], datetime, datetime]], **options: Any
    ) -> list[str]:
        groups.append(len(dccs))
        return encode_many(dccs, **options)

    monkeypatch.setattr(eu_dcc, "encode_many", counted)
    lines = [(number, _line(number)) for number in range(1, batch_store.CHUNK + 2)]
    lines[9] = (10, "{not json")
    lines[20] = (21, _line(21).replace('"vaccination"', '"no-such-kind"'))
    # Verification checks the DSC was valid when the batch was signed.
    signed_at = issuer_keys[0].certificate.not_valid_before_utc + timedelta(minutes=1)
    signing = batch_store.Signing(issuer_keys[0], "CN", "core tests", signed_at)
    chunks = list(batch_store.prepared(lines, signing, workers=1))
    assert groups == [batch_store.CHUNK - 2, 1]
    assert [len(chunk) for chunk in chunks] == [batch_store.CHUNK, 1]
    items = [item for chunk in chunks for item in chunk]
    assert [item.line for item in items] == [number for number, _ in lines]
    failed = {item.line: item.error for item in items if isinstance(item, batch_store.Failed)}
    assert set(failed) == {10, 21}
    assert failed[21].startswith("entry: Input tag 'no-such-kind' found using 'kind'")
    prepared = [item for item in items if isinstance(item, batch_store.Prepared)]
    assert len({item.signed.certificate_id for item in prepared}) == len(prepared)
    verification = context(trust, signed_at)
    for item in (prepared[0], prepared[-1]):
        assert isinstance(item.signed, Signed)
        report = verify_payload(item.signed.payload, verification)
        assert report.valid, report.errors
        dcc = eu_dcc.decode(item.signed.payload).dcc
        assert dcc["v"][0]["ci"] == item.signed.certificate_id
        assert dcc["v"][0]["is"] == "core tests"
