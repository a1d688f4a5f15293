"""The contract a second factor keeps, so that the login flow, the admin login and the account
endpoints never special-case a factor type (django-otp's idea).

A factor is a class with a ``name`` (what the 202's ``methods`` lists) and these methods. The
login flow calls them inside its transaction, but a project's code may call them outside one, so
a factor that locks rows opens its own ``transaction.atomic()`` (a savepoint when nested):

- ``is_enabled_for(user)``: the user has it set up and it can be used now;
- ``verify(user, code, now=None)``: accept a code at most once (record what makes it used up)
  and return True, or return False, never raising for a wrong or malformed code;
- ``reset(user)``: remove it without a code (the admin's reset); True when there was one;
- ``state(user)``: a short text that changes when the factor is set up, changed or removed
  (remember-me families are bound to it, so such a change ends them).

``primary`` factors make a second factor due at login (TOTP); the others are backups
(recovery codes), offered only beside an enabled primary factor. A factor that also enrols
(TOTP) offers ``begin_enrolment``/``confirm_enrolment``/``disable`` of its own; the account
endpoints ``totp/`` use those.
"""

from __future__ import annotations


class SecondFactor:
    name = ""
    primary = True

    def is_enabled_for(self, user) -> bool:
        raise NotImplementedError

    def verify(self, user, code: str, *, now: float | None = None) -> bool:
        raise NotImplementedError

    def reset(self, user) -> bool:
        raise NotImplementedError

    def state(self, user) -> str:
        return "on" if self.is_enabled_for(user) else "-"
