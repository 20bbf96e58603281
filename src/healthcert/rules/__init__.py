"""Entry rules: the CertLogic engine, EU validation rule sets, destination policies, verdicts.

``healthcert.rules.evaluate(logic, data)`` returns the value of a CertLogic expression and
``healthcert.rules.validate(logic)`` the problems of one; both load the engine on first use.
"""

from __future__ import annotations

from typing import Any


def evaluate(logic: Any, data: Any) -> Any:
    """The value of CertLogic ``logic`` on ``data``; CertLogicError when it cannot be computed."""
    # why: the engine loads with the first rule; importing the package stays free
    from healthcert.rules.certlogic import evaluate as evaluate_logic

    return evaluate_logic(logic, data)


def validate(logic: Any) -> list[str]:
    """The problems of a CertLogic expression; empty when it is well-formed."""
    # why: as in evaluate
    from healthcert.rules.certlogic import validate as validate_logic

    return validate_logic(logic)
