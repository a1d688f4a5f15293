"""schemathesis against the example project served live (docs/openapi.md).

The example project runs under gunicorn with two workers, as deployed (``manage.py migrate``,
an API key from ``signed_api_createkey``); its schema is read from ``/api/schema/``. Every
request schemathesis generates is signed by ``SignatureAuth`` (the ``auth`` of a requests
session, which runs after schemathesis has built the final body and URL), so the signed
operations reach their views rather than stopping at the 401. The checks: no 5xx, and every
answer (status code, content type, headers, body) is one the schema declares. ``SignatureAuth``
also verifies each refusal's server signature: an unsigned 4xx would fail the run too.

Bounded: a fixed seed, a few examples per operation, the whole run well under two minutes.
"""

from __future__ import annotations

import pytest
import requests

pytest.importorskip("drf_spectacular")
schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signed_api.client import SignatureAuth, decode_secret  # noqa: E402

from .test_gunicorn_example import ExampleDeployment, deployment_env  # noqa: E402


@schemathesis.serializer("message/ohttp-req")
def _ohttp_request(ctx, value):
    """The gateway's body is opaque bytes (an encapsulated request): send what was generated."""
    return {"data": value if isinstance(value, bytes) else str(value).encode()}


MAX_EXAMPLES = 5  # per operation: about 20 operations, about a hundred signed requests
SEED = 13
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_example(tmp_path_factory):
    """The example project under gunicorn on a SQLite file of its own (nonces in its table),
    with user alice and one hmac API key of hers."""
    workdir = tmp_path_factory.mktemp("schemathesis-example")
    deployment = ExampleDeployment(workdir, deployment_env(f"sqlite:///{workdir / 'db.sqlite3'}"))
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('alice', password='a long passphrase 13')",
        )  # fmt: skip
        deployment.alice = deployment.create_key("alice")
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


@pytest.fixture(scope="module")
def signed_session(live_example):
    """A requests session whose every request is signed with alice's API key."""
    key_id, secret = live_example.alice
    session = requests.Session()
    session.auth = SignatureAuth(key_id, decode_secret(secret))
    yield session
    session.close()


def _run_operation(operation, session: requests.Session) -> int:
    """``MAX_EXAMPLES`` generated cases of one operation, each signed, called and checked."""
    calls: list[int] = []

    @seed(SEED)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        calls.append(case.call_and_validate(session=session, checks=CHECKS, timeout=15).status_code)

    run()
    return len(calls)


def test_api_conforms_to_its_schema(live_example, signed_session):
    """Every operation of /api/schema/: no 5xx, no answer the schema does not declare."""
    schema = schemathesis.openapi.from_url(live_example.url("/api/schema/?format=json"), timeout=15)
    schema.config.update(base_url=live_example.base_url)
    failures, labels, calls = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        try:
            calls += _run_operation(operation, signed_session)
        except Exception as exc:  # each operation's first failure, reported together
            failures.append(f"{operation.label}:\n{exc}")
    assert len(labels) >= 15, labels  # the app's endpoints, the notes, the gateway
    assert not failures, "\n\n".join(failures)
    assert calls >= 2 * len(labels), calls  # generated and sent, not skipped
