"""signed_api's own signals (the receivers that keep every process's key cache honest are in
``receivers``; this module imports nothing of signed_api, so anything may send these).

Signals you can connect to (all sent after the fact, with ``sender`` the model class):

- ``session_created(user, session, request, via)``: a session was issued (``via`` is
  ``"password"``, ``"second_factor"`` or ``"remember_token"``);
- ``session_revoked(user, session)``: a session was ended by its owner;
- ``second_factor_failed(user, request)``: a wrong TOTP or recovery code;
- ``remember_token_reused(user, family, request)``: a consumed remember token came back after
  the grace period, i.e. it was stolen; the family and its sessions are already revoked.
- ``security_event(event, request)``: any audit-log entry was written (``event`` is the
  ``SecurityEvent``; key created / rotated / revoked, logins, replays, admin actions...).

Django's own ``user_logged_in`` and ``user_login_failed`` are sent by the login flow too.
"""

from __future__ import annotations

from django.dispatch import Signal

session_created = Signal()
session_revoked = Signal()
second_factor_failed = Signal()
remember_token_reused = Signal()
security_event = Signal()
