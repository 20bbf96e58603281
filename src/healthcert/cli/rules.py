"""``healthcert rules``: the entry rules of destination countries, and certificates against them.

Thin: every command calls ``healthcert.rules``. Heavy imports happen inside the commands so
that mounting this sub-app costs the main CLI nothing at start-up.
"""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from healthcert.cli.common import (
    EXIT_INVALID,
    AtOption,
    TrustCountryOption,
    TrustOption,
    fail,
    require_files,
    verification_context,
)
from healthcert.cli.verdict import (
    GREEN,
    LanguageOption,
    OriginOption,
    PoliciesOption,
    country_code,
    languages,
    load_policies,
    make_judge,
)

if TYPE_CHECKING:
    from rich.padding import Padding
    from rich.table import Table

    from healthcert.rules.policy import Policy
    from healthcert.rules.rule import Rule

app = typer.Typer(
    name="rules",
    help="Entry rules of destination countries: list a country's rules, or check "
    "certificates against them.",
    no_args_is_help=True,
    add_completion=False,
)

DestinationOption = Annotated[
    str,
    typer.Option("--country", help="Destination country whose rules apply (ISO 3166 alpha-2)."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON Lines for programs instead of a table.")
]


@app.command("list")
def list_command(
    country: DestinationOption,
    json_output: JsonOption = False,
    lang: LanguageOption = None,
    policies: PoliciesOption = None,
) -> None:
    """List the rules of a destination's policy, with their descriptions in --lang.

    Exit status: 0, or 1 when there is no policy for the country, 2 on a usage error, 3 when
    a policy file cannot be used.
    """
    destination = country_code(country, "--country")
    language = languages(lang)
    loaded = load_policies(policies)
    policy = loaded.get(destination)
    if policy is None:
        known = ", ".join(loaded.countries()) or "none"
        fail(f"no policy for {destination} (policies: {known})", EXIT_INVALID)
    rules = sorted(policy.rules, key=lambda rule: (rule.identifier, rule.version_key))
    if json_output:
        _print_json_lines(_rule_json(rule, language) for rule in rules)
    else:
        _print_policy(policy, rules, language)


@app.command("check")
def check_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            help="Payloads (HC1:...), or files: a QR image (.png, .jpg) or a text file."
        ),
    ],
    country: DestinationOption,
    origin: OriginOption = None,
    at: AtOption = None,
    lang: LanguageOption = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON report per input (JSON Lines), as verify does."
        ),
    ] = False,
    trust: TrustOption = None,
    trust_country: TrustCountryOption = None,
    policies: PoliciesOption = None,
) -> None:
    """Verify certificates and show each rule of the destination with its outcome.

    Exit status: 0 when every verdict is green, 1 when any is not, 2 on a usage error (a file
    named that does not exist), 3 when the trust sources or policies cannot be used.
    """
    require_files(inputs)
    language = languages(lang)
    judge = make_judge(
        country_code(country, "--country"),
        None if origin is None else country_code(origin, "--from"),
        language,
        load_policies(policies),
    )
    from healthcert import verification as pipeline
    from healthcert.cli.render import ReportPrinter
    from healthcert.inputs import from_arguments

    ctx = verification_context(trust, at, trust_country)
    printer = ReportPrinter(lang=language)
    all_green = True
    for item in from_arguments(inputs):
        report = pipeline.verify_item(item, ctx)
        all_green = judge(report, ctx.clock) == GREEN and all_green
        if json_output:
            sys.stdout.write(report.json_line() + "\n")
        else:
            printer.show_rules(report.to_dict())
    sys.stdout.flush()
    if not all_green:
        raise typer.Exit(EXIT_INVALID)


def _rule_json(rule: Rule, language: str) -> dict[str, Any]:
    return {
        "id": rule.identifier,
        "type": rule.type.value,
        "country": rule.country,
        "region": rule.region,
        "certificate_type": rule.certificate_type.value,
        "version": rule.version,
        "valid_from": rule.valid_from.isoformat(),
        "valid_to": rule.valid_to.isoformat(),
        "affected_fields": list(rule.affected_fields),
        "description": rule.description(language),
    }


def _print_json_lines(documents: Iterator[dict[str, Any]]) -> None:
    for document in documents:
        sys.stdout.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _print_policy(policy: Policy, rules: list[Rule], language: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    from healthcert.rules.policy import localised

    console = Console(highlight=False)
    console.print(
        f"[bold]{escape(policy.country)}[/] policy {escape(policy.version)}  "
        f"[dim]{escape(str(policy.source))}[/]"
    )
    about = localised(policy.description, language)
    if about:
        console.print(escape(about))
    console.print(_risk_summary(policy, language))
    if console.width >= _TABLE_WIDTH:
        console.print(_rules_table(rules, language))
    else:  # a table's description column would wrap to a few characters: one rule per block
        for rule in rules:
            console.print(_rule_block(rule, language))


# Below this terminal width the rules are listed as blocks rather than a table.
_TABLE_WIDTH = 120


def _validity(rule: Rule) -> str:
    return f"{rule.valid_from:%Y-%m-%d} – {rule.valid_to:%Y-%m-%d}"


def _rules_table(rules: list[Rule], language: str) -> Table:
    from rich.markup import escape
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False)
    for column in ("rule", "type", "certificate", "version", "valid"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold")  # Chinese text has no spaces to wrap at
    for rule in rules:
        table.add_row(
            escape(rule.identifier),
            rule.type.value,
            rule.certificate_type.value,
            escape(rule.version),
            _validity(rule),
            escape(rule.description(language)),
        )
    return table


def _rule_block(rule: Rule, language: str) -> Padding:
    """A rule as a heading line and its description indented beneath, for narrow terminals."""
    from rich.console import Group
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    heading = (
        f"[bold]{escape(rule.identifier)}[/]  {rule.type.value} · "
        f"{rule.certificate_type.value} · {escape(rule.version)} · {_validity(rule)}"
    )
    description = Padding(Text(rule.description(language), overflow="fold"), (0, 0, 0, 4))
    return Padding(Group(heading, description), (0, 0, 1, 0))


def _risk_summary(policy: Policy, language: str) -> str:
    from rich.markup import escape

    lines = [f"origin risk: {escape(policy.default_risk)} unless listed"]
    for level in ("medium", "high"):
        origins = sorted(code for code, risk in policy.origin_risk.items() if risk == level)
        requirement = policy.requirement(level, language)
        if origins or requirement:
            listed = ", ".join(origins) or "none listed"
            lines.append(f"  {level}: {escape(listed)} — {escape(requirement or 'no action')}")
    return "\n".join(lines)
