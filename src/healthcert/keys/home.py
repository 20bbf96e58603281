"""Where healthcert keeps its state: ``$HEALTHCERT_HOME`` or ``~/.local/share/healthcert``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

HOME_ENV = "HEALTHCERT_HOME"


def healthcert_home(environ: Mapping[str, str] | None = None) -> Path:
    """The state directory (not created here: readers must not leave folders behind)."""
    value = (os.environ if environ is None else environ).get(HOME_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    return Path.home() / ".local" / "share" / "healthcert"
