"""The algorithm registry of ``signed_api.core.algorithms``: each entry signs and verifies, and
its public keys go through PEM (and JWK, where it has one) and back unchanged.

The lists of algorithms elsewhere in the package are compared with the registry in
tests/api/test_algorithm_lists.py.
"""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding

from signed_api.core import SignatureError, algorithms
from signed_api.core.b64 import b64url_decode, b64url_encode
from signed_api.core.jwk import jwk_to_pem, public_key_to_jwk
from tests.unit.rfc_vectors import key_material, load, member_bytes

DATA = b'"@method": POST\n"@signature-params": ("@method");created=1'

CLIENT_HELD = [a for a in algorithms.REGISTRY.values() if not a.shared_secret]
WITH_JWK = [a for a in algorithms.REGISTRY.values() if a.jwk is not None]


def _id(algorithm) -> str:
    return algorithm.name


def _spki(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _material(algorithm):
    """(signing material, verifying material) for a fresh key of ``algorithm``."""
    if algorithm.shared_secret:
        secret = algorithm.new_secret()
        return secret, secret
    private = algorithm.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, algorithm.public_key_to_pem(private.public_key())


def test_every_built_in_algorithm_is_registered_once_in_order():
    # The one hand-written list of names (tests/api/test_algorithm_lists.py compares the
    # package's other lists with the registry), so that a change to it is a visible decision.
    assert tuple(algorithms.REGISTRY) == (
        "hmac-sha256", "ed25519", "ecdsa-p256-sha256", "rsa-pss-sha512", "rsa-v1_5-sha256"
    )
    assert tuple(algorithms.REGISTRY) == algorithms.ALGORITHMS
    assert algorithms.names(api_keys=True) == ("hmac-sha256", "ed25519", "ecdsa-p256-sha256")
    for name, algorithm in algorithms.REGISTRY.items():
        assert algorithm.name == name
        assert algorithm.key_type in (algorithms.SHARED_SECRET, algorithms.CLIENT_HELD)


@pytest.mark.parametrize("algorithm", list(algorithms.REGISTRY.values()), ids=_id)
def test_each_entry_signs_and_verifies(algorithm):
    signing, verifying = _material(algorithm)
    signer = algorithm.load_signing_key(signing)
    verifier = algorithm.load_verifying_key(verifying)
    assert signer.alg == verifier.alg == algorithm.name
    assert isinstance(signer, algorithm.signing_key)
    assert isinstance(verifier, algorithm.verifying_key)
    signature = signer.sign(DATA)
    verifier.verify(DATA, signature)
    signer.verifying_key().verify(DATA, signature)
    # The module-level loaders dispatch to the same entry.
    algorithms.load_verifying_key(algorithm.name, verifying).verify(DATA, signature)
    with pytest.raises(SignatureError):
        verifier.verify(DATA + b"x", signature)
    with pytest.raises(SignatureError):
        verifier.verify(DATA, bytes([signature[0] ^ 1]) + signature[1:])


@pytest.mark.parametrize("algorithm", [a for a in algorithms.REGISTRY.values() if a.shared_secret],
                         ids=_id)
def test_shared_secret_entries_make_secrets_of_their_length(algorithm):
    first, second = algorithm.new_secret(), algorithm.new_secret()
    assert len(first) == len(second) == algorithm.secret_bytes == 32
    assert first != second
    assert algorithm.label == f"{algorithm.name} (shared secret)"


@pytest.mark.parametrize("algorithm", CLIENT_HELD, ids=_id)
def test_pem_round_trip(algorithm):
    public = algorithm.generate().public_key()
    pem = algorithm.public_key_to_pem(public)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert _spki(algorithm.public_key_from_pem(pem)) == _spki(public)
    assert _spki(algorithm.load_verifying_key(pem).public_key) == _spki(public)
    assert algorithm.label == f"{algorithm.name} (client-held key)"
    with pytest.raises(ValueError):
        algorithm.new_secret()


@pytest.mark.parametrize("algorithm", WITH_JWK, ids=_id)
def test_jwk_round_trip(algorithm):
    public = algorithm.generate().public_key()
    jwk = algorithm.public_key_to_jwk(public)
    assert (jwk["kty"], jwk["crv"]) == (algorithm.jwk.kty, algorithm.jwk.crv)
    assert "d" not in jwk
    assert algorithms.for_jwk(jwk) is algorithm
    assert _spki(algorithm.public_key_from_jwk(jwk)) == _spki(public)
    # The module functions of core/jwk.py dispatch through the registry.
    assert public_key_to_jwk(public) == jwk
    assert _spki(serialization.load_pem_public_key(jwk_to_pem(jwk))) == _spki(public)


def test_jwk_forms_name_what_they_support():
    assert [(a.jwk.kty, a.jwk.crv) for a in WITH_JWK] == [("OKP", "Ed25519"), ("EC", "P-256")]
    with pytest.raises(ValueError, match="^supported JWKs: OKP/Ed25519 and EC/P-256$"):
        jwk_to_pem({"kty": "RSA", "n": "AQAB", "e": "AQAB"})
    for algorithm in algorithms.REGISTRY.values():
        if algorithm.jwk is None:
            with pytest.raises(ValueError, match="no JWK form"):
                algorithm.public_key_to_jwk(None)


def test_get_refuses_an_unknown_name():
    assert algorithms.get("ed25519") is algorithms.REGISTRY["ed25519"]
    for name in ("none", "HMAC-SHA256", "", None, ["ed25519"]):
        with pytest.raises(ValueError, match="unsupported algorithm"):
            algorithms.get(name)


def test_register_adds_an_entry_everywhere_the_registry_is_read(monkeypatch):
    monkeypatch.setattr(algorithms, "REGISTRY", dict(algorithms.REGISTRY))
    ed = algorithms.REGISTRY["ed25519"]
    extra = dataclasses.replace(ed, name="ed25519-example", jwk=None)
    assert algorithms.register(extra) is extra
    assert algorithms.get("ed25519-example") is extra
    assert algorithms.names(api_keys=True)[-1] == "ed25519-example"
    with pytest.raises(ValueError, match="already registered"):
        algorithms.register(extra)
    private = ed25519.Ed25519PrivateKey.generate()
    signature = algorithms.load_signing_key("ed25519-example", private).sign(DATA)
    algorithms.load_verifying_key("ed25519-example", private.public_key()).verify(DATA, signature)


@pytest.mark.parametrize("data", [b"", b"\x00", b"\xff" * 31, bytes(range(256))])
def test_b64url_round_trip_without_padding(data):
    text = b64url_encode(data)
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url_decode(text) == data
    assert b64url_decode(text + "=" * (-len(text) % 4)) == data


# -- known answers: each entry against values it did not compute ------------------------------
#: RFC 9421 Appendix B.2 prints a signature for every algorithm but rsa-v1_5-sha256.
RFC_EXAMPLES = {e["alg"]: e for e in reversed(load("rfc9421_b2")["examples"])}


def _rsa_v1_5_by_cryptography(base: bytes) -> tuple[str, bytes]:
    private = serialization.load_pem_private_key(
        key_material("test-key-rsa", private=True), password=None
    )
    return "test-key-rsa", private.sign(base, padding.PKCS1v15(), hashes.SHA256())


#: Algorithms the RFC prints no signature for: computed by ``cryptography`` alone.
INDEPENDENT = {"rsa-v1_5-sha256": _rsa_v1_5_by_cryptography}


@pytest.mark.parametrize("algorithm", list(algorithms.REGISTRY.values()), ids=_id)
def test_each_entry_verifies_a_known_answer(algorithm):
    name = algorithm.name
    assert name in RFC_EXAMPLES or name in INDEPENDENT, f"{name} needs a known-answer vector"
    if name in RFC_EXAMPLES:
        example = RFC_EXAMPLES[name]
        base = example["signature_base"].encode("ascii")
        keyid, (_label, signature) = example["keyid"], member_bytes(example["signature"])
    else:
        base = load("rfc9421_b2")["examples"][0]["signature_base"].encode("ascii")
        keyid, signature = INDEPENDENT[name](base)
    verifier = algorithm.load_verifying_key(key_material(keyid, private=False))
    verifier.verify(base, signature)
    with pytest.raises(SignatureError):
        verifier.verify(base + b" ", signature)
    deterministic = name in INDEPENDENT or RFC_EXAMPLES[name]["deterministic"]
    if deterministic:
        signer = algorithm.load_signing_key(key_material(keyid, private=True))
        assert signer.sign(base) == signature
