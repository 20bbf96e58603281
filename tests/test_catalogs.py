"""The gettext catalogs the pages and the command line share: the compiled catalog while it
is as new as its source, else the source itself (read without Babel), else English."""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from healthcert import catalogs


def _write(folder: Path, translations: dict[str, str], *, compiled: bool) -> Path:
    catalog = Catalog(locale="zh")
    for message, translation in translations.items():
        catalog.add(message, translation)
    catalog.add("unsure", "不确定", flags=["fuzzy"])
    catalog.add('a "quoted"\nline', "带引号的\n一行")
    messages = folder / "zh" / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    with (messages / "demo.po").open("wb") as file:
        write_po(file, catalog)
    if compiled:
        with (messages / "demo.mo").open("wb") as file:
            write_mo(file, catalog)
    return messages


def test_the_source_is_read_when_nothing_is_compiled(tmp_path: Path) -> None:
    _write(tmp_path, {"Sign in": "登录"}, compiled=False)
    catalog = catalogs.load(tmp_path, "demo", "zh")
    assert isinstance(catalog, catalogs.SourceCatalog)
    assert catalog.gettext("Sign in") == "登录"
    assert catalog.gettext('a "quoted"\nline') == "带引号的\n一行"
    assert catalog.gettext("unsure") == "unsure"  # fuzzy: not trusted
    assert catalog.gettext("Elsewhere") == "Elsewhere"


def test_a_compiled_catalog_older_than_its_source_gives_way(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"Sign in": "登录"}, compiled=True)
    assert not isinstance(catalogs.load(tmp_path, "demo", "zh"), catalogs.SourceCatalog)
    assert catalogs.load(tmp_path, "demo", "zh").gettext("Sign in") == "登录"
    source = folder / "demo.po"
    source.write_text(source.read_text(encoding="utf-8").replace("登录", "登入"), "utf-8")
    later = (folder / "demo.mo").stat().st_mtime + 5
    os.utime(source, (later, later))
    assert catalogs.load(tmp_path, "demo", "zh").gettext("Sign in") == "登入"


def test_a_language_without_a_catalog_reads_english(tmp_path: Path) -> None:
    assert catalogs.load(tmp_path, "demo", "fr").gettext("Sign in") == "Sign in"
