"""Benchmark of SMART Health Card verification against the raw ECDSA P-256 verification.

    .venv/bin/python bench/bench_shc.py [--count 5000] [--rounds 3]

Issues COUNT distinct cards (shc:/ QR texts), then times, in the same process and alternately,
``formats.shc.verify_into`` over all of them (numeric decoding, JWS, DEFLATE, JSON, issuer
binding, signature, FHIR mapping to the canonical model, validity, revocation) and raw ECDSA
P-256 verification of the same signatures with ``cryptography``. The best of ROUNDS is kept
for each. Prints both rates and their ratio (the target is >= 0.6). Not a test: nothing asserts.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcert.codec import jws
from healthcert.formats import shc
from healthcert.formats.base import VerificationContext
from healthcert.model.certificate import Certificate
from healthcert.report import Report
from healthcert.trust.shc_issuers import ShcIssuers
from healthcert.trust.store import TrustStore

ISS = "https://health.example.org/shc"


def _certificate(index: int) -> Certificate:
    return Certificate.model_validate(
        {
            "holder": {
                "family_name": f"Anyperson-Gößinger {_letters(index)}",
                "given_name": "John B.",
                "date_of_birth": "1951-01-20",
            },
            "entry": {
                "kind": "vaccination",
                "vaccine": "1119349007",
                "product": "EU/1/20/1507",
                "manufacturer": "ORG-100031184",
                "dose_number": 3,
                "total_doses": 3,
                "date": "2022-09-05",
                "country": "US",
                "issuer": "Example Health",
                "certificate_id": f"rid{index:08d}",
            },
        }
    )


def _letters(index: int) -> str:
    """A distinct name part per index (names hold letters only)."""
    letters = ""
    while True:
        index, digit = divmod(index, 26)
        letters += chr(ord("a") + digit)
        if not index:
            return letters.capitalize()


def _cards(key: ec.EllipticCurvePrivateKey, count: int, nbf: datetime) -> list[str]:
    return [
        shc.to_numeric(shc.encode(_certificate(index), key, None, ISS, nbf, rid=f"r{index}"))
        for index in range(count)
    ]


def _raw_work(cards: list[str]) -> list[tuple[bytes, bytes]]:
    """(DER signature, signed bytes) of each card, prepared outside the timed loop."""
    work = []
    for card in cards:
        decoded = shc.decode(card)
        signature = decoded.signature
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        work.append((der, decoded.signing_input))
    return work


def _time_raw(key: ec.EllipticCurvePublicKey, work: list[tuple[bytes, bytes]]) -> float:
    algorithm = ec.ECDSA(hashes.SHA256())
    start = time.process_time()
    for der, message in work:
        key.verify(der, message, algorithm)
    return time.process_time() - start


def _time_shc(cards: list[str], context: VerificationContext) -> float:
    reports = [Report(input="bench") for _ in cards]
    start = time.process_time()
    for report, card in zip(reports, cards, strict=True):
        shc.verify_into(report, card, context)
    elapsed = time.process_time() - start
    failed = next((report for report in reports if not report.valid), None)
    if failed is not None:
        raise SystemExit(f"a card did not verify: {failed.as_json()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    count = arguments.count
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC).replace(microsecond=0)
    cards = _cards(key, count, now - timedelta(days=1))
    issuers = ShcIssuers()
    jwk = {**jws.public_jwk(key.public_key()), "use": "sig", "alg": "ES256"}
    issuers.add_jwks(ISS, {"keys": [{**jwk, "kid": jws.jwk_thumbprint(jwk)}]}, country="US")
    issuers.add_crl(ISS, {"kid": jws.jwk_thumbprint(jwk), "method": "rid", "ctr": 1, "rids": ["x"]})
    context = VerificationContext(trust=TrustStore(), clock=now, shc_issuers=issuers)
    work = _raw_work(cards)
    _time_shc(cards[:200], context)  # warm up: lazy imports, code tables
    raw_best = shc_best = float("inf")
    for _ in range(arguments.rounds):
        raw_best = min(raw_best, _time_raw(key.public_key(), work))
        shc_best = min(shc_best, _time_shc(cards, context))
    _report(count, sum(len(card) for card in cards) / count, raw_best, shc_best)


def _report(count: int, size: float, raw: float, verified: float) -> None:
    raw_rate, shc_rate = count / raw, count / verified
    print(f"cards                            {count}   (shc:/ text, {size:.0f} characters each)")
    print(f"raw ECDSA P-256 verify           {raw_rate:10.0f} /s   ({raw / count * 1e6:.1f} us)")
    print(
        f"shc.verify_into                  {shc_rate:10.0f} /s   ({verified / count * 1e6:.1f} us)"
    )
    print(f"ratio                            {shc_rate / raw_rate:10.2f}   (target >= 0.60)")


if __name__ == "__main__":
    main()
