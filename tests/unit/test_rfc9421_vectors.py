"""RFC 9421 Appendix B (and the signed examples of 2.4 and 3.1) as tests.

Two kinds of test live here:

* ``test_*_printed_*``: the transcribed vectors checked by computation with ``cryptography``
  and ``hashlib`` alone, independent of ``signed_api``. They prove the JSON is the RFC (a typo
  in a key, base or signature cannot verify) and record which printed values are wrong.
* everything else: ``signed_api.core`` must reproduce the printed bases byte for byte, verify
  every printed signature and re-sign the deterministic ones to the printed bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from tests.unit.rfc_vectors import (
    key_material,
    keys,
    load,
    member_bytes,
    member_inner,
    request_from,
    response_from,
    signed,
)

B2 = load("rfc9421_b2")
B34 = load("rfc9421_b3_b4")
SEC2 = load("rfc9421_section2")
B2_EXAMPLES = {e["label"]: e for e in B2["examples"]}


def _id(section: str) -> str:
    return section.split(" ")[2].lower().replace(".", "_")


# -- independent checks of the transcription ------------------------------------------------


def _independent_verify(alg: str, keyid: str, base: str, signature: bytes) -> None:
    data = base.encode("ascii")
    if alg == "hmac-sha256":
        expected = hmac.new(key_material(keyid, private=True), data, hashlib.sha256).digest()
        assert hmac.compare_digest(expected, signature)
        return
    public = serialization.load_pem_public_key(key_material(keyid, private=False))
    if alg == "rsa-pss-sha512":
        public.verify(
            signature,
            data,
            padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64),
            hashes.SHA512(),
        )
    elif alg == "ecdsa-p256-sha256":
        assert len(signature) == 64  # raw r || s, RFC 9421 3.3.4
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        public.verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    elif alg == "ed25519":
        public.verify(signature, data)
    else:  # pragma: no cover - a vector with an unknown alg is a transcription error
        raise AssertionError(alg)


SIGNED_EXAMPLES = [
    pytest.param(e, id=f"b_2_{e['label'][-1]}_{e['label']}") for e in B2["examples"]
] + [
    pytest.param(B34["b3_tls_terminating_proxy"], id="b_3_ttrp"),
    pytest.param(B34["b4_transformations"], id="b_4_transform"),
    pytest.param(SEC2["request_response_2_4"], id="2_4_reqres"),
    pytest.param(SEC2["signature_base_2_5"], id="3_1_sig1"),
]


@pytest.mark.parametrize("example", SIGNED_EXAMPLES)
def test_rfc9421_printed_signature_verifies_independently(example):
    label, signature = member_bytes(example["signature"])
    assert label == example["label"]
    _independent_verify(example["alg"], example["keyid"], example["signature_base"], signature)
    # one flipped bit must not verify: the check above is not vacuous
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    with pytest.raises((InvalidSignature, AssertionError)):
        _independent_verify(example["alg"], example["keyid"], example["signature_base"], tampered)


@pytest.mark.parametrize("example", SIGNED_EXAMPLES)
def test_rfc9421_printed_signature_params_line_is_the_signature_input(example):
    """The last base line is exactly the Signature-Input member's inner list (2.3, 4.1)."""
    assert example["signature_input"].startswith(example["label"] + "=")
    last = example["signature_base"].split("\n")[-1]
    assert last == '"@signature-params": ' + member_inner(example["signature_input"])
    assert example["signature_base"].count("\n") == len(example["covered_components"])
    assert not example["signature_base"].endswith("\n")


@pytest.mark.parametrize("label", ["sig-b25", "sig-b26"])
def test_rfc9421_b_2_5_and_b_2_6_printed_signatures_are_deterministic(label):
    example = B2_EXAMPLES[label]
    data = example["signature_base"].encode("ascii")
    if example["alg"] == "hmac-sha256":
        again = hmac.new(
            key_material(example["keyid"], private=True), data, hashlib.sha256
        ).digest()
    else:
        private = serialization.load_pem_private_key(
            key_material(example["keyid"], private=True), None
        )
        again = private.sign(data)
    assert again == member_bytes(example["signature"])[1]


