"""Writes server_responses.json: responses signed as signed_api/response_signing.py signs them,
by signed_api.core itself, so that the JavaScript tests verify the server's own bytes offline.

    .venv/bin/python clients/js/test/vectors/make_server_responses.py
"""

import base64
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from signed_api.core import Message, content_digest, load_signing_key, sign_message
from signed_api.core.jwk import public_key_to_jwk
from signed_api.response_signing import _covered

SECRET = b"signed-api-docs-example-secret!!"
CREATED = 1735689600
URL = "https://api.example.com/api/notes/?page=2"
# Fixed keys, so the file is reproducible (test keys, nothing else uses them).
SERVER_SEED = bytes(range(32))
CLIENT_EC = ec.derive_private_key(0x1234567890ABCDEF, ec.SECP256R1())


def request(key, keyid, algorithm):
    body = b'{"text": "hello"}'
    headers = [("content-type", "application/json"), ("content-digest", content_digest(body))]
    message = Message.from_url("POST", URL, headers=headers, body=body)
    sig_input, sig = sign_message(
        message, load_signing_key(algorithm, key), label="sig1",
        components=["@method", "@authority", "@path", "@query", "content-digest"],
        keyid=keyid, created=CREATED, nonce="kX0mEoF7ZJ3v9QsW2yRt-A", include_alg=True,
    )
    headers += [("signature-input", sig_input), ("signature", sig)]
    return {"method": "POST", "url": URL, "headers": headers, "body": body.decode()}


def response(req, key, keyid, algorithm, status=201):
    body = b'{"id": 1, "text": "hello"}'
    headers = [("content-type", "application/json"), ("content-digest", content_digest(body))]
    req_message = Message.from_url(
        req["method"], req["url"], headers=req["headers"], body=req["body"].encode()
    )
    message = Message.for_response(status, headers=headers, body=None, request=req_message)
    sig_input, sig = sign_message(
        message, load_signing_key(algorithm, key), label="sig1",
        components=_covered(True, "sig1"), keyid=keyid, created=CREATED + 1,
        include_alg=algorithm != "hmac-sha256",
    )
    headers += [("signature-input", sig_input), ("signature", sig)]
    return {"status": status, "headers": headers, "body": body.decode()}


server = ed25519.Ed25519PrivateKey.from_private_bytes(SERVER_SEED)
jwk = public_key_to_jwk(server.public_key())
jwk.update({"kid": "srv_test0000000000", "alg": "EdDSA", "use": "sig"})
client_pem = CLIENT_EC.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
hmac_req = request(SECRET, "key_4CkXtZ2vQm8rW1nP", "hmac-sha256")
ec_req = request(CLIENT_EC, "key_ecdsa", "ecdsa-p256-sha256")
out = {
    "source": "make_server_responses.py: signed by signed_api.core as response_signing.py does",
    "secret": base64.urlsafe_b64encode(SECRET).decode().rstrip("="),
    "created": CREATED,
    "jwks": {"keys": [jwk]},
    "client_ecdsa_private_pem": client_pem,
    "hmac": {
        "request": hmac_req,
        "response": response(hmac_req, SECRET, "key_4CkXtZ2vQm8rW1nP", "hmac-sha256"),
    },
    "ecdsa": {
        "request": ec_req,
        "response": response(ec_req, server, "srv_test0000000000", "ed25519"),
    },
}
Path(__file__).with_name("server_responses.json").write_text(json.dumps(out, indent=1) + "\n")
