"""healthcert: issue and verify international travel health certificates offline.

The library in a few lines::

    import healthcert

    trust = healthcert.TrustStore.from_paths(["dsc.pem", "eu-list.json"])
    report = healthcert.verify("HC1:...", trust=trust)
    report.valid, [error.code for error in report.errors], report.to_dict()
    for report in healthcert.verify_many(payloads, trust=trust, workers=2): ...
    report = healthcert.verify("HC1:...", trust=trust, country="CN", origin="DE")  # + verdict

    signer = healthcert.Signer.load()  # HEALTHCERT_HOME, HEALTHCERT_KEY_PASSPHRASE
    payload = healthcert.issue(request, signer=signer, format="eu-dcc")

Verification never raises for what a payload holds: every failure is an ``ErrorCode`` in the
report. Exceptions (``HealthcertError`` and its kinds) are for misuse and configuration.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from healthcert.batch import verify_many
    from healthcert.errors import (
        ConfigurationError,
        HealthcertError,
        KeyStoreError,
        RequestError,
        TrustStoreError,
    )
    from healthcert.issuance import IssueRequest, issue
    from healthcert.keys.signer import Signer
    from healthcert.model.certificate import Certificate
    from healthcert.report import ErrorCode, Report, ReportError
    from healthcert.rules.policy import Policies, load_policies
    from healthcert.rules.verdict import Verdict
    from healthcert.trust.store import TrustStore
    from healthcert.verification import verify

# Each public name and the module that defines it. They load on first use: every command
# imports this package, and `healthcert --help` has no need of cryptography or the models.
_DEFINED_IN = {
    "verify": "healthcert.verification",
    "verify_many": "healthcert.batch",
    "issue": "healthcert.issuance",
    "IssueRequest": "healthcert.issuance",
    "Certificate": "healthcert.model.certificate",
    "TrustStore": "healthcert.trust.store",
    "Signer": "healthcert.keys.signer",
    "Report": "healthcert.report",
    "ReportError": "healthcert.report",
    "ErrorCode": "healthcert.report",
    "Verdict": "healthcert.rules.verdict",
    "Policies": "healthcert.rules.policy",
    "load_policies": "healthcert.rules.policy",
    "HealthcertError": "healthcert.errors",
    "ConfigurationError": "healthcert.errors",
    "KeyStoreError": "healthcert.errors",
    "TrustStoreError": "healthcert.errors",
    "RequestError": "healthcert.errors",
}

__all__ = [
    "Certificate",
    "ConfigurationError",
    "ErrorCode",
    "HealthcertError",
    "IssueRequest",
    "KeyStoreError",
    "Policies",
    "Report",
    "ReportError",
    "RequestError",
    "Signer",
    "TrustStore",
    "TrustStoreError",
    "Verdict",
    "__version__",
    "issue",
    "load_policies",
    "verify",
    "verify_many",
]


def __getattr__(name: str) -> Any:
    module = _DEFINED_IN.get(name)
    if module is None:
        raise AttributeError(f"module 'healthcert' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next look-up is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
