"""``python -m signed_api.client METHOD URL [--json BODY] [--replay]``: one signed request.

The key comes from the environment: ``SIGNED_API_KEY_ID`` and ``SIGNED_API_SECRET`` (the
base64url secret that ``signed_api_createkey`` printed, or a session's), optionally
``SIGNED_API_ALGORITHM`` and, for client-held keys, ``SIGNED_API_PRIVATE_KEY`` (a PEM file path)
instead of the secret.

``python -m signed_api.client login AUTH_URL --username NAME [--remember]`` logs in (asking for
the password, and for a second-factor code when one is due) and prints the ``export`` lines
for a session; with ``SIGNED_API_REMEMBER_TOKEN`` set and no ``--username`` it uses the remember
token instead. ``python -m signed_api.client logout AUTH_URL`` ends the current session.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from .auth import SignatureAuth, decode_secret


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m signed_api.client",
        description="Send one RFC 9421-signed HTTP request and print the response.",
    )
    parser.add_argument("method", help="HTTP method, e.g. GET or POST")
    parser.add_argument("url", help="absolute URL, e.g. http://127.0.0.1:8000/api/notes/")
    parser.add_argument("--json", dest="json_body", metavar="BODY", help="a JSON request body")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument(
        "--replay",
        action="store_true",
        help="send the very same signed request a second time (the server must refuse it)",
    )
    return parser


def auth_from_env(environ=os.environ) -> SignatureAuth:
    """The key from the environment; any problem is a one-line error, not a traceback."""
    key_id = environ.get("SIGNED_API_KEY_ID")
    algorithm = environ.get("SIGNED_API_ALGORITHM", "hmac-sha256")
    if not key_id:
        raise SystemExit("error: set SIGNED_API_KEY_ID (and SIGNED_API_SECRET) first")
    if algorithm == "hmac-sha256":
        secret = environ.get("SIGNED_API_SECRET")
        if not secret:
            raise SystemExit("error: set SIGNED_API_SECRET to the key's base64url secret")
        try:
            key = decode_secret(secret)
        except ValueError:
            raise SystemExit("error: SIGNED_API_SECRET is not valid base64url") from None
        if not key:
            raise SystemExit("error: SIGNED_API_SECRET decodes to nothing")
    else:
        path = environ.get("SIGNED_API_PRIVATE_KEY")
        if not path:
            raise SystemExit("error: set SIGNED_API_PRIVATE_KEY to a PEM private key file")
        try:
            with open(path, "rb") as fh:
                key = fh.read()
        except OSError as exc:
            raise SystemExit(f"error: cannot read SIGNED_API_PRIVATE_KEY: {exc}") from None
    try:
        return SignatureAuth(key_id, key, algorithm=algorithm)
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"error: the key cannot be used with {algorithm}: {exc}") from None


def login_main(argv) -> int:
    from .session import LoginError, login, logout

    parser = argparse.ArgumentParser(prog="python -m signed_api.client login|logout")
    parser.add_argument("action", choices=["login", "logout"])
    parser.add_argument("auth_url", help="where signed_api is mounted, e.g. http://h/api/auth/")
    parser.add_argument("--username")
    parser.add_argument("--remember", action="store_true", help="also get a remember token")
    parser.add_argument("--device-name", default="command line")
    args = parser.parse_args(argv)
    try:
        if args.action == "logout":
            auth = auth_from_env()
            logout(args.auth_url, auth.key_id, auth)
            print("logged out")
            return 0
        if args.username:
            password = os.environ.get("SIGNED_API_PASSWORD")
            if password is None:
                import getpass

                password = getpass.getpass(f"Password for {args.username}: ")
            creds = login(
                args.auth_url, args.username, password,
                remember=args.remember, device_name=args.device_name,
            )
        elif os.environ.get("SIGNED_API_REMEMBER_TOKEN"):
            creds = login(
                args.auth_url, remember_token=os.environ["SIGNED_API_REMEMBER_TOKEN"],
                device_name=args.device_name,
            )
        else:
            raise SystemExit("error: give --username, or set SIGNED_API_REMEMBER_TOKEN")
    except LoginError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from .auth import encode_secret

    print(f"export SIGNED_API_KEY_ID={creds.id}")
    print(f"export SIGNED_API_SECRET={encode_secret(creds.secret)}")
    if creds.remember_token:
        print(f"export SIGNED_API_REMEMBER_TOKEN={creds.remember_token}")
    print(f"# session expires at {creds.expires_at}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("login", "logout"):
        return login_main(argv)
    args = build_parser().parse_args(argv)
    try:
        import requests
    except ImportError:  # pragma: no cover
        raise SystemExit(
            "error: install the client extra: pip install 'django-signed-api[client]'"
        ) from None
    auth = auth_from_env()
    kwargs = {}
    if args.json_body is not None:
        try:
            parsed = json.loads(args.json_body)
        except ValueError as exc:
            raise SystemExit(f"error: --json is not valid JSON: {exc}") from None
        kwargs["data"] = json.dumps(parsed).encode("utf-8")
        kwargs["headers"] = {"Content-Type": "application/json"}
    prepared = requests.Request(args.method.upper(), args.url, auth=auth, **kwargs).prepare()
    attempts = 2 if args.replay else 1
    with requests.Session() as session:
        for attempt in range(attempts):
            if attempt:
                print("\n--- the same signed request again (a replay) ---")
            try:
                response = session.send(prepared, timeout=args.timeout)
            except requests.RequestException as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            _print_response(response)
            _report_response_signature(auth, response)
    if args.replay:  # success means: the first went through and the replay was refused
        return 0 if response.status_code == 401 else 1
    return 0 if response.ok else 1


def _report_response_signature(auth, response) -> None:
    """Say whether the server signed its answer to this very request (docs/protocol.md)."""
    if "Signature" not in response.headers:
        return
    if auth.algorithm != "hmac-sha256":
        print("(response signed by the server key; verify it against the JWKS)", file=sys.stderr)
        return
    from ..core import SignatureError

    try:
        auth.verify_response(response)
    except SignatureError as exc:
        print(f"response signature: INVALID ({exc.code})", file=sys.stderr)
    else:
        print("response signature: verified", file=sys.stderr)


def _print_response(response) -> None:
    print(f"HTTP {response.status_code} {response.reason}")
    for name, value in response.headers.items():
        print(f"{name}: {value}")
    print()
    print(response.text)


if __name__ == "__main__":
    sys.exit(main())
