"""The example project under gunicorn as the end-to-end benchmarks run it."""

from __future__ import annotations

from tests.integration.test_gunicorn_example import ExampleDeployment


class KeepAliveDeployment(ExampleDeployment):
    """As deployed behind a keep-alive proxy: two gthread workers that keep connections open
    (gunicorn's default sync worker closes each one, and the reconnect would be timed for both
    variants alike and dilute what is measured), and no access log (written for both alike)."""

    worker_options = ("--worker-class", "gthread", "--threads", "2", "--keep-alive", "30")
    access_log = False
