"""``/demo/``: a page that logs in and works with the notes API from the browser, through the
JavaScript client's bundle (``signed_api/static/signed_api/signed-api.js``).

Everything it sends is signed in the browser, with a device-bound key by default (a
non-extractable WebCrypto key kept in IndexedDB), and every response's signature is checked
there too. The page holds no secret in a URL or in ``localStorage``; its script is a static file,
so the Content-Security-Policy allows no inline script.
"""
