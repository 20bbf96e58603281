"""How fast a typical EU acceptance rule evaluates, against ECDSA P-256 verification.

Run: ``.venv/bin/python bench/bench_certlogic.py [--seconds 0.4]``

The rule is the usual vaccination acceptance rule (product in the value set, series complete,
at least 14 and at most 270 days after the last dose) on a realistic DCC payload. Three figures:

* hot: the same certificate and clock again and again, as at a gate (date parsing memoised);
* cold: a different validation clock on every evaluation, so every clock string is parsed anew;
* yardstick: ``cryptography``'s ECDSA P-256 verification of one signature, in the same run.

The ratio says how many rule evaluations cost as much as one signature check.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.rules.ruleset import Rule, build_rule_data, parse_rule, run_rule

TARGET_PER_SECOND = 50_000

VACCINATION_RULE: dict[str, Any] = {
    "Identifier": "VR-DE-0003",
    "Type": "Acceptance",
    "Country": "DE",
    "Version": "1.0.0",
    "SchemaVersion": "1.3.0",
    "Engine": "CERTLOGIC",
    "EngineVersion": "1.3.2",
    "CertificateType": "Vaccination",
    "Description": [
        {
            "lang": "en",
            "desc": "An authorised vaccine, the full series, at least 14 and at most 270 days ago.",
        }
    ],
    "ValidFrom": "2021-07-01T00:00:00Z",
    "ValidTo": "2030-06-01T00:00:00Z",
    "AffectedFields": ["v.0", "v.0.mp", "v.0.dn", "v.0.sd", "v.0.dt"],
    "Logic": {
        "if": [
            {"var": "payload.v.0"},
            {
                "and": [
                    {
                        "in": [
                            {"var": "payload.v.0.mp"},
                            {"var": "external.valueSets.vaccines-covid-19-names"},
                        ]
                    },
                    {">=": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]},
                    {
                        "not-before": [
                            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                            {"plusTime": [{"var": "payload.v.0.dt"}, 14, "day"]},
                        ]
                    },
                    {
                        "not-after": [
                            {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                            {"plusTime": [{"var": "payload.v.0.dt"}, 270, "day"]},
                        ]
                    },
                ]
            },
            True,
        ]
    },
}

PAYLOAD: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Gabriele", "gnt": "GABRIELE"},
    "dob": "1998-02-26",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-06-01",
            "co": "AT",
            "is": "Ministry of Health, Austria",
            "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
        }
    ],
}

VALUE_SETS = {
    "vaccines-covid-19-names": [
        "EU/1/20/1528",
        "EU/1/20/1507",
        "EU/1/21/1529",
        "EU/1/20/1525",
        "EU/1/21/1618",
        "NVX-CoV2373",
        "Covaxin",
        "BBIBP-CorV",
        "CoronaVac",
        "Sputnik-V",
    ],
}
CLOCK = datetime(2021, 9, 1, 10, 30, tzinfo=UTC)


def _data(clock: datetime) -> dict[str, Any]:
    return build_rule_data(
        PAYLOAD,
        validation_clock=clock,
        value_sets=VALUE_SETS,
        country_code="DE",
        exp=int((clock + timedelta(days=300)).timestamp()),
        iat=int((clock - timedelta(days=90)).timestamp()),
        kid=b"\xd9\x19\x37\x5f\xc1\xe7\xb6\xb2",
    )


def _per_second(function: Callable[[], object], seconds: float) -> float:
    """Calls per second: best of three runs of about ``seconds`` each (gc off, as timeit does)."""
    timer = timeit.Timer(function)
    calls, _ = timer.autorange()
    calls = max(1, int(calls * seconds / 0.2))
    best = min(timer.repeat(repeat=3, number=calls))
    return calls / best


def _cold_evaluations(rule: Rule, seconds: float) -> float:
    """Every call sees a validation clock string it has not parsed before."""
    count = 60_000
    datas = [_data(CLOCK + timedelta(seconds=index)) for index in range(count)]
    position = iter(range(10**12))

    def evaluate_next() -> object:
        return rule.evaluate(datas[next(position) % count])

    return _per_second(evaluate_next, seconds)


def _ecdsa_verifications(seconds: float) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    public_key = key.public_key()
    message = b"\x84jSignature1C\xa1\x01&@" + bytes(300)  # a COSE Sig_structure-sized input
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    algorithm = ec.ECDSA(hashes.SHA256())
    return _per_second(lambda: public_key.verify(signature, message, algorithm), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.4, help="length of each timing run")
    seconds = parser.parse_args().seconds

    rule = parse_rule(VACCINATION_RULE)
    data = _data(CLOCK)
    if rule.evaluate(data) is not True:
        raise SystemExit("benchmark rule does not pass on its payload: the setup is wrong")

    hot = _per_second(lambda: rule.evaluate(data), seconds)
    with_outcome = _per_second(lambda: run_rule(rule, data), seconds)
    cold = _cold_evaluations(rule, seconds)
    verify = _ecdsa_verifications(seconds)

    print("CertLogic: typical vaccination acceptance rule on a realistic DCC payload")
    for label, rate in (
        ("  evaluate, hot (same clock)     ", hot),
        ("  run_rule (+ outcome record)    ", with_outcome),
        ("  evaluate, cold (new clock each)", cold),
        ("ECDSA P-256 verify (cryptography)", verify),
    ):
        print(f"{label}  {rate:12,.0f} /s  {1e6 / rate:7.2f} µs")
    print(f"ratio hot evaluations per verify   {hot / verify:12,.1f}")
    print(f"ratio cold evaluations per verify  {cold / verify:12,.1f}")
    status = "meets" if hot >= TARGET_PER_SECOND else "BELOW"
    print(f"target {TARGET_PER_SECOND:,} evaluations/s: {status}")


if __name__ == "__main__":
    main()
