"""Settings of the deployment tests (test_sqlite_races.py, test_no_secret_in_logs.py): the
example project as deployed on a SQLite file, with a guessing budget large enough for the wrong
codes the races make.

``TESTS_LOG_EVERYTHING=1`` sends every logger (``django.request``, SQL with its parameters when
``DJANGO_DEBUG=1``, signed_api) at DEBUG to the console, i.e. to gunicorn's log.

``TESTS_SQLITE_PLAIN=1`` drops the SQLite options the example project sets (busy timeout,
``transaction_mode``): what a project gets that did not follow docs/sessions.md, or runs
Django 4.2, where ``transaction_mode`` does not exist. The flows must hold either way.
"""

import os

from example_project.settings import *  # noqa: F403
from example_project.settings import DATABASES, SIGNED_API

SIGNED_API = {
    **SIGNED_API,
    "LOGIN_FAILURES_PER_USERNAME": 100_000,
    "LOGIN_FAILURES_PER_ADDRESS": 100_000,
}

# Hashing passwords slowly would only slow the races' many logins down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if os.environ.get("TESTS_SQLITE_PLAIN") == "1":
    DATABASES["default"] = {
        k: v for k, v in DATABASES["default"].items() if k != "OPTIONS"
    }

if os.environ.get("TESTS_LOG_EVERYTHING") == "1":
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler", "level": "DEBUG"}},
        "root": {"handlers": ["console"], "level": "DEBUG"},
        "loggers": {
            name: {"handlers": [], "level": "DEBUG", "propagate": True}
            for name in ("django", "django.request", "django.db.backends", "signed_api")
        },
    }
