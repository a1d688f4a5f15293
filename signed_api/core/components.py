"""Component identifiers and the signature base of RFC 9421 §2.

Every error case that §2.5 says must stop signing or verification raises
:class:`~signed_api.core.errors.SignatureError`: a component listed twice, a field that is
absent, an unknown derived component or parameter, a value that is not ASCII.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping, Sequence
from typing import cast
from urllib.parse import unquote_to_bytes

from . import fastsf, sf
from .errors import COMPONENT_MISSING, SIGNATURE_MALFORMED, SignatureError
from .message import Message

__all__ = [
    "Component",
    "DERIVED_COMPONENTS",
    "component_value",
    "signature_base",
    "serialize_signature_params",
]

DERIVED_COMPONENTS = frozenset(
    {
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
        "@query-param",
        "@status",
    }
)
# §2.1: parameters a field component may carry; §2.2: derived components take only these.
_FIELD_PARAMS = frozenset({"sf", "key", "bs", "req", "tr"})
_DERIVED_PARAMS = frozenset({"req"})
# Fields this profile knows to be Dictionaries (RFC 9421, RFC 9530) in addition to the
# retrofitted ones http-sf knows about.
_KNOWN_SF_TYPES = {
    "signature-input": "dictionary",
    "signature": "dictionary",
    "accept-signature": "dictionary",
    "content-digest": "dictionary",
    "repr-digest": "dictionary",
    "want-content-digest": "dictionary",
    "want-repr-digest": "dictionary",
}


class Component:
    """One component identifier: a name (field name or ``@derived``) and its parameters."""

    __slots__ = ("name", "params", "_serialized")

    def __init__(self, name: str, params: Mapping[str, object] | None = None):
        self.name = name
        self.params = dict(params or {})
        self._serialized: str | None = None

    @classmethod
    def parse(cls, text: str) -> Component:
        """Parse a serialized identifier such as ``"@query-param";name="id"``."""
        try:
            value, params = sf.parse_as(text, "item")
        except (ValueError, UnicodeError) as exc:
            raise SignatureError(SIGNATURE_MALFORMED, f"bad component identifier {text!r}") from exc
        return cls.from_item((value, params))

    @classmethod
    def from_item(cls, item: object) -> Component:
        """Build from an http-sf item as found in ``Signature-Input`` (value must be a String)."""
        if not (isinstance(item, tuple) and len(item) == 2):
            raise SignatureError(SIGNATURE_MALFORMED, "a covered component is not an item")
        value, params = item
        if type(value) is not str:
            raise SignatureError(SIGNATURE_MALFORMED, "a component identifier must be a String")
        if value != value.lower() and not value.startswith("@"):
            raise SignatureError(SIGNATURE_MALFORMED, f"field name {value!r} is not lower-case")
        return cls(value, params)

    @classmethod
    def trusted(cls, name: str, params: Mapping[str, object]) -> Component:
        """From a canonical Signature-Input (see ``fastsf``): strings there need no escaping,
        so the identifier is serialized directly instead of through ``http-sf``."""
        if not name.startswith("@") and name != name.lower():
            raise SignatureError(SIGNATURE_MALFORMED, f"field name {name!r} is not lower-case")
        component = cls(name, params)
        text = '"' + name + '"'
        for key, value in params.items():
            text += ";" + key if value is True else f';{key}="{value}"'
        component._serialized = text
        return component

    @property
    def is_derived(self) -> bool:
        return self.name.startswith("@")

    def serialize(self) -> str:
        if self._serialized is None:
            fast = fastsf.ser_item(self.name, self.params)
            if fast is not None:
                self._serialized = fast
                return fast
            try:
                self._serialized = sf.ser_item((self.name, self.params))
            except (ValueError, TypeError) as exc:
                raise SignatureError(
                    SIGNATURE_MALFORMED, f"component {self.name!r} cannot be serialized"
                ) from exc
        return self._serialized

    __str__ = serialize

    def __repr__(self) -> str:
        return f"Component({self.serialize()})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Component) and self.serialize() == other.serialize()

    def __hash__(self) -> int:
        return hash(self.serialize())


def _as_component(c: Component | str) -> Component:
    if isinstance(c, Component):
        return c
    if c.startswith('"'):
        return Component.parse(c)
    return Component(c)


# -- percent-encoding for @query-param (RFC 9421 §2.2.8, WHATWG URL) -----------------------
_FORM_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._")


def _form_decode(text: str) -> bytes:
    return unquote_to_bytes(text.replace("+", " "))


def _form_encode(data: bytes) -> str:
    """The application/x-www-form-urlencoded percent-encode set, but space as ``%20``."""
    return "".join(chr(b) if b in _FORM_SAFE else f"%{b:02X}" for b in data)


def _query_param(message: Message, name_param: object) -> str:
    if type(name_param) is not str:
        raise SignatureError(SIGNATURE_MALFORMED, "@query-param needs a String name parameter")
    query = message.query
    found: list[str] = []
    if query:
        for pair in query.split("&"):
            if not pair:
                continue
            raw_name, _, raw_value = pair.partition("=")
            # Compare the re-encoded form of each parsed name with the parameter (§2.2.8).
            if _form_encode(_form_decode(raw_name)) == name_param:
                found.append(_form_encode(_form_decode(raw_value)))
    if not found:
        raise SignatureError(COMPONENT_MISSING, f"query parameter {name_param!r} is absent")
    if len(found) > 1:
        raise SignatureError(
            COMPONENT_MISSING, f"query parameter {name_param!r} occurs more than once"
        )
    return found[0]


def _request_target(m: Message) -> str | None:
    if m.path is None:
        return None
    return (m.path or "/") + ("" if m.query is None else "?" + m.query)


# §2.2.1-§2.2.7: derived components of a request and how to read them off a Message.
_REQUEST_DERIVED: dict[str, Callable[[Message], str | None]] = {
    "@method": lambda m: m.method,
    "@target-uri": lambda m: m.target_uri,
    "@authority": lambda m: m.authority,
    "@scheme": lambda m: m.scheme,
    "@request-target": _request_target,
    "@path": lambda m: None if m.path is None else (m.path or "/"),
    "@query": lambda m: "?" + (m.query or ""),
}


def _derived_value(message: Message, component: Component) -> str:
    name = component.name
    params = component.params
    if params:
        unknown = set(params) - _DERIVED_PARAMS - ({"name"} if name == "@query-param" else set())
        if unknown:
            raise SignatureError(
                SIGNATURE_MALFORMED, f"unsupported parameter {sorted(unknown)} on {name}"
            )
    if name == "@status":
        if message.status is None:
            raise SignatureError(COMPONENT_MISSING, "@status is only defined for responses")
        return f"{message.status:03d}"
    if name not in DERIVED_COMPONENTS:
        raise SignatureError(SIGNATURE_MALFORMED, f"unknown derived component {name!r}")
    if message.status is not None:
        raise SignatureError(COMPONENT_MISSING, f"{name} is only defined for requests")
    if name == "@query-param":
        return _query_param(message, params.get("name"))
    value = _REQUEST_DERIVED[name](message)
    if value is None:
        raise SignatureError(COMPONENT_MISSING, f"{name} is not known for this message")
    return value


def _sf_reserialize(name: str, value: str) -> str:
    known = _KNOWN_SF_TYPES.get(name) or sf.RETROFIT_TYPES.get(name)
    # Not a registered structured field: accept the first structure it parses as.
    types = [known] if known is not None else ["dictionary", "list", "item"]
    for tltype in types:
        try:
            return sf.ser(sf.parse_as(value, tltype))
        except (ValueError, UnicodeError):
            continue
    raise SignatureError(SIGNATURE_MALFORMED, f"field {name!r} is not a structured field")


_OBS_FOLD = re.compile(r"\r?\n[ \t]+")


def _combine(lines: list[str]) -> str:
    """§2.1: trim each field line, replace obsolete line folding with one space, join with
    ``", "``."""
    return ", ".join(_OBS_FOLD.sub(" ", line).strip(" \t") for line in lines)


def _field_value(message: Message, component: Component) -> str:
    name = component.name
    params = component.params
    if not params:
        lines = message.field_lines(name)
        if lines is None:
            code = "digest_missing" if name == "content-digest" else COMPONENT_MISSING
            raise SignatureError(code, f"field {name!r} is absent")
        if len(lines) == 1 and "\n" not in lines[0]:
            return lines[0].strip(" \t")
        return _combine(lines)
    unknown = set(params) - _FIELD_PARAMS
    if unknown:
        raise SignatureError(SIGNATURE_MALFORMED, f"unsupported parameter {sorted(unknown)}")
    for flag in ("sf", "bs", "req", "tr"):
        if flag in params and params[flag] is not True:
            raise SignatureError(SIGNATURE_MALFORMED, f"parameter {flag} must be a Boolean true")
    if params.get("tr"):
        raise SignatureError(COMPONENT_MISSING, "trailer fields are not supported")
    if params.get("bs") and ("sf" in params or "key" in params):
        raise SignatureError(SIGNATURE_MALFORMED, "bs cannot be combined with sf or key (§2.1.3)")
    lines = message.field_lines(name)
    if lines is None:
        code = "digest_missing" if name == "content-digest" else COMPONENT_MISSING
        raise SignatureError(code, f"field {name!r} is absent")
    if params.get("bs"):
        encoded = []
        for line in lines:
            try:
                raw = line.strip(" \t").encode("latin-1")
            except UnicodeError as exc:
                raise SignatureError(SIGNATURE_MALFORMED, f"field {name!r} is not bytes") from exc
            encoded.append(":" + base64.b64encode(raw).decode("ascii") + ":")
        return ", ".join(encoded)
    value = _combine(lines)
    if "key" in params:
        key = params["key"]
        if type(key) is not str:
            raise SignatureError(SIGNATURE_MALFORMED, "key parameter must be a String")
        sequences = fastsf.parse_byte_sequences(value)  # e.g. "signature";key=: the common case
        if sequences is not None and key in sequences:
            return ":" + base64.b64encode(sequences[key]).decode("ascii") + ":"
        try:
            parsed = sf.parse_as(value, "dictionary")
        except (ValueError, UnicodeError) as exc:
            raise SignatureError(
                SIGNATURE_MALFORMED, f"field {name!r} is not a Dictionary"
            ) from exc
        if key not in parsed:
            raise SignatureError(COMPONENT_MISSING, f"field {name!r} has no member {key!r}")
        return sf.ser_member(parsed[key])
    if params.get("sf"):
        return _sf_reserialize(name, value)
    return value


def component_value(message: Message, component: Component | str) -> str:
    """The canonical value of one component (what follows ``"name": `` in the base)."""
    if not isinstance(component, Component):
        component = _as_component(component)
    if component.params and component.params.get("req"):
        if message.request is None:
            raise SignatureError(COMPONENT_MISSING, "req given but no related request is known")
        message = message.request
    value = (
        _derived_value(message, component) if component.is_derived
        else _field_value(message, component)
    )
    if not value.isascii() or "\n" in value or "\r" in value:
        raise SignatureError(
            SIGNATURE_MALFORMED, f"value of {component.name!r} is not printable ASCII"
        )
    return value


_LIST_TEXT_CACHE: dict[int, tuple[Sequence[Component], str]] = {}


def _list_text(components: Sequence[Component]) -> str:
    """``(c1 c2 …)``; memoised per tuple (the same constant tuple signs every response)."""
    if isinstance(components, tuple):
        entry = _LIST_TEXT_CACHE.get(id(components))
        if entry is not None and entry[0] is components:
            return entry[1]
    text = "(" + " ".join(c.serialize() for c in components) + ")"
    if isinstance(components, tuple):
        if len(_LIST_TEXT_CACHE) >= 256:
            _LIST_TEXT_CACHE.clear()
        _LIST_TEXT_CACHE[id(components)] = (components, text)
    return text


def serialize_signature_params(
    components: Sequence[Component], params: Mapping[str, object]
) -> str:
    """The inner list that is both the Signature-Input member and the last base line."""
    params_text = fastsf.ser_params(params)
    if params_text is not None:
        return _list_text(components) + params_text
    try:
        return sf.ser_innerlist(([(c.name, c.params) for c in components], dict(params)))
    except (ValueError, TypeError) as exc:
        raise SignatureError(SIGNATURE_MALFORMED, f"signature parameters: {exc}") from exc


# One line of the base: its ``"ident": `` prefix, and the Component, or for a common derived
# component of a request the function that reads its value.
_Reader = Callable[[Message], str | None]
_PlanEntry = tuple[str, "Component | _Reader"]


def _plan(comps: Sequence[Component], is_request: bool) -> list[_PlanEntry]:
    """For each component, the ``"ident": `` prefix of its line and how to read its value;
    duplicates and ``@signature-params`` are refused here, once per component list."""
    plan: list[_PlanEntry] = []
    seen: set[str] = set()
    for component in comps:
        ident = component._serialized or component.serialize()
        if ident in seen:
            raise SignatureError(SIGNATURE_MALFORMED, f"component {ident} is covered twice")
        seen.add(ident)
        name = component.name
        if name == "@signature-params":
            raise SignatureError(SIGNATURE_MALFORMED, "@signature-params cannot be covered")
        reader = _REQUEST_DERIVED.get(name) if is_request and not component.params else None
        plan.append((ident + ": ", reader if reader is not None else component))
    return plan


_PLAN_CACHE: dict[tuple[int, bool], tuple[Sequence[Component], list[_PlanEntry]]] = {}


def _cached_plan(comps: Sequence[Component], is_request: bool) -> list[_PlanEntry]:
    if not isinstance(comps, tuple):
        return _plan(comps, is_request)
    key = (id(comps), is_request)
    entry = _PLAN_CACHE.get(key)
    if entry is not None and entry[0] is comps:
        return entry[1]
    plan = _plan(comps, is_request)
    if len(_PLAN_CACHE) >= 512:
        _PLAN_CACHE.clear()
    _PLAN_CACHE[key] = (comps, plan)
    return plan


def signature_base(
    message: Message,
    components: Sequence[Component | str],
    params: Mapping[str, object],
    *,
    signature_params: str | None = None,
) -> str:
    """RFC 9421 §2.5: one line per covered component, then ``"@signature-params"``.

    ``params`` is the ordered mapping of signature parameters (``created``, ``keyid`` ...).
    ``signature_params``, when given, is their serialization already known to be canonical.
    """
    if isinstance(components, tuple) and all(type(c) is Component for c in components):
        # keeps its identity for the memoised plan and list text
        comps: Sequence[Component] = cast("tuple[Component, ...]", components)
    else:
        comps = [c if isinstance(c, Component) else _as_component(c) for c in components]
    lines: list[str] = []
    for prefix, reader in _cached_plan(comps, message.status is None):
        if type(reader) is Component:
            lines.append(prefix + component_value(message, reader))
            continue
        value = cast(_Reader, reader)(message)  # a common derived component, inlined
        if value is None:
            raise SignatureError(COMPONENT_MISSING, f"{prefix[:-2]} is not known for this message")
        lines.append(prefix + value)
    if signature_params is None:
        signature_params = serialize_signature_params(comps, params)
    lines.append('"@signature-params": ' + signature_params)
    base = "\n".join(lines)
    # §2.5: every component value must be printable ASCII with no line break of its own.
    if not base.isascii() or "\r" in base or base.count("\n") != len(comps):
        for component in comps:  # find the culprit for the log
            component_value(message, component)
        raise SignatureError(SIGNATURE_MALFORMED, "a component value is not printable ASCII")
    return base
