"""Settings of the load benchmark (``test_load_bench.py``): the example project as it ships
(its middleware, response signing on, the store of ``REDIS_URL`` or the database table), plus
DRF's token table and the benchmark views of ``load_urls``."""

from example_project.settings import *  # noqa: F403
from example_project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework.authtoken"]
ROOT_URLCONF = "tests.benchmarks.load_urls"
