"""Creating (§3.1) and verifying (§3.2) HTTP message signatures under a policy.

The verifier is pure: the key comes from an injected resolver, the replay check from an
injected nonce store, and the time from the ``now`` argument. Every failure is a
:class:`SignatureError` with a stable code; nothing else escapes for any input.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any, Protocol, cast

from . import sf
from .algorithms import SigningKey, VerifyingKey
from .components import Component, serialize_signature_params, signature_base
from .digest import verify_content_digest
from .errors import (
    ALGORITHM_MISMATCH,
    CLOCK_SKEW,
    COMPONENT_MISSING,
    DIGEST_MISSING,
    NONCE_MISSING,
    NONCE_REPLAYED,
    SIGNATURE_EXPIRED,
    SIGNATURE_INVALID,
    SIGNATURE_MALFORMED,
    SIGNATURE_MISSING,
    UNKNOWN_KEY,
    SignatureError,
)
from .message import Message

__all__ = [
    "KeyResolver",
    "NonceStore",
    "Policy",
    "VerifiedSignature",
    "sign_message",
    "verify_message",
    "MAX_NONCE_LENGTH",
]

MAX_NONCE_LENGTH = 128
MAX_KEYID_LENGTH = 128
MAX_SIGNATURES = 8
# Parameter types of RFC 9421 §2.3; any other parameter is carried along (it is covered by
# @signature-params) but has no meaning to us.
_PARAM_TYPES = {"created": int, "expires": int, "nonce": str, "alg": str, "keyid": str, "tag": str}
# The order sign_message writes parameters in (RFC 9421's own examples use this order).
_PARAM_ORDER = ("created", "expires", "keyid", "nonce", "alg", "tag")


class KeyResolver(Protocol):
    def __call__(self, keyid: str) -> VerifyingKey:
        """Return the key for ``keyid`` or raise ``SignatureError`` (``unknown_key``...)."""


class NonceStore(Protocol):
    def __call__(self, keyid: str, nonce: str, ttl: int) -> bool:
        """Atomically record ``nonce`` for ``keyid``; ``False`` if it was already there.

        Must raise ``SignatureError("replay_store_unavailable")`` when the store is unreachable.
        """


@dataclass(frozen=True)
class Policy:
    """What a verifier demands beyond a valid signature.

    ``required_components``: identifiers that must be covered (as serialized, e.g. ``"@path"``).
    ``require_digest_for_body``: a message with a non-empty body must cover ``content-digest``,
    and the digest is then checked against the body.
    ``required_params``: signature parameters that must be present (``nonce`` missing is
    ``nonce_missing``; others ``signature_malformed``).
    ``clock_skew``: how far ``created`` may be from ``now``, in seconds, both directions.
    ``tag``: when set, only signatures with this ``tag`` are considered.
    ``label``: when set, only the signature with this label is considered.
    """

    required_components: Sequence[str] = ()
    required_params: Sequence[str] = ()
    clock_skew: int = 300
    require_digest_for_body: bool = False
    tag: str | None = None
    label: str | None = None
    if TYPE_CHECKING:  # set by __post_init__; not a field at run time
        _required_idents: tuple[tuple[str, str], ...] = field(init=False)

    def __post_init__(self) -> None:
        if self.clock_skew is None or self.clock_skew < 0:
            raise ValueError("clock_skew must be a non-negative number of seconds")
        idents = tuple(
            (name, name if name.startswith('"') else f'"{name}"')
            for name in self.required_components
        )
        object.__setattr__(self, "_required_idents", idents)


@dataclass(slots=True)
class VerifiedSignature:
    """A verified signature. ``key`` is the key that verified it (for a ``KeyChain``, the
    member that matched)."""

    label: str
    keyid: str
    key: VerifyingKey
    params: dict[str, Any]
    components: Sequence[Component]
    signature: bytes
    created: int | None = None
    nonce: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def signature_input_member(self) -> str:
        """The ``label=(...)`` member as the verifier re-serialized it."""
        return f"{self.label}={serialize_signature_params(self.components, self.params)}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_message(
    message: Message,
    key: SigningKey,
    *,
    label: str = "sig1",
    components: Sequence[Component | str] = (),
    keyid: str | None = None,
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    include_alg: bool = False,
    tag: str | None = None,
) -> tuple[str, str]:
    """Sign ``message`` and return the ``Signature-Input`` and ``Signature`` dictionary members.

    Parameters are written in the order created, expires, keyid, nonce, alg, tag.
    """
    values = {
        "created": created,
        "expires": expires,
        "keyid": keyid,
        "nonce": nonce,
        "alg": key.alg if include_alg else None,
        "tag": tag,
    }
    params = {name: values[name] for name in _PARAM_ORDER if values[name] is not None}
    if isinstance(components, tuple) and all(type(c) is Component for c in components):
        comps: Sequence[Component] = cast("tuple[Component, ...]", components)
    else:
        comps = [c if isinstance(c, Component) else _component_from(c) for c in components]
    base = signature_base(message, comps, params)
    signature = key.sign(base.encode("ascii"))
    try:
        label_text = sf.ser({label: True}).split(";", 1)[0]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid signature label {label!r}") from exc
    inner = serialize_signature_params(comps, params)
    return f"{label_text}={inner}", f"{label_text}=:{_b64(signature)}:"


def _component_from(text: str) -> Component:
    return Component.parse(text) if text.startswith('"') else Component(text)


def _components_of(items: Sequence[Any], list_text: str | None) -> tuple[Component, ...]:
    if list_text is not None:
        return _trusted_components(list_text, items)
    return tuple(Component.from_item(item) for item in items)


_TRUSTED_CACHE: dict[str, tuple[Component, ...]] = {}


def _trusted_components(list_text: str, items: Sequence[Any]) -> tuple[Component, ...]:
    # Canonical input (see fastsf): each identifier's text is its own serialization. Clients
    # cover the same few lists over and over, so the Components are built once per list text;
    # the cache is bounded and simply emptied when full.
    comps = _TRUSTED_CACHE.get(list_text)
    if comps is None:
        comps = tuple(Component.trusted(name, params) for name, params in items)
        if len(_TRUSTED_CACHE) >= 512:
            _TRUSTED_CACHE.clear()
        _TRUSTED_CACHE[list_text] = comps
    return comps


_COVERED_CACHE: dict[int, tuple[tuple[Component, ...], frozenset[str]]] = {}


def _covered_idents(comps: tuple[Component, ...]) -> frozenset[str]:
    # Keyed by the identity of a cached components tuple (kept alive by the entry itself).
    entry = _COVERED_CACHE.get(id(comps))
    if entry is not None and entry[0] is comps:
        return entry[1]
    idents = frozenset(c.serialize() for c in comps)
    if len(_COVERED_CACHE) >= 1024:
        _COVERED_CACHE.clear()
    _COVERED_CACHE[id(comps)] = (comps, idents)
    return idents


def _check_param_types(label: str, params: Mapping[str, object]) -> None:
    for name, expected in _PARAM_TYPES.items():
        if name in params and type(params[name]) is not expected:
            # bool is an int subclass and a Token is not a str: both are refused.
            raise SignatureError(
                SIGNATURE_MALFORMED, f"parameter {name} of {label} has the wrong type"
            )


def _has_body(message: Message) -> bool:
    if message.body:
        return True
    length = message.field_value("content-length")
    return bool(length and length.strip() not in ("", "0"))


def verify_message(
    message: Message,
    resolver: Callable[[str], VerifyingKey],
    policy: Policy,
    *,
    now: int | float,
    nonce_store: Callable[[str, str, int], bool] | None = None,
    label: str | None = None,
) -> VerifiedSignature:
    """Verify the signature on ``message`` that ``policy`` selects, as RFC 9421 §3.2 describes.

    The order of checks costs an attacker the most and us the least: cheap structural checks,
    then the key, the time window and covered components, then the signature itself, then the
    body digest, and only after all of that the nonce is recorded (so failures write nothing).
    """
    inputs_raw = message.field_value("signature-input")
    sigs_raw = message.field_value("signature")
    if inputs_raw is None or sigs_raw is None:
        raise SignatureError(SIGNATURE_MISSING, "Signature-Input or Signature is absent")
    inputs = sf.parse_signature_input(inputs_raw)
    signatures = sf.parse_byte_sequence_dictionary(sigs_raw, what="Signature")
    if len(inputs) > MAX_SIGNATURES:
        raise SignatureError(SIGNATURE_MALFORMED, "too many signatures")

    wanted = label or policy.label
    candidates: list[tuple[str, tuple[Component, ...], dict[str, Any], str | None]] = []
    for name, (items, params, inner_text, list_text) in inputs.items():
        if wanted is not None and name != wanted:
            continue
        if name not in signatures:
            continue
        comps = _components_of(items, list_text)
        if list_text is None:  # the canonical fast path admits only well-typed parameters
            _check_param_types(name, params)
        if policy.tag is not None and params.get("tag") != policy.tag:
            continue
        candidates.append((name, comps, params, inner_text))
    if not candidates:
        raise SignatureError(SIGNATURE_MISSING, "no signature matches the label, tag and inputs")

    # RFC 9421 §4.3: with several signatures, verify the one whose key we know.
    last_error: SignatureError | None = None
    for name, comps, params, inner_text in candidates:
        keyid = params.get("keyid")
        if keyid is None:
            last_error = SignatureError(SIGNATURE_MALFORMED, f"signature {name} has no keyid")
            continue
        if len(keyid) > MAX_KEYID_LENGTH or not keyid.isascii():
            last_error = SignatureError(UNKNOWN_KEY, "keyid is too long or not ASCII")
            continue
        try:
            key = resolver(keyid)
        except SignatureError as exc:
            if exc.code != UNKNOWN_KEY:
                raise
            last_error = exc
            continue
        return _verify_one(
            message, name, comps, params, inner_text, key, signatures[name], policy, now,
            nonce_store,
        )
    assert last_error is not None
    raise last_error


def _verify_one(
    message: Message,
    label: str,
    comps: tuple[Component, ...],
    params: dict[str, Any],
    inner_text: str | None,
    key: VerifyingKey,
    signature: bytes | None,
    policy: Policy,
    now: int | float,
    nonce_store: Callable[[str, str, int], bool] | None,
) -> VerifiedSignature:
    if signature is None:
        raise SignatureError(SIGNATURE_MALFORMED, f"Signature {label} is not a Byte Sequence")
    keyid = params["keyid"]
    alg = params.get("alg")
    if alg is not None and alg != key.alg:
        raise SignatureError(ALGORITHM_MISMATCH, f"alg {alg!r} differs from the key's {key.alg!r}")

    for required in policy.required_params:
        if required not in params:
            code = NONCE_MISSING if required == "nonce" else SIGNATURE_MALFORMED
            raise SignatureError(code, f"required parameter {required} is absent")
    nonce = params.get("nonce")
    if nonce is not None and (not nonce or len(nonce) > MAX_NONCE_LENGTH):
        raise SignatureError(SIGNATURE_MALFORMED, "nonce is empty or too long")

    created = params.get("created")
    if created is not None and abs(now - created) > policy.clock_skew:
        raise SignatureError(CLOCK_SKEW, f"created={created} is {now - created:+.0f}s from now")
    expires = params.get("expires")
    if expires is not None:
        if created is not None and expires < created:
            raise SignatureError(SIGNATURE_MALFORMED, "expires is before created")
        if now > expires:
            raise SignatureError(SIGNATURE_EXPIRED, f"expired at {expires}")

    covered = _covered_idents(comps)
    for required, ident in policy._required_idents:
        if ident not in covered:
            raise SignatureError(COMPONENT_MISSING, f"{required} is not covered")
    digest_covered = '"content-digest"' in covered
    if policy.require_digest_for_body and not digest_covered and _has_body(message):
        raise SignatureError(DIGEST_MISSING, "the body is not covered by a Content-Digest")

    base = signature_base(message, comps, params, signature_params=inner_text)
    try:
        used = key.verify(base.encode("ascii"), signature)
    except SignatureError as exc:
        if exc.code != SIGNATURE_INVALID:
            raise
        used = _verify_rejoined(message, comps, params, inner_text, key, signature, exc)

    if digest_covered and message.body is not None:
        verify_content_digest(message.field_value("content-digest"), message.body)

    if (
        nonce_store is not None
        and nonce is not None
        and not nonce_store(keyid, nonce, 2 * policy.clock_skew)
    ):
        raise SignatureError(NONCE_REPLAYED, "this nonce was seen before")

    return VerifiedSignature(
        label=label,
        keyid=keyid,
        key=used if isinstance(used, VerifyingKey) else key,
        params=dict(params),
        components=comps,
        signature=signature,
        created=created,
        nonce=nonce,
    )




# -- fields whose lines a server joined (RFC 9421 §2.1) --------------------------------------------
_MAX_REJOINED_FIELDS = 2  # every combination of up to two fields; beyond, all of them at once


class _RejoinedMessage(Message):
    """``message`` with the lines of some fields read as they were probably sent."""

    __slots__ = ("_base", "_lines")

    def __init__(self, base: Message, lines: dict[str, list[str]]):
        for slot in Message.__slots__:
            setattr(self, slot, getattr(base, slot))
        self._base = base
        self._lines = lines

    def field_lines(self, name: str) -> list[str] | None:
        lines = self._lines.get(name)
        return lines if lines is not None else self._base.field_lines(name)

    def field_value(self, name: str) -> str | None:
        lines = self.field_lines(name)
        return None if lines is None else ", ".join(line.strip(" \t") for line in lines)


def _rejoined_variants(message: Message, comps: Sequence[Component]) -> Iterator[Message]:
    """The messages to try when a covered field may have been sent on several lines that the
    server joined with a bare ``","``: RFC 9421 §2.1 signs them joined with ``", "``."""
    splits: dict[str, list[str]] = {}
    for component in comps:
        if component.is_derived or component.name in splits or component.params.get("req"):
            continue
        lines = message.server_joined_lines(component.name)
        if lines is not None:
            splits[component.name] = lines
    if not splits:
        return
    names = list(splits)
    if len(names) > _MAX_REJOINED_FIELDS:
        yield _RejoinedMessage(message, splits)
        return
    for size in range(1, len(names) + 1):
        for chosen in combinations(names, size):
            yield _RejoinedMessage(message, {name: splits[name] for name in chosen})


def _verify_rejoined(
    message: Message,
    comps: tuple[Component, ...],
    params: dict[str, Any],
    inner_text: str | None,
    key: VerifyingKey,
    signature: bytes,
    error: SignatureError,
) -> VerifyingKey | None:
    for variant in _rejoined_variants(message, comps):
        base = signature_base(variant, comps, params, signature_params=inner_text)
        try:
            return key.verify(base.encode("ascii"), signature)
        except SignatureError as exc:
            if exc.code != SIGNATURE_INVALID:
                raise
    raise error
