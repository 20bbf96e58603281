"""Benchmark: verifying sealed certificates (HCS1:) beside the same certificates unsealed.

    .venv/bin/python bench/bench_sealed.py [--count 1000]

Issues COUNT distinct EU DCCs, seals each to a border key, then times in the same run, best
of ROUNDS rounds each: the library verifying the unsealed payloads and the sealed ones, one
by one and as a batch; the raw ECDSA P-256 verification of the same signatures and the raw
ECDH P-256 of the same ephemeral keys, with `cryptography`. Sealing adds one ECDH (and a
little AES-GCM and HKDF) to each verification, so sealed should cost at most twice unsealed.
Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.codec import base45, cose
from healthcert.formats import cwt
from healthcert.formats.sealed import payload as sealed
from healthcert.issuance import issue_hc1_many, parse_request
from healthcert.keys.border import border_public_key, create_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import signer_from
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload, verify_payloads

ROUNDS = 5
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _request(index: int) -> dict[str, object]:
    return {
        "holder": {
            "family_name": "Musterfrau",
            "given_name": "Erika",
            "date_of_birth": "1964-08-12",
        },
        "entry": {
            "kind": "vaccination",
            "vaccine": "J07BX03",
            "product": "EU/1/20/1528",
            "manufacturer": "ORG-100030215",
            "dose_number": 2,
            "total_doses": 2,
            "date": "2026-10-01",
            "country": "AT",
            "issuer": "Ministry of Health, Austria",
            "certificate_id": f"URN:UVCI:01:AT:{index:032X}#B",
        },
    }


def _best_of_rounds(work: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Each timing's best over ROUNDS rounds, every round running all of them in turn: on a
    shared machine, a busy minute then slows every timing alike rather than one of them."""
    best = dict.fromkeys(work, float("inf"))
    for _ in range(ROUNDS):
        for label, function in work.items():
            start = time.perf_counter()
            function()
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def _raw_ecdsa(payloads: list[str], key: ec.EllipticCurvePublicKey) -> Callable[[], None]:
    """Verifying each payload's signature with cryptography alone, the DER made beforehand."""
    work = []
    for payload in payloads:
        sign1 = cwt.decode_sign1(cwt.inflate(base45.decode(payload[4:])))
        r, s = sign1.signature[:32], sign1.signature[32:]
        der = encode_dss_signature(int.from_bytes(r, "big"), int.from_bytes(s, "big"))
        work.append((der, cose.signed_bytes(sign1.protected_raw, sign1.payload)))
    ecdsa = ec.ECDSA(hashes.SHA256())
    return lambda: [key.verify(der, message, ecdsa) for der, message in work]


def _raw_ecdh(texts: list[str], key: ec.EllipticCurvePrivateKey) -> Callable[[], None]:
    """The one ECDH each sealed payload costs: loading its ephemeral key and the exchange."""
    points = []
    for text in texts:
        item = cbor2.loads(base45.decode(text[len(sealed.PREFIX) :]))
        ephemeral = item.value[3][0][1][-1]
        points.append(b"\x04" + ephemeral[-2] + ephemeral[-3])
    curve = ec.SECP256R1()

    def run() -> None:
        for point in points:
            key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, point))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    count = parser.parse_args().count

    csca = create_csca("AT", now=NOW - timedelta(days=30))
    dsc = create_dsc(csca, now=NOW - timedelta(days=30))
    border = create_border_key(create_csca("CN", now=NOW - timedelta(days=30)))
    requests = [parse_request(_request(index)) for index in range(count)]
    payloads = [
        p for p in issue_hc1_many(requests, signer_from(dsc), now=NOW) if isinstance(p, str)
    ]
    recipient = border_public_key(border.certificate)
    texts = [sealed.seal(payload, recipient) for payload in payloads]

    store = TrustStore()
    store.add_batch(import_certificates(dsc.certificate.public_bytes(Encoding.PEM), "dsc.pem"))
    ctx = context(store, NOW + timedelta(hours=1), unseal_keys=[border.private_key])
    checks = verify_payloads([(text, None) for text in texts], ctx)
    if not all(report.valid and report.checks.get("sealed") for report in checks):
        raise SystemExit("a sealed payload did not verify")

    public = dsc.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    timings = _best_of_rounds(
        {
            "raw ECDSA P-256 verify": _raw_ecdsa(payloads, public),
            "raw ECDH P-256": _raw_ecdh(texts, border.private_key),
            "unsealed, one by one": lambda: [verify_payload(p, ctx) for p in payloads],
            "sealed, one by one": lambda: [verify_payload(t, ctx) for t in texts],
            "unsealed, batch": lambda: verify_payloads([(p, None) for p in payloads], ctx),
            "sealed, batch": lambda: verify_payloads([(t, None) for t in texts], ctx),
        }
    )
    raw = timings["raw ECDSA P-256 verify"]
    print(f"{count} EU DCCs, {len(payloads[0])} characters bare, {len(texts[0])} sealed")
    for label, seconds in timings.items():
        micros = seconds / count * 1e6
        print(f"  {label:<24} {micros:8.1f} us each  {seconds / raw:5.2f}x raw ECDSA verify")
    for way in ("one by one", "batch"):
        ratio = timings[f"sealed, {way}"] / timings[f"unsealed, {way}"]
        print(f"  sealed / unsealed, {way}: {ratio:.2f}x (budget 2x)")


if __name__ == "__main__":
    main()
