"""signed_api: RFC 9421 signed requests, API keys and sessions for Django REST framework.

Importing this package touches no Django setting: the Django parts live in submodules
(``signed_api.authentication``, ``signed_api.models`` ...) and the protocol core in
``signed_api.core`` has no Django import at all.
"""

__version__ = "0.1.0"
