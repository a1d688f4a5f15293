"""Settings of the load benchmark (``test_load_bench.py``): the example project as it ships
(its middleware, response signing on, the store of ``REDIS_URL`` or the database table), plus
DRF's token table, the benchmark views of ``load_urls`` and persistent database connections (as
a production deployment keeps them: without, every request that touches PostgreSQL opens a
connection, and that dwarfs what is measured). ``SIGNED_API_LOAD_SQLITE_INIT``
(e.g. ``PRAGMA journal_mode=WAL``) becomes SQLite's ``init_command``, to compare journal modes."""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
ROOT_URLCONF = "tests.benchmarks.load_urls"
DATABASES["default"]["CONN_MAX_AGE"] = 300
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

_SQLITE_INIT = os.environ.get("SIGNED_API_LOAD_SQLITE_INIT")
if _SQLITE_INIT and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = _SQLITE_INIT