@pytest.mark.parametrize(
    "keyid", ["test-key-rsa", "test-key-rsa-pss", "test-key-ecc-p256", "test-key-ed25519"]
)
def test_rfc9421_b_1_printed_key_pairs_match(keyid):
    key = keys()[keyid]
    private = serialization.load_pem_private_key(key["private_pem"].encode(), None)
    public = serialization.load_pem_public_key(key["public_pem"].encode())
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert private.public_key().public_bytes(*spki) == public.public_bytes(*spki)
    jwk = key.get("jwk_public") or key["jwk"]

    def b64url(n: int, size: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes(size, "big")).rstrip(b"=").decode()

    numbers = public.public_numbers() if hasattr(public, "public_numbers") else None
    if jwk["kty"] == "RSA":
        assert jwk["n"] == b64url(numbers.n, 256) and numbers.e == 65537
    elif jwk["kty"] == "EC":
        assert (jwk["x"], jwk["y"]) == (b64url(numbers.x, 32), b64url(numbers.y, 32))
        assert jwk["d"] == b64url(private.private_numbers().private_value, 32)
    else:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert jwk["x"] == base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_rfc9421_b_1_5_printed_shared_secret_is_64_bytes():
    assert len(key_material("test-shared-secret", private=True)) == 64


def test_rfc9421_b_2_printed_test_request_digest_is_correct():
    req = B2["test_request"]
    digest = dict(req["headers"])["Content-Digest"]
    body = req["body"].encode()
    assert digest == "sha-512=:" + base64.b64encode(hashlib.sha512(body).digest()).decode() + ":"
    assert int(dict(req["headers"])["Content-Length"]) == len(body)


def test_rfc9421_b_2_printed_test_response_digest_is_wrong():
    """The draft's test-response Content-Digest is not the body's SHA-512 (recorded erratum)."""
    (erratum,) = B2["errata"]
    body = erratum["body"].encode()
    computed = "sha-512=:" + base64.b64encode(hashlib.sha512(body).digest()).decode() + ":"
    assert erratum["printed"] != computed
    assert erratum["correct"] == computed
    # the corrected value is the one test_response carries and the B.2.4 base prints
    assert dict(B2["test_response"]["headers"])["Content-Digest"] == computed
    assert f'"content-digest": {computed}' in B2_EXAMPLES["sig-b24"]["signature_base"].split("\n")
    assert int(dict(B2["test_response"]["headers"])["Content-Length"]) == len(body)


# -- the core against the vectors -----------------------------------------------------------

core = pytest.importorskip("signed_api.core")

ALG_OF = {keyid: k["algorithm"].split(" ")[0] for keyid, k in keys().items()}
ALG_OF["test-key-rsa"] = "rsa-pss-sha512"  # B.1.1 is usable with PSS; no B.2 example uses it


def _verifying(keyid: str):
    return core.load_verifying_key(ALG_OF[keyid], key_material(keyid, private=False))


def _signing(keyid: str):
    return core.load_signing_key(ALG_OF[keyid], key_material(keyid, private=True))


def _resolver(keyid: str):
    if keyid not in keys():
        raise core.SignatureError("unknown_key", keyid)
    return _verifying(keyid)


OPEN_POLICY = {"required_components": (), "required_params": ()}


def _b2_message(example, *, with_signature: bool):
    if example["target"] == "response":
        d = B2["test_response"]
        return signed(d, example, response=True) if with_signature else response_from(d)
    d = B2["test_request"]
    return signed(d, example) if with_signature else request_from(d)


B2_PARAMS = [pytest.param(e, id=f"b_2_{e['label'][-1]}") for e in B2["examples"]]


@pytest.mark.parametrize("example", B2_PARAMS)
def test_rfc9421_b_2_signature_base(example):
    message = _b2_message(example, with_signature=False)
    base = core.signature_base(message, example["covered_components"], example["params"])
    assert base == example["signature_base"]


