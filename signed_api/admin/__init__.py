"""The Django admin: the whole key lifecycle for operators, and nothing secret on any page.

One module per model admin, each through the same service functions as the API views and the
management commands (``services.keys``, ``services.sessions``, ``services.second_factor``):

- ``api_keys``: create (an hmac secret is generated, or a client's public key registered),
  rotate with overlap, revoke, extend the expiry; edit name, scopes and expiry while not revoked.
- ``sessions`` and ``remember_families``: revoke. ``totp_devices``: reset.
- ``enrollment_keys``: create, revoke. ``security_events``: read only.

Beside them: ``actions`` (the one helper every action is built with: the confirmation page,
the loop, the count, the message) and ``base`` (the audit record, the one-time secret message,
the mixins the model admins share).

The admin login with the second factor is ``signed_api.admin_login``, on purpose outside this
package: ``AdminConfig.default_site`` may name its ``SecondFactorAdminSite``, and that class is
imported while ``admin.site`` is being built, when importing this package (which registers the
model admins on ``admin.site``) would fail.

Secrets (djangorestframework-api-key's rule): a new secret is shown once, base64url as clients
use it, in a warning message on the page after the save or the action, and never in a list
column, a form field or a change page. Encrypted secrets, seeds, token hashes, fingerprints and
state tokens are never displayed at all. Recovery codes, remember tokens and login challenges
hold nothing but hashes and bookkeeping, so they are not registered.

Every admin write also records a ``SecurityEvent`` of kind ``admin_action`` with
``{"action": ..., "by": <admin username>}``; the services record their own events besides.
Irreversible actions (revoke, reset) ask for confirmation first, like Django's "delete selected".
"""

from __future__ import annotations

# Importing a model admin's module registers it with admin.site (Django's autodiscover imports
# this package).
from .api_keys import ApiKeyAdmin
from .enrollment_keys import EnrollmentKeyAdmin
from .remember_families import RememberFamilyAdmin
from .security_events import SecurityEventAdmin
from .sessions import SessionAdmin
from .totp_devices import TOTPDeviceAdmin

__all__ = [
    "ApiKeyAdmin",
    "EnrollmentKeyAdmin",
    "RememberFamilyAdmin",
    "SecurityEventAdmin",
    "SessionAdmin",
    "TOTPDeviceAdmin",
]
