"""Settings of ``test_raw_socket_gunicorn.py``: the test settings, a URLconf with a view at ``/``
(where an absolute-form target with an empty path lands), and a SQLite file every gunicorn
worker shares (``DATABASE_URL``)."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.integration.raw_socket_urls"
ALLOWED_HOSTS = ["127.0.0.1"]