@pytest.mark.parametrize("example", B2_PARAMS)
def test_rfc9421_b_2_signature_verifies(example):
    message = _b2_message(example, with_signature=True)
    created = example["params"]["created"]
    verified = core.verify_message(message, _resolver, core.Policy(**OPEN_POLICY), now=created)
    assert verified.label == example["label"]
    assert verified.keyid == example["keyid"]
    assert verified.created == created
    assert verified.nonce == example["params"].get("nonce")
    assert dict(verified.params) == example["params"]
    assert [str(c) for c in verified.components] == example["covered_components"]


@pytest.mark.parametrize("example", B2_PARAMS)
def test_rfc9421_b_2_tampered_signature_is_rejected(example):
    label, sig = member_bytes(example["signature"])
    bad = dict(
        example,
        signature=f"{label}=:{base64.b64encode(bytes([sig[0] ^ 0x80]) + sig[1:]).decode()}:",
    )
    message = _b2_message(bad, with_signature=True)
    with pytest.raises(core.SignatureError) as err:
        core.verify_message(
            message, _resolver, core.Policy(**OPEN_POLICY), now=example["params"]["created"]
        )
    assert err.value.code == "signature_invalid"


@pytest.mark.parametrize("example", B2_PARAMS)
def test_rfc9421_b_2_clock_window_applies(example):
    message = _b2_message(example, with_signature=True)
    created = example["params"]["created"]
    policy = core.Policy(**OPEN_POLICY, clock_skew=300)
    core.verify_message(message, _resolver, policy, now=created + 300)
    with pytest.raises(core.SignatureError) as err:
        core.verify_message(message, _resolver, policy, now=created + 301)
    assert err.value.code == "clock_skew"


def _resign(example):
    message = _b2_message(example, with_signature=False)
    p = example["params"]
    return core.sign_message(
        message,
        _signing(example["keyid"]),
        label=example["label"],
        components=example["covered_components"],
        keyid=p["keyid"],
        created=p["created"],
        nonce=p.get("nonce"),
        tag=p.get("tag"),
    )


def test_rfc9421_b_2_5_hmac_sha256():
    example = B2_EXAMPLES["sig-b25"]
    assert _resign(example) == (example["signature_input"], example["signature"])


def test_rfc9421_b_2_6_ed25519():
    example = B2_EXAMPLES["sig-b26"]
    assert _resign(example) == (example["signature_input"], example["signature"])


@pytest.mark.parametrize("label", ["sig-b21", "sig-b22", "sig-b23", "sig-b24"])
def test_rfc9421_b_2_nondeterministic_resign_verifies_independently(label):
    """RSA-PSS and ECDSA cannot reproduce the printed bytes; what the core signs must verify."""
    example = B2_EXAMPLES[label]
    signature_input, signature = _resign(example)
    assert signature_input == example["signature_input"]
    got_label, sig = member_bytes(signature)
    assert got_label == label
    _independent_verify(example["alg"], example["keyid"], example["signature_base"], sig)


@pytest.mark.parametrize(
    "keyid", ["test-key-rsa-pss", "test-key-ecc-p256", "test-key-ed25519", "test-shared-secret"]
)
def test_rfc9421_b_1_keys_load_and_report_their_algorithm(keyid):
    assert _signing(keyid).alg == ALG_OF[keyid]
    assert _verifying(keyid).alg == ALG_OF[keyid]


def test_rfc9421_b_2_key_of_another_algorithm_does_not_verify():
    example = B2_EXAMPLES["sig-b26"]  # ed25519, resolved to the P-256 key instead
    message = _b2_message(example, with_signature=True)
    with pytest.raises(core.SignatureError) as err:
        core.verify_message(
            message,
            lambda keyid: _verifying("test-key-ecc-p256"),
            core.Policy(**OPEN_POLICY),
            now=1618884473,
        )
    assert err.value.code in {"signature_invalid", "algorithm_mismatch"}


