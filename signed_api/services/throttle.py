"""The guessing budget: password logins, second-factor codes and the admin login form.

One budget per username (known or not) and one per client address, both in the shared store so
every process counts together. An attempt is *charged before it is evaluated*, atomically
(``Store.incr``), so forty simultaneous wrong passwords cannot slip past a budget of five: each
takes a number first, and only those within the budget are evaluated at all. A success hands its
charge back (``succeeded()``), so a user who logs in correctly is never held back; a failure, or
anything that goes wrong while evaluating, keeps it::

    with throttle.attempt(username, throttle.guess_address(client_address(request))) as attempt:
        if check_password(...):
            attempt.succeeded()

``attempt()`` raises :class:`ThrottledError` (429 ``throttled`` with ``Retry-After``) before
the block runs when a budget is spent, and :class:`StoreUnavailable` (503) when the store cannot
count: an attempt that cannot be counted is not evaluated.

Locking out: a guesser can spend one username's budget and so hold that user's password logins
for ``LOGIN_FAILURE_WINDOW`` seconds (docs/security.md says more, and why it is the trade-off
chosen). The per-address budget bounds what one address can do across usernames.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
from collections.abc import Iterator

from ..conf import signed_api_settings
from ..logsafe import get_logger
from ..stores import StoreUnavailable, get_store

logger = get_logger("signed_api")

__all__ = ["Attempt", "StoreUnavailable", "ThrottledError", "attempt", "client_address"]

PREFIX = "signed_api:fail:"


def _key(kind: str, value: str) -> str:
    return PREFIX + kind + ":" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:40]


def _address_bucket(address: str) -> str:
    """An IPv6 address counts with its /64 (one host usually holds a whole /64, and would
    otherwise have 2**64 fresh budgets); IPv4 addresses count alone."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _budgets(username: str | None, address: str | None) -> list[tuple[str, int]]:
    """The address first: an address over its budget is refused before a counter for the
    username is even created, so one client cannot fill the store with usernames."""
    s = signed_api_settings
    budgets = []
    if address:
        budgets.append(
            (_key("a", _address_bucket(address)), int(s.LOGIN_FAILURES_PER_ADDRESS))
        )
    if username:
        budgets.append((_key("u", username.strip().lower()), int(s.LOGIN_FAILURES_PER_USERNAME)))
    return budgets


class ThrottledError(Exception):
    def __init__(self, wait: int):
        self.wait = wait
        super().__init__(f"throttled for {wait} s")


#: The address budget of requests that carry no client address (an empty ``REMOTE_ADDR``: a
#: server on a unix socket with nothing in front to name the client, or ``NUM_PROXIES`` too
#: small for what reaches it): one budget that all of them share, rather than none.
NO_ADDRESS = "no-address"
_warned_no_address = False


def guess_address(address: str | None) -> str:
    """The address budget a guess from a client at ``address`` is charged to: its own, or
    :data:`NO_ADDRESS` (logged once per process: every such client then shares one budget, and
    a guesser can hold their logins; set ``NUM_PROXIES`` so each has its own)."""
    global _warned_no_address
    if address:
        return address
    if not _warned_no_address:
        _warned_no_address = True
        logger.warning(
            "signed_api: a login came without a client address (REMOTE_ADDR is empty); such "
            "requests share one guessing budget per address. Behind a proxy on a unix socket, "
            "have it set X-Forwarded-For and set SIGNED_API['NUM_PROXIES']."
        )
    return NO_ADDRESS


def client_address(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, behind ``NUM_PROXIES`` proxies that each
    append to ``X-Forwarded-For``, the entry that many from the right (what the nearest trusted
    proxy saw). Entries left of it are the client's to forge and are never used."""
    if request is None:
        return None
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR") or None
    proxies = int(signed_api_settings.NUM_PROXIES or 0)
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if h.strip()]
    if len(hops) < proxies:
        # Fewer entries than proxies: the request did not come through all of them; the
        # nearest peer is what we know.
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class Attempt:
    """One charged attempt; call :meth:`succeeded` to hand the charge back."""

    def __init__(self, charged: list[tuple[str, str]]):
        self._charged = charged
        self.refunded = False

    def succeeded(self) -> None:
        if self.refunded:
            return
        self.refunded = True
        _refund(self._charged)


def _refund(charged: list[tuple[str, str]]) -> None:
    """Hand back each charge to the window it was taken from. A window that ended meanwhile
    (the refund of a slow success, or of a refused attempt delayed past the window's end) is
    not refunded: taken from the next window, it would be one more guess there."""
    store = get_store()
    for key, window in charged:
        # A refund that cannot be written leaves the charge; it expires with its window.
        with contextlib.suppress(StoreUnavailable):
            store.decr(key, window)


def charge(username: str | None, address: str | None) -> Attempt:
    """Charge one attempt against both budgets; raise before evaluation when one is spent."""
    budgets = _budgets(username, address)
    store = get_store()
    charged: list[tuple[str, str]] = []
    over = 0
    try:
        for key, limit in budgets:
            count, ttl, window = store.incr(key, int(signed_api_settings.LOGIN_FAILURE_WINDOW))
            charged.append((key, window))
            if count > limit:
                over = ttl
                break
    except StoreUnavailable:
        _refund(charged)
        raise
    if over:
        # Refused without evaluation: hand back what this refusal took, so that the budgets
        # count evaluated failures, and a flood of refused attempts cannot push a shared address
        # counter ever higher.
        _refund(charged)
        raise ThrottledError(over)
    return Attempt(charged)


@contextlib.contextmanager
def attempt(username: str | None, address: str | None) -> Iterator[Attempt]:
    yield charge(username, address)

