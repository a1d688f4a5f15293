"""The passwords of the suite's two users (the fixtures ``user`` and ``other_user`` of
tests/conftest.py): alice has ``PASSWORD``, bob has ``OTHER_PASSWORD``."""

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "bob's own password"
