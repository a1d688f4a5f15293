"""The example project under an ASGI server: uvicorn, two worker processes, the same tests.

``example_project.asgi:application`` served by ``uvicorn --workers 2``, set up exactly as
``test_gunicorn_example`` sets up gunicorn (migrate, users, ``signed_api_createkey``), and the
end-to-end tests of that module run again against it: the command line creates, lists and is
refused a replay, a replayed POST creates nothing, percent-encoded queries verify, notes are
owner-scoped, a revocation is refused at once by both workers, and no secret reaches a log or
the database. Under ASGI Django runs the middleware chain asynchronously:
``ResponseSignatureMiddleware`` is async capable, so answers are signed there too (checked
here for a verified answer, a refusal and the JWKS). The raw request target comes from
``scope["raw_path"]``: a path spelled differently from what was signed is refused.

uvicorn's access log is written in the format of gunicorn's (``<pid> status "request line"``)
through a logging configuration of this module, so the helpers that count workers by pid work
unchanged.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from signed_api.client import SignatureAuth, UnverifiedRefusal, decode_secret, verify_refusal
from tests import servers

from .support import redis_url_with_db
from .test_gunicorn_example import (
    REPO,
    REQUEST_TIMEOUT,
    START_TIMEOUT,
    ExampleDeployment,
    _database_url,
    deployment_env,
    # The end-to-end tests of the gunicorn module, collected again here against uvicorn.
    test_a_body_declared_far_over_the_limit_is_refused_before_it_is_read,  # noqa: F401
    test_a_replayed_post_creates_nothing,  # noqa: F401
    test_an_absolute_form_target_is_answered_like_its_path,  # noqa: F401
    test_command_line_creates_lists_and_refuses_a_replay,  # noqa: F401
    test_command_line_with_percent_encoded_query,  # noqa: F401
    test_no_secret_in_gunicorn_logs_command_output_redis_or_database,  # noqa: F401
    test_notes_are_owner_scoped,  # noqa: F401
    test_revocation_is_refused_at_once_by_every_worker,  # noqa: F401
    test_too_many_form_fields_or_files_get_a_signed_json_code,  # noqa: F401
    test_too_many_query_parameters_get_a_signed_json_code,  # noqa: F401
)

pytestmark = pytest.mark.redis

REDIS_DB = 10  # not test_gunicorn_example's


def _log_config(access_path: Path) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '<%(process)d> %(status_code).3s "%(request_line)s"',
                "use_colors": False,
            },
            "default": {"format": "%(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "access": {"class": "logging.FileHandler", "filename": str(access_path),
                       "formatter": "access"},
            "default": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                        "formatter": "default"},
        },
        "loggers": {
            "uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }


class AsgiDeployment(ExampleDeployment):
    """:class:`ExampleDeployment` served by ``uvicorn example_project.asgi:application``."""

    server = "uvicorn"

    def start(self) -> None:
        import subprocess

        port = servers.free_port()
        config = self.workdir / "uvicorn-logging.json"
        config.write_text(json.dumps(_log_config(self.access_path)))
        command = [
            sys.executable, "-m", "uvicorn", "example_project.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
            "--log-config", str(config), "--no-server-header", "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                stdout=stderr, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=servers._die_with_parent,
            )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            log = self.stderr()
            started = len(re.findall(r"Started server process \[\d+\]", log))
            if started >= 2 and self._answers(base_url):
                self.base_url = base_url
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start:\n{log[-3000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def example(request, tmp_path_factory, redis_url):
    import redis

    workdir = tmp_path_factory.mktemp("uvicorn-example")
    own_redis = redis_url_with_db(redis_url, REDIS_DB)
    redis_client = redis.Redis.from_url(own_redis, socket_timeout=10)
    redis_client.flushdb()
    database_url, drop_database = _database_url(request, workdir)
    deployment = AsgiDeployment(workdir, deployment_env(database_url, REDIS_URL=own_redis))
    deployment.database_url = database_url
    deployment.redis = redis_client
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "U = get_user_model(); U.objects.create_user('alice'); U.objects.create_user('bob')",
        )  # fmt: skip
        deployment.alice = deployment.create_key("alice")
        deployment.start()
        yield deployment
    finally:
        deployment.stop()
        drop_database()
        redis_client.flushdb()
        redis_client.close()


def test_answers_are_signed_under_asgi(example):
    """The async middleware chain signs a verified answer with the request's key and a refusal
    and the JWKS with the server key."""
    key_id, secret = example.alice
    jwks = requests.get(example.url("/.well-known/signed-api/keys"), timeout=REQUEST_TIMEOUT)
    verify_refusal(jwks, jwks.json())
    auth = SignatureAuth(key_id, decode_secret(secret), server_keys=jwks.json())
    ok = requests.get(example.url("/api/notes/"), auth=auth, timeout=REQUEST_TIMEOUT)
    assert ok.status_code == 200
    assert auth.verify_response(ok).keyid == key_id
    refused = requests.get(example.url("/api/notes/"), timeout=REQUEST_TIMEOUT)
    assert refused.status_code == 401
    assert verify_refusal(refused, jwks.json()).keyid.startswith("srv_")
    wrong = SignatureAuth(key_id, bytes(32), server_keys=jwks.json())
    answer = requests.get(example.url("/api/notes/"), auth=wrong, timeout=REQUEST_TIMEOUT)
    assert (answer.status_code, answer.json()["code"]) == (401, "signature_invalid")
    assert "Server" not in ok.headers and ok.headers["Date"]  # uvicorn wrote one Date line
    answer.headers.pop("Signature")
    with pytest.raises(UnverifiedRefusal):
        wrong.check_refusal(answer)


@pytest.mark.parametrize(
    ("signed", "sent", "status"),
    [
        ("/api/notes/caf%c3%a9%2C/", "/api/notes/caf%c3%a9%2C/", 404),
        ("/api/notes/%E2%82%AC/?a=1&a=2", "/api/notes/%E2%82%AC/?a=1&a=2", 404),
        # raw_path tells apart what PATH_INFO does not.
        ("/api/notes/caf%C3%A9,/", "/api/notes/caf%c3%a9%2C/", 401),
        ("/api/notes/?q=%2B", "/api/notes/?q=%2b", 401),
    ],
)
def test_path_and_query_are_the_raw_request_target_under_asgi(example, signed, sent, status):
    key_id, secret = example.alice
    headers = SignatureAuth(key_id, decode_secret(secret)).sign("GET", example.url(signed), {}, b"")
    url = urlsplit(example.base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", sent, headers=headers)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == status, body
    if status == 401:
        assert json.loads(body)["code"] == "signature_invalid"
