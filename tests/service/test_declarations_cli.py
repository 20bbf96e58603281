"""``healthcert declarations`` and officers' keys from the terminal, on a fresh SQLite file:
the same use cases as the consular API."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from healthcert.cli import app
from tests.service.declaration_steps import body


def _filed(url: str, residence: str) -> int:
    from healthcert.declarations.filing import file_declaration
    from healthcert.service.context import open_context
    from healthcert.service.signin import Person

    ctx = open_context(url)
    try:
        person = Person.of("passport", "CN", "E1234567", "1985-07-21")
        return file_declaration(ctx, person, body(residence=residence)).id
    finally:
        ctx.engine.dispose()


def test_an_officer_key_covers_countries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    command = ["apikey", "create", "--role", "officer", "--countries", "US,ca", "--url", url]
    created = runner.invoke(app, [*command, "--label", "New York"])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["apikey", "list", "--url", url]).output
    assert listed.split("\n")[0].endswith("\tactive\tCA,US"), listed
    refused = runner.invoke(
        app,
        [*command[:2], "--role", "recorder", "--countries", "US", "--label", "Lab", "--url", url],
    )
    assert refused.exit_code == 2
    assert "only an officer's key covers countries" in refused.output
    wrong = runner.invoke(
        app, [*command[:2], "--role", "officer", "--countries", "USA", "--label", "x", "--url", url]
    )
    assert wrong.exit_code == 2
    assert "not ISO 3166-1 alpha-2 codes: USA" in wrong.output


def test_a_post_reviews_from_the_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    american, british = _filed(url, "US"), _filed(url, "GB")

    listed = runner.invoke(
        app, ["declarations", "list", "--countries", "US", "--json", "--url", url]
    )
    assert listed.exit_code == 0, listed.output
    assert [row["id"] for row in json.loads(listed.output)] == [american]
    everything = runner.invoke(app, ["declarations", "list", "--url", url]).output
    assert [int(line.split("\t")[0]) for line in everything.splitlines()] == [american, british]

    hidden = runner.invoke(
        app, ["declarations", "show", str(british), "--countries", "US", "--url", url]
    )
    assert hidden.exit_code == 1
    assert f"no declaration {british}" in hidden.output
    shown = runner.invoke(app, ["declarations", "show", str(american), "--url", url])
    assert f"declaration {american}: submitted (version 1)" in shown.output

    no_reason = ["declarations", "decide", str(american), "--decision", "reject", "--url", url]
    refused = runner.invoke(app, no_reason)
    assert refused.exit_code == 2
    assert "reason: a reason is required to reject" in refused.output
    decided = runner.invoke(
        app,
        [*no_reason, "--reason", "no test", "--officer", "consul", "--json"],
    )
    assert decided.exit_code == 0, decided.output
    history = json.loads(decided.output)["history"]
    assert history[-1] | {"at": ""} == {
        "at": "",
        "actor": "officer:consul",
        "status": "rejected",
        "reason": "no test",
    }
    again = runner.invoke(app, [*no_reason, "--reason", "twice"])
    assert again.exit_code == 1
    assert "the declaration is rejected: it cannot become rejected" in again.output


def test_a_post_reads_the_terminal_in_chinese(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    filed = _filed(url, "US")
    zh = ["--lang", "zh", "--url", url]

    listed = runner.invoke(app, ["declarations", "list", *zh]).output
    assert listed.startswith(f"{filed}\t待审核\tUS->CN\t")
    shown = runner.invoke(app, ["declarations", "show", str(filed), *zh]).output
    assert f"申报 {filed}：待审核（版本 1）" in shown
    assert "行程：New York，US -> PEK，CN，出发时间 " in shown
    assert "（CA982）" in shown
    decide = ["declarations", "decide", str(filed), "--decision", "request_documents"]
    refused = runner.invoke(app, [*decide, *zh])
    assert refused.exit_code == 2
    assert "错误： reason: a reason is required to request_documents" in refused.output
    decided = runner.invoke(app, [*decide, "--reason", "请补充核酸检测报告", *zh])
    assert decided.exit_code == 0, decided.output
    assert decided.output == f"申报 {filed}：已要求补充材料\n"
    # The same environment without --lang: LANG names the language.
    english = runner.invoke(
        app, ["declarations", "show", str(filed), "--url", url], env={"LANG": "en_US.UTF-8"}
    )
    assert f"declaration {filed}: documents_requested (version 2)" in english.output
    chinese = runner.invoke(
        app, ["declarations", "show", str(filed), "--url", url], env={"LANG": "zh_CN.UTF-8"}
    )
    assert f"申报 {filed}：已要求补充材料（版本 2）" in chinese.output
