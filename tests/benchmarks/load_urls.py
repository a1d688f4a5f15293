"""URLconf of the load benchmark: three of the stack benchmark's views (no auth, DRF
``TokenAuthentication``, ours; identical but for their authentication class), then the example
project's own URLs. Response signing is the example project's ``ResponseSignatureMiddleware``,
as deployed (``SIGN_RESPONSES`` on by default)."""

from django.urls import path

from example_project.urls import urlpatterns as example_urlpatterns
from tests.benchmarks.bench_urls import VIEWS

LOAD_VARIANTS = ("none", "token", "ours")

urlpatterns = [
    *(path(f"bench/{name}/", VIEWS[name].as_view(), name=f"load-{name}") for name in LOAD_VARIANTS),
    *example_urlpatterns,
]
