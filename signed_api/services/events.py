"""The audit log: ``record()`` writes a :class:`~signed_api.models.SecurityEvent` and sends the
``security_event`` signal. Never pass a secret in ``detail``.

Events that an unauthenticated caller can cause (failed logins, wrong codes, replays) go
through a gate in the shared cache: at most one row per kind and subject every
``EVENT_THROTTLE`` seconds, so nobody can fill the table by failing on purpose.
"""

from __future__ import annotations

import hashlib

from ..conf import signed_api_settings
from ..credentials import shared_store
from ..logsafe import get_logger
from ..models import SecurityEvent
from ..signals import security_event
from ..stores import StoreUnavailable

logger = get_logger("signed_api.audit")  # escapes what a request put in a record



#: The longest EVENT_RETENTION_DAYS (a century): a date further back no longer fits in a
#: datetime.
MAX_RETENTION_DAYS = 36_500

def client_address(request) -> str | None:
    """The client's address as the guessing budget sees it (``NUM_PROXIES`` honoured)."""
    from .throttle import client_address as address

    return address(request)


def record(
    kind: str,
    *,
    user=None,
    username: str = "",
    key_id: str = "",
    request=None,
    detail: dict | None = None,
    gate: str | None = None,
) -> SecurityEvent | None:
    """Write one event. With ``gate`` (a subject such as a username or key id), write at most
    one event of this kind for that subject per ``EVENT_THROTTLE`` seconds."""
    address = client_address(request)
    if gate is not None:
        subject = hashlib.sha256(f"{kind}\0{gate}".encode()).hexdigest()[:40]
        try:
            fresh = shared_store().add(
                "signed_api:event:" + subject, int(signed_api_settings.EVENT_THROTTLE)
            )
        except StoreUnavailable:  # the audit gate failing must not break the flow
            fresh = False
        if not fresh:
            return None
    if user is not None and not username:
        username = user.get_username()
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and getattr(user, "pk", None) else None,
        username=username[:150],
        key_id=key_id[:64],
        client_address=address,
        detail=detail or {},
    )
    logger.info("signed_api event %s user=%s key=%s", kind, username, key_id)
    security_event.send(sender=SecurityEvent, event=event, request=request)
    return event
