"""The command line: ``python -m signed_api.client --help`` lists every command and variable.

- ``METHOD URL [--json BODY] [--replay]``: one signed request, its answer printed;
- ``login AUTH_URL --username NAME [--remember] [--code CODE]``: ``export`` lines for a session;
- ``logout AUTH_URL [--others]``: end this session, or every other one;
- ``totp enable|confirm|disable AUTH_URL [CODE]``: the second factor of a logged-in account.

``--ohttp`` on any of them sends everything through the server's Oblivious HTTP gateway
(RFC 9458): each request, signed as usual, is encrypted to the gateway's key, so a proxy on the
way sees neither the path nor the headers nor the body, nor the answer.

The key comes from the environment (``ENVIRONMENT`` below). Every mistake a user can make is an
``error: …`` line (and sometimes a ``hint: …`` line) on stderr, never a traceback: exit status 1
when the server refused, 2 for a usage, configuration or input problem or a server that cannot
be reached, 130 after Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core import algorithms
from .auth import SignatureAuth, decode_secret

PROG = "python -m signed_api.client"

#: Every variable the command line reads, with what it is for (shown by ``--help``).
ENVIRONMENT = (
    ("SIGNED_API_KEY_ID", "the id of the key or session that signs"),
    ("SIGNED_API_SECRET", "its base64url secret (hmac-sha256 keys and sessions)"),
    ("SIGNED_API_PRIVATE_KEY", "a PEM private key file, for a client-held ed25519/ecdsa key"),
    ("SIGNED_API_ALGORITHM", "hmac-sha256, ed25519 or ecdsa-p256-sha256 (default: from the PEM)"),
    ("SIGNED_API_PASSWORD", "login: the password, instead of asking for it"),
    ("SIGNED_API_REMEMBER_TOKEN", "login without --username: trade this remember token"),
)

#: The commands: name, usage and what it does, as ``--help`` lists them.
COMMANDS = (
    ("METHOD URL", "METHOD URL [--json BODY] [--timeout SECONDS] [--replay] [--ohttp]",
     "send one signed request and print the answer"),
    ("login", "login AUTH_URL --username NAME [--remember] [--code CODE] [--device-key PATH]"
     " [--ohttp]",
     "log in; prints export lines for the session (eval them)"),
    ("logout", "logout AUTH_URL [--others] [--ohttp]",
     "end this session (--others: every other session instead)"),
    ("totp enable", "totp enable AUTH_URL [--ohttp]",
     "start a second factor: the otpauth URI and a QR code"),
    ("totp confirm", "totp confirm AUTH_URL CODE [--ohttp]",
     "confirm it with a current code; shows the recovery codes once"),
    ("totp disable", "totp disable AUTH_URL CODE [--ohttp]",
     "remove it, with a current code or a recovery code"),
)

#: What ``--help`` says about ``--ohttp``, once for every command.
OHTTP_HELP = (
    "--ohttp sends every request of a command through the Oblivious HTTP gateway (RFC 9458) of\n"
    "the URL's origin, <origin>/.well-known/ohttp-gateway (--ohttp-gateway URL for another):\n"
    "the signed request is encrypted to the gateway's published key, so a proxy on the way\n"
    "sees the gateway's URL, sizes and timing, not the path, headers, body or answer.\n"
    "--ohttp-padding BYTES pads each request to a multiple of BYTES (default 256, 0 for none)."
)
OHTTP_HINT = (
    "that URL is probably not a gateway: signed_api.ohttp_urls serves /.well-known/ohttp-gateway"
    " (the default of --ohttp); --ohttp-gateway URL names another"
)

# The algorithms a key of the app may have (docs/architecture.md, "Add an algorithm").
ALGORITHMS = algorithms.names(api_keys=True)
CLIENT_HELD = tuple(name for name in ALGORITHMS if not algorithms.get(name).shared_secret)

LOGIN_HINT = 'eval "$(python -m signed_api.client login AUTH_URL --username NAME)"'
AUTH_URL_EXAMPLE = "http://127.0.0.1:8000/api/auth/"
#: Why Django's own 404 is unsigned: outside the app's URLs, SERVER_SIGNATURES="app" signs nothing.
UNSIGNED_404 = "Django's own 404 for a URL outside the app is unsigned"
SESSION_HINT = (
    "account security (sessions/, totp/, keys/) needs a session, not an API key: log in with "
    + LOGIN_HINT
)
QR_HINT = "for a QR code here: pip install 'django-signed-api[qr]'"

#: What to suggest for an error code in a refused answer.
HINTS = {
    "session_required": SESSION_HINT,
    "algorithm_mismatch": "the key has another algorithm on the server: set SIGNED_API_ALGORITHM"
    " (and SIGNED_API_PRIVATE_KEY for ed25519 or ecdsa-p256-sha256 keys)",
    "clock_skew": "this computer's clock is off: sync it (NTP)",
    "unknown_key": "check SIGNED_API_KEY_ID, and that URL is the server that issued the key",
    "signature_invalid": "check SIGNED_API_SECRET or SIGNED_API_PRIVATE_KEY (the key's own)",
    "otp_invalid": "use a current code from the authenticator app, or an unused recovery code",
    "throttled": "too many failed attempts: wait a few minutes before trying again",
}


class CLIError(Exception):
    """A one-line error for the user; ``status`` is the exit status, ``code`` the server's
    error code when the server refused."""

    status = 1

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None):
        super().__init__(message)
        self.hint = hint
        self.code = code


class UsageError(CLIError):
    status = 2


class Unreachable(CLIError):
    status = 2


# -- the parsers -----------------------------------------------------------------------------
def _overview() -> str:
    width = max(len(name) for name, _, _ in COMMANDS)
    commands = "\n".join(f"  {name:<{width}}  {text}" for name, _, text in COMMANDS)
    width = max(len(name) for name, _ in ENVIRONMENT)
    variables = "\n".join(f"  {name:<{width}}  {text}" for name, text in ENVIRONMENT)
    return (
        f"commands:\n{commands}\n\n"
        "AUTH_URL is where signed_api.urls is mounted, e.g. http://127.0.0.1:8000/api/auth/.\n"
        f"`{PROG} COMMAND --help` shows a command's options.\n\n"
        f"{OHTTP_HELP}\n\n"
        f"environment variables:\n{variables}\n\n"
        "exit status: 0 done; 1 the server refused; 2 a usage, configuration or input problem,\n"
        "or the server cannot be reached; 130 interrupted."
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``METHOD URL``; its ``--help`` is the overview of every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=f"\n{' ' * 7}".join(f"{PROG} {usage}" for _, usage, _ in COMMANDS),
        description="Send RFC 9421-signed HTTP requests, log in, and manage the second factor.",
        epilog=_overview(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("method", help="HTTP method, e.g. GET or POST")
    parser.add_argument("url", help="absolute URL, e.g. http://127.0.0.1:8000/api/notes/")
    parser.add_argument("--json", dest="json_body", metavar="BODY", help="a JSON request body")
    _timeout(parser)
    parser.add_argument(
        "--replay",
        action="store_true",
        help="send the very same signed request a second time (the server must refuse it)",
    )
    _ohttp_options(parser)
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def _timeout(parser) -> None:
    parser.add_argument(
        "--timeout", type=_seconds, default=30.0, metavar="SECONDS", help="seconds (default 30)"
    )


def _padding(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65536:
        raise argparse.ArgumentTypeError(f"not a number of bytes from 0 to 65536: {text!r}")
    return value


def _ohttp_options(parser) -> None:
    group = parser.add_argument_group(
        "Oblivious HTTP",
        "encrypt every request to the server's gateway (RFC 9458): a proxy on the way sees the"
        " gateway's URL, sizes and timing, not the path, headers, body or answer",
    )
    group.add_argument(
        "--ohttp", action="store_true",
        help="send through the gateway of the URL's origin, <origin>/.well-known/ohttp-gateway",
    )  # fmt: skip
    group.add_argument(
        "--ohttp-gateway", metavar="URL",
        help="the gateway's URL, when it is not at the origin's well-known path (implies --ohttp)",
    )  # fmt: skip
    group.add_argument(
        "--ohttp-padding", type=_padding, default=256, metavar="BYTES",
        help="pad each encrypted request to a multiple of BYTES (default 256; 0: none)",
    )  # fmt: skip


def _auth_url(parser) -> None:
    parser.add_argument(
        "auth_url", metavar="AUTH_URL",
        help="where signed_api is mounted, e.g. http://127.0.0.1:8000/api/auth/",
    )


def _login_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} login",
        description="Log in and print `export` lines for the session: eval them, e.g. "
        + LOGIN_HINT.replace("AUTH_URL", "http://127.0.0.1:8000/api/auth/"),
        epilog="The password comes from SIGNED_API_PASSWORD, else it is asked for. Without "
        "--username, SIGNED_API_REMEMBER_TOKEN is traded for a session. When a second factor "
        "is due, the code comes from --code, else it is asked for on the terminal.",
    )
    _auth_url(parser)
    parser.add_argument("--username", metavar="NAME", help="log in with this user's password")
    parser.add_argument("--remember", action="store_true", help="also get a remember token")
    parser.add_argument(
        "--code", metavar="CODE",
        help="the second-factor code (authenticator or recovery code), for scripts",
    )
    parser.add_argument(
        "--device-name", metavar="NAME", default="command line",
        help="how the session is listed in GET sessions/ (default: command line)",
    )
    parser.add_argument(
        "--device-key", metavar="PATH",
        help="bind the session to the private key in this PEM file (made, mode 0600, when a "
        "password login finds none): no secret is issued, and a remember token is traded only "
        "under this key's signature",
    )
    parser.add_argument(
        "--device-algorithm", choices=("ecdsa-p256-sha256", "ed25519"),
        default="ecdsa-p256-sha256", help="the algorithm of a new --device-key (default P-256)",
    )
    parser.add_argument(
        "--new-device-key", metavar="PATH",
        help="with SIGNED_API_REMEMBER_TOKEN and --device-key: move to this key (made when "
        "missing), signed by the old one",
    )
    _timeout(parser)
    _ohttp_options(parser)
    return parser


def _logout_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} logout",
        description="End the session named by SIGNED_API_KEY_ID, signed by it.",
    )
    _auth_url(parser)
    parser.add_argument(
        "--others", action="store_true",
        help="keep this session; end every other session and remember token of the account",
    )
    _timeout(parser)
    _ohttp_options(parser)
    return parser


def _totp_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} totp",
        description="Manage the TOTP second factor of the account logged in as SIGNED_API_KEY_ID "
        "and SIGNED_API_SECRET (a session: " + LOGIN_HINT + ").",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    enable = actions.add_parser(
        "enable", help="start: print the otpauth URI and a QR code for an authenticator app"
    )
    confirm = actions.add_parser(
        "confirm", help="confirm with a current code; prints the recovery codes, once"
    )
    disable = actions.add_parser("disable", help="remove it, with a current or a recovery code")
    for sub in (enable, confirm, disable):
        _auth_url(sub)
        _timeout(sub)
        _ohttp_options(sub)
    confirm.add_argument("code", metavar="CODE", help="the code the authenticator app shows")
    disable.add_argument("code", metavar="CODE", help="a current code or a recovery code")
    return parser


# -- the key from the environment --------------------------------------------------------------
def _guess_algorithm(pem: bytes) -> str:
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"SIGNED_API_PRIVATE_KEY is not an unencrypted PEM private key: {exc}"
        ) from None
    for name in CLIENT_HELD:  # the first registered algorithm that takes this key
        try:
            algorithms.get(name).load_signing_key(key)
        except ValueError:
            continue
        return name
    raise UsageError(
        f"SIGNED_API_PRIVATE_KEY holds a {type(key).__name__.lstrip('_')}; a client-held key is"
        " Ed25519 or ECDSA P-256 (or set SIGNED_API_ALGORITHM)"
    )


def auth_from_env(environ=None) -> SignatureAuth:
    """The key from the environment; any problem is a :class:`UsageError`, not a traceback."""
    environ = os.environ if environ is None else environ
    key_id = environ.get("SIGNED_API_KEY_ID")
    algorithm = environ.get("SIGNED_API_ALGORITHM") or None
    secret = environ.get("SIGNED_API_SECRET")
    path = environ.get("SIGNED_API_PRIVATE_KEY")
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise UsageError(
            f"SIGNED_API_ALGORITHM is {algorithm!r}; it must be one of {', '.join(ALGORITHMS)}"
        )
    client_held = algorithm in CLIENT_HELD or (algorithm is None and bool(path) and not secret)
    if not key_id:
        if client_held:
            raise UsageError(
                "set SIGNED_API_KEY_ID to the id of the key whose private half is in"
                " SIGNED_API_PRIVATE_KEY"
            )
        raise UsageError(
            "set SIGNED_API_KEY_ID and SIGNED_API_SECRET first",
            hint="for a client-held ed25519 or ecdsa-p256-sha256 key, set SIGNED_API_KEY_ID and"
            f" SIGNED_API_PRIVATE_KEY (its PEM file) instead; for a session: {LOGIN_HINT}",
        )
    if not client_held:
        if not secret:
            raise UsageError(
                "set SIGNED_API_SECRET to the key's base64url secret",
                hint="a client-held ed25519 or ecdsa-p256-sha256 key has no secret: set"
                " SIGNED_API_PRIVATE_KEY to its PEM private key file instead"
                + (" (and SIGNED_API_ALGORITHM to its algorithm)" if algorithm else ""),
            )
        try:
            if not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", secret.strip()):
                raise ValueError
            key = decode_secret(secret)
        except ValueError:
            raise UsageError(
                "SIGNED_API_SECRET is not valid base64url (letters, digits, - and _)"
            ) from None
        if not key:
            raise UsageError("SIGNED_API_SECRET decodes to nothing")
        algorithm = "hmac-sha256"
    else:
        if not path:
            raise UsageError(
                f"{algorithm} keys are held by the client: set SIGNED_API_PRIVATE_KEY to the path"
                " of the PEM private key file"
                + (" (SIGNED_API_SECRET is for hmac-sha256 keys and sessions)" if secret else "")
            )
        try:
            with open(path, "rb") as fh:
                key = fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read SIGNED_API_PRIVATE_KEY: {exc}") from None
        if algorithm is None:
            algorithm = _guess_algorithm(key)
    try:
        return SignatureAuth(key_id, key, algorithm=algorithm)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"the key cannot be used with {algorithm}: {exc}") from None


# -- talking to the server ---------------------------------------------------------------------
def _check_url(url: str, what: str = "URL") -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise UsageError(f"not a valid {what}: {url!r}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} must be an absolute http(s) URL, got {url!r}")


def _unreachable(exc, url: str) -> CLIError:
    """A short line for a requests/httpx transport error (not urllib3's nested repr)."""
    import requests

    where = urlsplit(url).netloc or url
    if isinstance(exc, requests.Timeout):
        return Unreachable(f"no answer from {where} in time (--timeout)")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return UsageError(f"not a usable URL: {url!r}")
    reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    text = reason.group(1).strip().rstrip(".") if reason else type(exc).__name__
    return Unreachable(f"cannot reach {where}: {text.lower()}")


def _refused(exc, auth_url: str) -> CLIError:
    """A :class:`LoginError` as one line, with a hint where one helps."""
    if not isinstance(exc.code, str) and exc.status == 400 and exc.body:  # field errors
        fields = "; ".join(
            f"{_printable(name)}: {_printable(_joined(errors))}"
            for name, errors in exc.body.items()
        )
        return UsageError(f"400 the server refused the input: {fields}"[:400])
    if exc.code is None and exc.status >= 500:
        return CLIError(f"{auth_url} answered HTTP {exc.status}: a server error, try again later")
    if not isinstance(exc.code, str):  # no signed_api error body: not where it is mounted
        return UsageError(
            f"{auth_url} answered HTTP {exc.status} without a signed_api error",
            hint=f"AUTH_URL is where signed_api.urls is mounted, e.g. {AUTH_URL_EXAMPLE}",
        )
    detail = f": {_printable(exc.detail)}" if exc.detail else ""
    hint = HINTS.get(exc.code)
    remaining = exc.body.get("attempts_remaining")
    if exc.code == "otp_invalid" and isinstance(remaining, int):
        detail += f" ({remaining} attempts left)"
    return CLIError(f"{exc.status} {_printable(exc.code)}{detail}", hint=hint, code=exc.code)


class _NeverRaised(Exception):
    pass


def _ohttp_error() -> type[Exception]:
    """``OHTTPError`` once the gateway client is in use (only it raises one); the Oblivious
    HTTP modules are imported for ``--ohttp`` alone."""
    module = sys.modules.get("signed_api.client.ohttp")
    return module.OHTTPError if module is not None else _NeverRaised


def _gateway_error(exc) -> CLIError:
    """An :class:`~signed_api.client.ohttp.OHTTPError` as one line (its message names the
    gateway, the outer status and a code: nothing of the encrypted request). Any answer to the
    key configuration request that is not a usable ``application/ohttp-keys`` (whatever its
    status or media type, but a 5xx: a gateway that is down for now) means no usable gateway
    there: a usage problem, with a hint."""
    down = isinstance(exc.status, int) and exc.status >= 500
    if not down and (
        getattr(exc, "key_request", False)
        or exc.status in (404, 405)
        or exc.code in ("key_configs_unusable", "not_ohttp")
    ):
        return UsageError(f"no usable gateway: {_printable(exc)}", hint=OHTTP_HINT)
    return CLIError(f"gateway: {_printable(exc)}")


def _check_ohttp(args, url: str) -> str | None:
    """The gateway URL when the command goes through one (``--ohttp``, ``--ohttp-gateway``)."""
    if args.ohttp_gateway:
        _check_url(args.ohttp_gateway, "--ohttp-gateway URL")
        return args.ohttp_gateway
    if args.ohttp:
        from .ohttp import gateway_url_for

        return gateway_url_for(url)
    return None


def _ohttp_suffix(args) -> str:
    """The gateway options of this command, for a suggested next command."""
    if args.ohttp_gateway:
        return f" --ohttp-gateway {args.ohttp_gateway}"
    return " --ohttp" if args.ohttp else ""


def _python() -> str:
    """The interpreter running this command, as a command to run next names it: relative to
    the current directory when that is shorter (``.venv/bin/python``), quoted for a shell."""
    import shlex

    executable = sys.executable or "python"
    try:
        relative = os.path.relpath(executable)
    except ValueError:  # another drive (Windows)
        relative = executable
    return shlex.quote(relative if len(relative) < len(executable) else executable)


def _next_command(words: str) -> str:
    """``words`` as a command of this program to run next, with the interpreter running now."""
    return f"{_python()} -m signed_api.client {words}"


def _http(args, url: str):
    """The ``requests.Session`` of a command: through the gateway with ``--ohttp``, saying so
    on stderr (once, when the first answer has come back through it)."""
    import requests

    gateway = _check_ohttp(args, url)
    if gateway is None:
        return requests.Session()
    from .ohttp import OHTTPAdapter

    class Adapter(OHTTPAdapter):
        noted = False

        def send(self, request, *more, **kwargs):
            response = super().send(request, *more, **kwargs)
            if not self.noted:
                self.noted = True
                print(f"(encrypted through the gateway {gateway})", file=sys.stderr)
            return response

    http = requests.Session()
    adapter = Adapter(gateway, padding=args.ohttp_padding)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


def _joined(errors) -> str:
    return " ".join(map(str, errors)) if isinstance(errors, list) else str(errors)


def _printable(text, limit: int = 300) -> str:
    """The server's words on one line, without control characters (no terminal escapes)."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", str(text))[:limit]


def _call(auth_url: str, function, *args, **kwargs):
    """Run a client helper of session.py; every failure becomes a :class:`CLIError`."""
    import requests

    from .session import LoginError

    not_signed_api = UsageError(
        f"{auth_url} did not answer as signed_api does",
        hint=f"AUTH_URL is where signed_api.urls is mounted, e.g. {AUTH_URL_EXAMPLE}",
    )
    from .refusals import UnverifiedRefusal

    try:
        return function(*args, **kwargs)
    except UnverifiedRefusal as exc:
        raise _unverified(exc, auth_url, "AUTH_URL") from None
    except LoginError as exc:
        raise _refused(exc, auth_url) from None
    except _ohttp_error() as exc:  # evaluated when something was raised
        raise _gateway_error(exc) from None
    except requests.exceptions.JSONDecodeError:  # a 2xx that is not JSON
        raise not_signed_api from None
    except requests.RequestException as exc:
        raise _unreachable(exc, auth_url) from None
    except (ValueError, KeyError, TypeError):  # JSON, but not the fields signed_api sends
        raise not_signed_api from None


def _ask(prompt: str, what: str) -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"{what} is needed and there is no terminal to ask on")
    try:
        return getpass.getpass(prompt)
    except EOFError:  # Ctrl-D
        raise UsageError(f"no {what} given (end of input)") from None


def _code_prompt(code: str | None):
    """``login``'s ``code_prompt``: ``--code`` once (a refused code ends the command), else the
    terminal, again after a wrong code while attempts remain."""
    given: list[str] = []

    def prompt(info: dict) -> str:
        remaining = info.get("attempts_remaining")
        if code is not None:
            if given:
                raise CLIError(
                    "401 otp_invalid: the --code was refused"
                    + (f" ({remaining} attempts left)" if remaining is not None else ""),
                    hint="run login again with a current code, or an unused recovery code",
                )
            given.append(code)
            return code
        if not sys.stdin.isatty():
            raise UsageError(
                "a second-factor code is due and there is no terminal to ask on",
                hint="give it with --code CODE (a current authenticator code or a recovery code)",
            )
        note = f" ({remaining} attempts left)" if remaining is not None else ""
        return _ask(f"Authenticator or recovery code{note}: ", "code")

    return prompt


# -- the commands ------------------------------------------------------------------------------
def login_main(argv) -> int:
    from .auth import encode_secret

    args = _login_parser().parse_args(argv)
    _check_url(args.auth_url, "AUTH_URL")
    prompt = _code_prompt(args.code)
    with _http(args, args.auth_url) as http:
        creds = _login(args, prompt, http)
    print(f"export SIGNED_API_KEY_ID={creds.id}")
    if creds.device_key is not None:
        import shlex

        # No secret exists: the next commands sign with the device key's file.
        key_file = shlex.quote(os.path.abspath(creds.device_key.path))
        print(f"export SIGNED_API_PRIVATE_KEY={key_file}")
        print(f"export SIGNED_API_ALGORITHM={creds.algorithm}")
        print(f"# bound to the device key {creds.key_thumbprint}", file=sys.stderr)
    else:
        print(f"export SIGNED_API_SECRET={encode_secret(creds.secret)}")
    if creds.remember_token:
        print(f"export SIGNED_API_REMEMBER_TOKEN={creds.remember_token}")
    print(f"# session expires at {creds.expires_at}", file=sys.stderr)
    return 0


def _device_keys(args, *, create: bool):
    """``(device key, new device key)`` of ``--device-key`` and ``--new-device-key``."""
    from .session import load_device_key

    def load(path, create_it):
        if path is None:
            return None
        try:
            return load_device_key(path, create=create_it, algorithm=args.device_algorithm)
        except FileNotFoundError:
            raise UsageError(f"no device key file {path}",
                             hint="a password login with --device-key creates it") from None
        except (OSError, ValueError, TypeError) as exc:
            raise UsageError(f"cannot use the device key {path}: {exc}") from None

    if args.new_device_key and not args.device_key:
        raise UsageError("--new-device-key needs --device-key (the key that signs the move)")
    return load(args.device_key, create), load(args.new_device_key, True)


def _login(args, prompt, http):
    from .session import login

    if args.username:
        if args.new_device_key:
            raise UsageError("--new-device-key moves a remember token: use it without --username")
        device_key, _ = _device_keys(args, create=True)
        password = os.environ.get("SIGNED_API_PASSWORD")
        if password is None:
            password = _ask(f"Password for {args.username}: ", "password")
        return _call(
            args.auth_url, login, args.auth_url, args.username, password,
            remember=args.remember, device_name=args.device_name, code_prompt=prompt,
            timeout=args.timeout, http=http, device_key=device_key,
        )
    if os.environ.get("SIGNED_API_REMEMBER_TOKEN"):
        device_key, new_device_key = _device_keys(args, create=False)
        return _call(
            args.auth_url, login, args.auth_url,
            remember_token=os.environ["SIGNED_API_REMEMBER_TOKEN"],
            device_name=args.device_name, code_prompt=prompt, timeout=args.timeout, http=http,
            device_key=device_key, new_device_key=new_device_key,
        )
    raise UsageError("give --username NAME, or set SIGNED_API_REMEMBER_TOKEN")


def logout_main(argv) -> int:
    from .session import logout, logout_others

    args = _logout_parser().parse_args(argv)
    _check_url(args.auth_url, "AUTH_URL")
    auth = auth_from_env()
    with _http(args, args.auth_url) as http:
        if args.others:
            ended = _call(
                args.auth_url, logout_others, args.auth_url, auth, timeout=args.timeout, http=http
            )
            sessions = "session" if ended == 1 else "sessions"
            print(f"ended {ended} other {sessions} and every other remember token")
            return 0
        _call(
            args.auth_url, logout, args.auth_url, auth.key_id, auth, timeout=args.timeout,
            http=http,
        )  # fmt: skip
    print("logged out")
    return 0


def totp_main(argv) -> int:
    args = _totp_parser().parse_args(argv)
    _check_url(args.auth_url, "AUTH_URL")
    auth = auth_from_env()
    with _http(args, args.auth_url) as http:
        return _totp(args, auth, http)


def _totp(args, auth, http) -> int:
    from . import session

    url = args.auth_url
    if args.action == "enable":
        try:
            data = _call(url, session.totp_enable, url, auth, timeout=args.timeout, http=http)
        except CLIError as exc:
            if exc.code == "totp_already_enabled":
                exc.hint = (
                    "the account has a second factor already: to enrol a new one, remove it"
                    f" first with {_next_command(f'totp disable {url} CODE')}"
                    f"{_ohttp_suffix(args)} (a current code or a recovery code)"
                )
            raise
        uri = data["otpauth_uri"]
        print(uri)
        shown = print_qr(uri)
        secret = parse_qs(urlsplit(uri).query).get("secret", [""])[0]
        if secret:
            print(f"secret (to type in instead): {secret}")
        if not shown:
            print(f"hint: add the URI to an authenticator app; {QR_HINT}", file=sys.stderr)
        confirm = _next_command(f"totp confirm {url} CODE") + _ohttp_suffix(args)
        print(f"then: {confirm}", file=sys.stderr)
        return 0
    if args.action == "confirm":
        codes = _call(
            url, session.totp_confirm, url, args.code, auth, timeout=args.timeout, http=http
        )
        print("The second factor is on: logging in now needs a code.", file=sys.stderr)
        print("Recovery codes (each works once, instead of a code):", file=sys.stderr)
        for code in codes:
            print(code)
        print("They will not be shown again: store them somewhere safe now.", file=sys.stderr)
        return 0
    _call(url, session.totp_disable, url, args.code, auth, timeout=args.timeout, http=http)
    print("second factor removed: logging in needs the password alone")
    return 0


def print_qr(text: str, out=None) -> bool:
    """Draw ``text`` as a QR code with Unicode blocks when segno (the ``qr`` extra) is
    installed and the output can show them; returns whether it did."""
    out = sys.stdout if out is None else out
    try:
        import segno
    except ImportError:
        return False
    import io

    drawing = io.StringIO()
    try:
        segno.make(text, error="m").terminal(out=drawing, compact=True)
    except TypeError:  # segno before 1.6 has no compact drawing
        return False
    try:
        drawing.getvalue().encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    out.write(drawing.getvalue())
    return True


def request_main(argv) -> int:
    args = build_parser().parse_args(argv)
    try:
        import requests
    except ImportError:  # pragma: no cover
        raise UsageError(
            "install the client extra: pip install 'django-signed-api[client]'"
        ) from None
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", args.method):
        raise UsageError(f"not an HTTP method: {args.method!r}")
    _check_url(args.url)
    kwargs: dict[str, Any] = {}  # Request's data and headers
    if args.json_body is not None:
        try:
            parsed = json.loads(args.json_body)
        except ValueError as exc:
            raise UsageError(f"--json is not valid JSON: {exc}") from None
        except RecursionError:
            raise UsageError("--json is nested too deeply") from None
        kwargs["data"] = json.dumps(parsed).encode("utf-8")
        kwargs["headers"] = {"Content-Type": "application/json"}
    auth = auth_from_env()
    from .refusals import UnverifiedRefusal

    try:
        prepared = requests.Request(args.method.upper(), args.url, auth=auth, **kwargs).prepare()
    except (requests.RequestException, ValueError) as exc:
        raise UsageError(f"cannot build the request: {exc}") from None
    gateway = _check_ohttp(args, args.url)
    attempts = 2 if args.replay else 1
    with _http(args, args.url) as http:
        for attempt in range(attempts):
            if attempt:
                print("\n--- the same signed request again (a replay) ---")
            try:
                response = http.send(prepared, timeout=args.timeout)
            except UnverifiedRefusal as exc:
                _print_response(exc.response)
                raise _unverified(exc, args.url, "URL") from None
            except _ohttp_error() as exc:  # evaluated when something was raised
                raise _gateway_error(exc) from None
            except requests.RequestException as exc:
                raise _unreachable(exc, gateway or args.url) from None
            except ValueError as exc:  # e.g. http.client refusing a header or a method
                raise UsageError(f"cannot send the request: {exc}") from None
            _print_response(response)
            _report_response_signature(auth, response, http)
    if args.replay:  # success means: the first went through and the replay was refused
        return 0 if response.status_code == 401 else 1
    if not response.ok:
        _hint_for(response)
        return 1
    return 0


def _unverified(exc, url: str, what: str) -> CLIError:
    """An :class:`~signed_api.client.UnverifiedRefusal` as one line. An unsigned 404 is, most
    often, a URL outside the app (Django's own 404 there is unsigned by design): a usage
    problem, exit status 2, with a hint naming both causes; it is not acted on either way."""
    if exc.status == 404 and exc.reason == "signature_missing":
        if what == "AUTH_URL":
            where = (
                f"AUTH_URL is not where signed_api.urls is mounted (e.g. {AUTH_URL_EXAMPLE};"
                f" {UNSIGNED_404})"
            )
        else:
            where = f"URL is not one of the app's ({UNSIGNED_404})"
        return UsageError(
            f"{url} answered HTTP 404 without the server's signature, so it is not acted on",
            hint=f"{where}, or something in between (a proxy) answered instead of the server",
        )
    return CLIError(
        f"the server did not sign this {exc.status} refusal ({exc.reason}): it may have been "
        "injected on the way, so it is not acted on",
        hint="a proxy in between that answers by itself, or a server without signed refusals",
    )


def _hint_for(response) -> None:
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return
    if code in HINTS:
        print(f"hint: {HINTS[code]}", file=sys.stderr)


def _report_response_signature(auth, response, http=None) -> None:
    """Say whether the server signed its answer to this very request (docs/protocol.md): with
    the shared secret, or for a client-held key (a device-bound session) with the server key
    of the JWKS at the URL's origin."""
    sys.stdout.flush()  # the report follows the response it is about, also when piped
    if response.status_code >= 400:
        # A refusal: the transport verified it against the server key already (or raised
        # UnverifiedRefusal), unless refusal checks are off.
        if getattr(auth, "verify_refusals", False) and "Signature" in response.headers:
            print("refusal signature: verified (the server key of the JWKS)", file=sys.stderr)
        return
    if "Signature" not in response.headers:
        return
    from ..core import SignatureError

    server_keys = None
    if not algorithms.get(auth.algorithm).shared_secret:
        import requests

        from .session import LoginError, fetch_server_keys

        try:
            server_keys = fetch_server_keys(response.url, http=http)
        except (requests.RequestException, LoginError, ValueError):
            print("response signature: not checked (the server's JWKS could not be fetched)",
                  file=sys.stderr)
            return
    try:
        auth.verify_response(response, server_keys=server_keys)
    except SignatureError as exc:
        print(f"response signature: INVALID ({exc.code})", file=sys.stderr)
    else:
        print("response signature: verified", file=sys.stderr)


def _print_response(response) -> None:
    print(f"HTTP {response.status_code} {response.reason}")
    for name, value in response.headers.items():
        print(f"{name}: {value}")
    print()
    print(_body_text(response))


def _body_text(response) -> str:
    """The body as printed: an HTML page that refuses (a proxy's error page, Django's debug
    404) is summarized in one line rather than dumped whole."""
    media_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if response.status_code < 400 or media_type not in ("text/html", "application/xhtml+xml"):
        return response.text
    import html

    title = re.search(r"<title[^>]*>(.*?)</title\s*>", response.text, re.I | re.S)
    named = ""
    if title:
        named = ": " + _printable(" ".join(html.unescape(title.group(1)).split()), 120)
    return f"[an HTML page of {len(response.content)} bytes, not shown{named}]"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    run = SUBCOMMANDS.get(argv[0]) if argv else None
    try:
        if run is not None:
            return run(argv[1:])
        return request_main(argv)
    except CLIError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("\nerror: interrupted", file=sys.stderr)
        return 130
    except EOFError:
        print("error: end of input", file=sys.stderr)
        return 2


SUBCOMMANDS = {"login": login_main, "logout": logout_main, "totp": totp_main}

if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