def test_rfc9421_b_2_printed_test_response_digest_is_rejected_by_the_core():
    (erratum,) = B2["errata"]
    body = erratum["body"].encode()
    with pytest.raises(core.SignatureError) as err:
        core.verify_content_digest(erratum["printed"], body)
    assert err.value.code == "digest_mismatch"
    core.verify_content_digest(erratum["correct"], body)


# -- B.3 and B.4 ------------------------------------------------------------------------------

TTRP = B34["b3_tls_terminating_proxy"]
TRANSFORM = B34["b4_transformations"]


def test_rfc9421_b_3_tls_terminating_proxy_signature_base():
    message = request_from(TTRP["proxied_request"])
    assert (
        core.signature_base(message, TTRP["covered_components"], TTRP["params"])
        == TTRP["signature_base"]
    )


def test_rfc9421_b_3_tls_terminating_proxy_signature_verifies():
    message = signed(TTRP["proxied_request"], TTRP)
    verified = core.verify_message(message, _resolver, core.Policy(**OPEN_POLICY), now=1618884473)
    assert (verified.label, verified.keyid) == ("ttrp", "test-key-ecc-p256")


def test_rfc9421_b_3_signature_does_not_verify_on_the_client_request():
    """The client's own request has another authority and no Client-Cert: the base differs."""
    message = signed(TTRP["client_request"], TTRP)
    with pytest.raises(core.SignatureError):
        core.verify_message(message, _resolver, core.Policy(**OPEN_POLICY), now=1618884473)


def test_rfc9421_b_4_signature_base():
    original = TRANSFORM["messages"][0]
    message = request_from(dict(original, headers=original["headers"][:-2]))
    base = core.signature_base(message, TRANSFORM["covered_components"], TRANSFORM["params"])
    assert base == TRANSFORM["signature_base"]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(m, id=f"b_4_{i}_{'valid' if m['signature_still_valid'] else 'invalid'}")
        for i, m in enumerate(TRANSFORM["messages"])
    ],
)
def test_rfc9421_b_4_transformations(case):
    message = request_from(case)
    policy = core.Policy(**OPEN_POLICY)
    if case["signature_still_valid"]:
        verified = core.verify_message(message, _resolver, policy, now=1618884473)
        assert verified.label == "transform"
    else:
        with pytest.raises(core.SignatureError) as err:
            core.verify_message(message, _resolver, policy, now=1618884473)
        assert err.value.code == "signature_invalid"


# -- 2.4 (req) and 3.1 --------------------------------------------------------------------------

REQRES = SEC2["request_response_2_4"]
SIG1 = SEC2["signature_base_2_5"]


def test_rfc9421_2_4_req_signature_base():
    request = request_from(REQRES["request"])
    response = response_from(REQRES["response"], request=request)
    base = core.signature_base(response, REQRES["covered_components"], REQRES["params"])
    assert base == REQRES["signature_base"]


def test_rfc9421_2_4_req_signature_verifies():
    request = request_from(REQRES["request"])
    response = signed(REQRES["response"], REQRES, response=True, request=request)
    verified = core.verify_message(response, _resolver, core.Policy(**OPEN_POLICY), now=1618884479)
    assert verified.label == "reqres"


def test_rfc9421_2_4_req_without_the_request_fails():
    response = signed(REQRES["response"], REQRES, response=True, request=None)
    with pytest.raises(core.SignatureError):
        core.verify_message(response, _resolver, core.Policy(**OPEN_POLICY), now=1618884479)


def test_rfc9421_2_5_signature_base():
    message = request_from(SIG1["message"])
    assert (
        core.signature_base(message, SIG1["covered_components"], SIG1["params"])
        == SIG1["signature_base"]
    )


def test_rfc9421_3_1_signature_verifies():
    message = signed(SIG1["message"], SIG1)
    verified = core.verify_message(message, _resolver, core.Policy(**OPEN_POLICY), now=1618884473)
    assert verified.label == "sig1"
