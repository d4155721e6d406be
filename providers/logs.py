"""Provider logging: inside `python -m pulumi.dynamic` nobody configures logging, and
`pulumi.log` cannot be used from provider code, so the providers' own records go to stderr,
which the engine passes through. GPU_MLAAS_LOG_LEVEL (default INFO) sets the level."""

from __future__ import annotations

import logging
import os
import sys


def log_to_stderr_in_provider_host() -> None:
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is None or spec.name != "pulumi.dynamic.__main__" or logging.getLogger().handlers:
        return
    package = logging.getLogger("providers")
    if package.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    package.addHandler(handler)
    package.setLevel(os.environ.get("GPU_MLAAS_LOG_LEVEL", "INFO").upper())
