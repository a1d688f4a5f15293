"""What signing refusals costs, through the whole stack (issue 14), in one run.

The example project's URLconf and middleware (``ResponseSignatureMiddleware`` first), Django's
test client (the WSGI handler in process, no socket), the per-process store (no database or
Redis round trip to blur the figures), SQLite in autocommit mode. Four variants, interleaved in
rounds of batches in a shuffled order (a shared 2-core machine: drift hits every variant alike),
each figure the median of the batch means:

- ``refusal-unsigned``: ``GET /api/notes/`` unsigned, its ``401 signature_missing`` with
  ``SERVER_SIGNATURES = None``;
- ``refusal-signed``: the same refusal signed by the server key (Ed25519 and the digest), the
  default ``"app"``; must cost at most 1.15x the unsigned one (these 25 paths repeat, so within
  a second a signature is reused: deterministic Ed25519 gives the same bytes for the same base);
- ``refusal-unsigned-distinct`` and ``refusal-signed-distinct``: a new path for every request,
  so every signature is fresh, against the unsigned refusal of new paths (the fair baseline);
  1.15x is the goal there too, but this machine measures 1.22-1.25x (about +75-85 µs on ~350 µs:
  Ed25519 signing costs ~34 µs in the stack, the code around it ~17 µs, and the rest of the
  request gets ~20 µs slower after it); the test fails above 1.30x, a regression guard;
- ``verified-before``: a verified hmac ``GET /api/notes/`` through the middleware as it was
  before issue 14 (a copy below: sign the answer to a verified request, nothing else);
- ``verified-now``: the same through today's middleware; must cost no more (within 5 %, the
  noise of this machine).

    .venv/bin/python -m pytest tests/benchmarks/test_refusal_signing_bench.py -o addopts="" -s
"""

from __future__ import annotations

import itertools
import random
import statistics
import time

import pytest

from signed_api.conf import signed_api_settings
from signed_api.response_signing import sign_response

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 40
BATCH = 25
REFUSAL_GOAL = 1.15
DISTINCT_GOAL = 1.30  # a regression guard: the 1.15x is not met by fresh signatures
VERIFIED_GOAL = 1.05
NOTES = "/api/notes/"
_counter = itertools.count(1000)


class BeforeMiddleware:
    """``ResponseSignatureMiddleware`` before issue 14 (sync only, verified answers only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        verified = getattr(request, "signed_api_signature", None)
        if (
            verified is not None
            and signed_api_settings.SIGN_RESPONSES
            and not getattr(response, "streaming", False)
        ):
            sign_response(request, response, verified)
        return response


def _meta(headers: dict[str, str]) -> dict[str, str]:
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture
def stack(settings, hmac_key):
    from django.test import Client

    from signed_api import stores
    from signed_api.client import SignatureAuth

    settings.SIGNED_API = {
        **{k: v for k, v in settings.SIGNED_API.items() if k != "NONCE_CACHE"},
        "STORE": "signed_api.stores.memory.MemoryStore",
        "ALLOW_PROCESS_LOCAL_STORE": True,
    }
    stores.reset()
    now_client = Client()
    assert now_client.get(NOTES).status_code == 401  # loads today's middleware chain
    middleware = list(settings.MIDDLEWARE)
    # First, or below only the gateway's (and CORS) middleware, which pass these requests on.
    [at] = [i for i, m in enumerate(middleware) if m.endswith(".ResponseSignatureMiddleware")]
    settings.MIDDLEWARE = [*middleware[:at], f"{__name__}.BeforeMiddleware", *middleware[at + 1:]]
    before_client = Client()
    assert before_client.get(NOTES).status_code == 401  # loads the old chain, kept
    settings.MIDDLEWARE = middleware
    key, secret = hmac_key
    auth = SignatureAuth(key.key_id, secret, verify_refusals=False)
    yield now_client, before_client, auth
    signed_api_settings.reload()
    stores.reset()


def _batch(variant, now_client, before_client, auth) -> float:
    """Mean seconds per request of one batch of ``variant``."""
    if variant.startswith("refusal"):
        signed = not variant.startswith("refusal-unsigned")
        signed_api_settings.SERVER_SIGNATURES = "app" if signed else None
        if variant.endswith("-distinct"):  # a new path each time: no reuse
            paths = [f"{NOTES}{next(_counter)}/" for _ in range(BATCH)]
        else:
            paths = [f"{NOTES}{n}/" for n in range(BATCH)]  # the same 25 paths every batch
        start = time.perf_counter()
        for path in paths:
            response = now_client.get(path)
        elapsed = time.perf_counter() - start
        assert response.status_code == 401
        assert ("Signature" in response) == signed
        return elapsed / BATCH
    client = now_client if variant == "verified-now" else before_client
    signed = [_meta(auth.sign("GET", "http://testserver" + NOTES, {}, b"")) for _ in range(BATCH)]
    start = time.perf_counter()
    for extra in signed:
        response = client.get(NOTES, **extra)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200 and "Signature" in response
    return elapsed / BATCH


def test_signed_refusals_cost_at_most_115_percent_and_verified_answers_nothing(stack, capsys):
    now_client, before_client, auth = stack
    variants = ["refusal-unsigned", "refusal-signed", "refusal-unsigned-distinct",
                "refusal-signed-distinct", "verified-before", "verified-now"]
    samples: dict[str, list[float]] = {v: [] for v in variants}
    for variant in variants:  # warm-up: caches, the key, the server key, the plans
        _batch(variant, now_client, before_client, auth)
    rng = random.Random(14)
    for _ in range(ROUNDS):
        order = variants[:]
        rng.shuffle(order)
        for variant in order:
            samples[variant].append(_batch(variant, now_client, before_client, auth))
    medians = {v: statistics.median(s) for v, s in samples.items()}
    refusal = medians["refusal-signed"] / medians["refusal-unsigned"]
    distinct = medians["refusal-signed-distinct"] / medians["refusal-unsigned-distinct"]
    verified = medians["verified-now"] / medians["verified-before"]
    lines = [f"{v:<18} median {medians[v] * 1e6:8.1f} us  min {min(samples[v]) * 1e6:8.1f} us"
             for v in variants]
    lines.append(f"signed / unsigned refusal: {refusal:.3f}x (goal <= {REFUSAL_GOAL})")
    met = "met" if distinct <= REFUSAL_GOAL else "NOT met"
    lines.append(f"signed, distinct paths:    {distinct:.3f}x (goal {REFUSAL_GOAL}: {met}; "
                 f"fails above {DISTINCT_GOAL})")
    lines.append(f"verified now / before:     {verified:.3f}x (goal <= {VERIFIED_GOAL})")
    report = "\n".join(lines)
    with capsys.disabled():
        print(f"\n-- refusal signing, {ROUNDS} rounds x {BATCH} requests --\n{report}")
    assert refusal <= REFUSAL_GOAL, report
    assert distinct <= DISTINCT_GOAL, report
    assert verified <= VERIFIED_GOAL, report
