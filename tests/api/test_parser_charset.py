"""The JSON and form parsers decode with text charsets only, on every supported DRF.

DRF 3.15 refuses a bytes-to-bytes codec in ``Content-Type`` (``charset=bz2_codec`` would
decompress the body after its size was checked); DRF 3.14 has no such check, and
``signed_api.parsers`` used to call the 3.15 helper, which made every JSON body on DRF 3.14 parse
as empty (400 "This field is required"). ``make test-oldest`` runs this file on DRF 3.14.
"""

from __future__ import annotations

import bz2
import json

import pytest
from rest_framework.test import APIClient

from tests.http import assert_error

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/sessions/"


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_bytes_to_bytes_charset_is_a_400_parse_error(content_type):
    body = bz2.compress(json.dumps({"username": "alice", "password": "x" * 50}).encode())
    response = APIClient().post(LOGIN, body, content_type=f"{content_type}; charset=bz2_codec")
    assert_error(response, "parse_error", 400)


def test_a_json_body_in_a_text_charset_is_parsed(django_user_model):
    django_user_model.objects.create_user("alice", password="correct horse battery staple")
    body = json.dumps({"username": "alice", "password": "correct horse battery staple"})
    response = APIClient().post(
        LOGIN, body.encode("utf-16"), content_type="application/json; charset=utf-16"
    )
    assert response.status_code == 201, response.content
