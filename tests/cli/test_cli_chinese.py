"""The command line's human output in Chinese, from its message catalog: chosen by --lang or
by the environment (LC_ALL, LC_MESSAGES, LANG), the verify panel and its verdict, the error
line; the JSON output stays English whatever the language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcert import catalogs
from healthcert.cli import app, messages

from ..rules.certs import CLOCK, Issuer, lab_test, vaccination

runner = CliRunner()


@pytest.fixture(scope="module")
def payload(issuer: Issuer) -> str:
    return issuer.issue(vaccination())


def _verify(dsc_file: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    command = ["verify", "--trust", str(dsc_file), "--at", CLOCK.isoformat(), *args]
    result = runner.invoke(app, command, env=env)
    return result.exit_code, result.output


def test_the_panel_speaks_chinese(dsc_file: Path, payload: str) -> None:
    code, shown = _verify(dsc_file, "--lang", "zh", "--country", "CN", payload)
    assert code == 0, shown
    assert "有效 · 绿色 准予入境" in shown
    assert "持有人    王, 小明 (WANG<<XIAOMING)，出生日期 1985-07-21" in shown
    assert "记录      疫苗接种，第 2/2 剂，2026-10-21 于 DE (德国)" in shown
    assert "疫苗产品  Comirnaty (EU/1/20/1528)" in shown
    assert "核验项目  ✔ 解码  ✔ 数据格式  ✔ 签名  ✔ 有效期  ✔ 密钥用途  ✔ 规则" in shown
    assert "目的地    入境 CN" in shown
    assert "✔ VR-CN-0003 末剂接种后须满14天。" in shown
    for english in ("VALID", "holder", "born", "vaccination", "checks", "may enter"):
        assert english not in shown


def test_the_same_panel_in_english(dsc_file: Path, payload: str) -> None:
    code, shown = _verify(dsc_file, "--lang", "en", "--country", "CN", payload)
    assert code == 0, shown
    assert "VALID · GREEN may enter" in shown
    assert "王, 小明 (WANG<<XIAOMING), born 1985-07-21" in shown
    assert "vaccination, dose 2/2 on 2026-10-21 in DE (Germany)" in shown
    assert "✔ decode  ✔ schema  ✔ signature  ✔ validity_period  ✔ key_usage  ✔ rules" in shown


@pytest.mark.parametrize(
    ("environment", "chinese"),
    [
        ({"LANG": "zh_CN.UTF-8"}, True),
        ({"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, False),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "zh_TW.UTF-8"}, True),
        ({"LANG": "fr_FR.UTF-8"}, False),
    ],
)
def test_the_environment_chooses_without_lang(
    dsc_file: Path,
    payload: str,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    chinese: bool,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, shown = _verify(dsc_file, payload)
    assert code == 0, shown
    assert ("─ 有效 ─" in shown) is chinese
    assert ("─ VALID ─" in shown) is not chinese


def test_lang_wins_over_the_environment(
    dsc_file: Path, payload: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    _, shown = _verify(dsc_file, "--lang", "en", payload)
    assert "─ VALID ─" in shown


def test_a_red_verdict_and_a_test_read_in_chinese(dsc_file: Path, issuer: Issuer) -> None:
    code, shown = _verify(
        dsc_file, "--lang", "zh", "--country", "CN", issuer.issue(lab_test(hours_before=200))
    )
    assert code == 1
    assert "有效 · 红色 不予入境" in shown
    assert "检测，2026-11-12T00:00:00Z 于 DE (德国) 采样" in shown
    assert "原因" in shown


def test_the_json_output_is_the_same_in_every_language(dsc_file: Path, payload: str) -> None:
    lines = {}
    for lang in ("en", "zh"):
        code, shown = _verify(dsc_file, "--json", "--lang", lang, payload)
        assert code == 0
        lines[lang] = json.loads(shown)
    assert lines["zh"] == lines["en"]
    assert lines["zh"]["checks"]["validity_period"] is True


def test_errors_are_written_in_chinese(dsc_file: Path) -> None:
    code, shown = _verify(dsc_file, "--lang", "zh", "no-such-file.png")
    assert code == 2
    assert "错误： no-such-file.png：文件不存在" in shown
    code, shown = _verify(dsc_file, "--lang", "zh", "--at", "tomorrow", "HC1:X")
    assert code == 2
    assert "错误： --at 'tomorrow' 不是 ISO 8601 日期或日期时间" in shown
    result = runner.invoke(app, ["verify", "--lang", "zh"])
    assert result.exit_code == 2
    assert "错误： 没有要核验的内容：请给出输入参数或 --batch 文件" in result.output


def test_a_wrong_language_code_is_a_usage_error(dsc_file: Path, payload: str) -> None:
    code, shown = _verify(dsc_file, "--lang", "chinese!", payload)
    assert code == 2
    assert "error: --lang 'chinese!' is not a language code such as en, zh or de" in shown


def test_one_run_does_not_leave_its_language_to_the_next(dsc_file: Path, payload: str) -> None:
    _verify(dsc_file, "--lang", "zh", payload)
    result = runner.invoke(app, ["rules", "list", "--country", "ZZ"])
    assert result.exit_code == 1
    assert "error: no policy for ZZ" in result.output
    assert messages.current() == "en"


def test_every_message_of_the_command_line_has_its_chinese() -> None:
    from babel.messages.pofile import read_po

    with (messages.LOCALES / "cli.pot").open("rb") as file:
        wanted = {message.id for message in read_po(file) if message.id}
    source = messages.LOCALES / "zh" / "LC_MESSAGES" / "cli.po"
    with source.open("rb") as file:
        catalog = read_po(file, locale="zh")
    done = {m.id: m.string for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert len(wanted) > 60
    assert wanted - set(done) == set()
    # The command line reads its source catalog without Babel, and reads it the same.
    assert catalogs.read_po(source.read_text(encoding="utf-8")) == done
    # Every placeholder of the English text is kept in the Chinese.
    for message, translation in done.items():
        assert sorted(_fields(message)) == sorted(_fields(str(translation))), message


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_english_reads_no_catalog(dsc_file: Path, payload: str) -> None:
    """English is the source text: no catalog is read for it; Chinese reads its own once."""
    messages._catalogs.clear()
    _verify(dsc_file, "--lang", "en", payload)
    assert messages._catalogs == {}
    _verify(dsc_file, "--lang", "zh", payload)
    assert set(messages._catalogs) == {"zh"}


def test_a_forged_certificate_says_why_in_chinese(dsc_file: Path) -> None:
    from ..rules.certs import make_issuer

    forged = make_issuer("DE").issue(vaccination())
    code, shown = _verify(dsc_file, "--lang", "zh", forged)
    assert code == 1
    assert "─ 无效 ─" in shown
    assert "KID_UNKNOWN 没有受信任的密钥具有此密钥标识（kid）" in shown
    code, shown = _verify(dsc_file, "--lang", "en", forged)
    assert "KID_UNKNOWN no trusted key has this kid" in shown


def test_every_error_code_has_its_meaning() -> None:
    from healthcert.cli.error_texts import error_text
    from healthcert.report import ErrorCode

    messages.choose("zh")
    try:
        meanings = {code: error_text(code) for code in ErrorCode}
    finally:
        messages.choose(None)
    assert [code for code, text in meanings.items() if not text] == []
    assert meanings[ErrorCode.EXPIRED] == "已过期"
