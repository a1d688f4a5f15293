"""Settings of the end-to-end benchmarks (``test_refusal_signing_bench.py``,
``test_ohttp_bench.py``): the example project as it ships, with persistent database connections
(as a production deployment keeps them: without, every request on PostgreSQL opens a connection,
and that would dilute what is measured), and ``SERVER_SIGNATURES`` from
``BENCH_SERVER_SIGNATURES`` (``app``, the default, or ``none`` for the refusal benchmark's
unsigned baseline, run side by side)."""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import DATABASES, SIGNED_API

DATABASES["default"]["CONN_MAX_AGE"] = 300
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

_SCOPE = os.environ.get("BENCH_SERVER_SIGNATURES", "app")
SIGNED_API = {**SIGNED_API, "SERVER_SIGNATURES": None if _SCOPE == "none" else _SCOPE}
