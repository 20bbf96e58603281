"""Metrics shared by the workers of one ``serve``: prometheus-client's multiprocess mode, in a
folder of this server's own that no earlier run left values in."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics() -> str:
    """Point the metrics at a fresh folder (the operator's, emptied, when VARIABLE is set),
    removed at exit when it is ours. Must run before ``service.metrics`` is imported."""
    configured = os.environ.get(VARIABLE, "").strip()
    if configured:
        for name in os.listdir(configured):
            if name.endswith(".db"):
                os.unlink(os.path.join(configured, name))
        return configured
    folder = tempfile.mkdtemp(prefix="healthcert-metrics-")
    # Only the supervisor runs exit handlers: its workers leave with os._exit.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    os.environ[VARIABLE] = folder
    return folder
