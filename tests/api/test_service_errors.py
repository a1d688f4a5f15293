"""One error type for the services, rendered in one place.

Services raise :class:`signed_api.services.errors.ServiceError` (code, status, detail); the app's
views never build an error body themselves, and their errors are rendered by
``signed_api.views.exception_handler`` even in a project whose ``EXCEPTION_HANDLER`` is DRF's.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from signed_api.services import keys, second_factor, sessions
from signed_api.services.errors import ServiceError

VIEWS = Path(__file__).resolve().parents[2] / "signed_api" / "views.py"


def test_every_service_error_is_one_type():
    for error_type in (sessions.FlowError, second_factor.SecondFactorError, keys.KeyError_):
        assert issubclass(error_type, ServiceError)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (sessions.FlowError("invalid_credentials", "no"), 401),
        (sessions.FlowError("throttled", "slow down", wait=5), 429),
        (second_factor.SecondFactorError("otp_invalid", "no"), 403),
        (second_factor.SecondFactorError("totp_not_enabled", "no"), 409),
        (keys.KeyError_("invalid_key", "no"), 400),
        (ServiceError("database_busy", "busy", wait=1), 503),
    ],
)
def test_the_status_belongs_to_the_error(error, status):
    assert error.http_status == status


def test_the_views_build_no_error_body():
    """No ``Response({... "code": ...})`` in the views outside the one renderer."""
    tree = ast.parse(VIEWS.read_text(encoding="utf-8"))
    builders = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef) or function.name == "error_response":
            continue
        for node in ast.walk(function):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Response"
                    and node.args and isinstance(node.args[0], ast.Dict)
                    and any(isinstance(k, ast.Constant) and k.value == "code"
                            for k in node.args[0].keys)):
                builders.append(function.name)
    assert builders == []


def test_the_views_catch_no_service_error():
    """Views raise: none catches a service error to answer it by hand."""
    source = VIEWS.read_text(encoding="utf-8")
    for name in ("FlowError", "SecondFactorError", "KeyError_", "ServiceError"):
        assert f"except {name}" not in source
        assert f"except session_flows.{name}" not in source
        assert f"except key_services.{name}" not in source


@pytest.mark.django_db
def test_service_errors_are_rendered_under_drfs_own_exception_handler(django_user_model):
    django_user_model.objects.create_user("gina", password="gina-password")
    framework = {"EXCEPTION_HANDLER": "rest_framework.views.exception_handler"}
    with override_settings(REST_FRAMEWORK=framework):
        response = APIClient().post(
            "/api/auth/sessions/", {"username": "gina", "password": "wrong"}, format="json"
        )
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"] == "Signature"
