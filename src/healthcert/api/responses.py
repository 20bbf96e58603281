"""A JSON response written with orjson: reports go out as they are, without FastAPI's
per-field encoding pass (which cost more than verifying the certificate)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JsonBytes(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
