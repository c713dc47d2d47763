"""Who may talk to the dashboard, and what a page may do: every handler derives from ``GuardedHandler``.

What the dashboard defends against, and how:

* **Other users and other sites reading the runs.** A random token is made
  per launch and printed once, in the URL. The first request that brings it
  in the query string gets it back as an HttpOnly, SameSite=Strict cookie
  (named after the port, since cookies ignore ports) and is redirected to the
  same URL without it, so it leaves the address bar. Every request, static
  files included, needs the token: the cookie, ``?token=``, or an
  ``Authorization: Bearer`` header (scripts).
* **A cross-site link arriving without the cookie.** SameSite=Strict keeps
  the cookie off a navigation that starts on another site (a link in a
  notebook on ``localhost``). Such a page request gets one self-refresh: that
  second request comes from the dashboard's own site, so the cookie is sent.
* **DNS rebinding.** A request whose ``Host`` header is not the address the
  server is bound to is refused before anything else, so a page on a
  domain that resolves to 127.0.0.1 cannot reach it.
* **Cross-site requests that change things.** POSTs need the per-launch XSRF
  token (given only to pages that hold the access token, via
  ``/api/session``) in an ``X-XSRF-Token`` header, and an ``Origin`` that is
  the dashboard's own.
* **Script injection from run data.** Every response carries a CSP whose
  ``script-src`` is ``'self'`` only (no inline script, no eval), forbids
  framing, and sends no referrer; the front end writes run data with
  ``textContent`` only.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import tornado.web

__all__ = ["CSP", "GuardedHandler", "Security", "allowed_hosts"]

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
XSRF_HEADER: Final = "X-XSRF-Token"
#: The query flag of the one self-refresh a cookie-less page request gets.
_RETRIED: Final = "cookie-retry"
_WILDCARDS: Final = frozenset({"", "0.0.0.0", "::"})


@dataclass(frozen=True)
class Security:
    """The per-launch secrets and the addresses the dashboard answers to."""

    port: int
    hosts: frozenset[str]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    xsrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    read_only: bool = False
    #: Bound to every interface: IP-literal Hosts are accepted too.
    wildcard: bool = False

    @property
    def cookie(self) -> str:
        return f"daskflow-dashboard-{self.port}"

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{host}" for host in self.hosts)

    def host_ok(self, host: str) -> bool:
        host = host.lower()
        return host in self.hosts or (self.wildcard and _is_ip_literal(host))

    def token_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.token.encode())

    def xsrf_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.xsrf.encode())


def _with_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_hosts(bound: str, port: int) -> frozenset[str]:
    """The ``Host`` headers that name this server: ``HOST:PORT`` of the bound address.

    A server bound to every interface answers to this machine's names and to
    any IP literal (DNS rebinding needs a domain name, never an IP literal).
    """
    if bound not in _WILDCARDS:
        return frozenset({_with_port(bound.strip("[]").lower(), port)})
    names = {socket.gethostname().lower(), socket.getfqdn().lower(), "localhost"}
    return frozenset(_with_port(name, port) for name in names)


def _is_ip_literal(host: str) -> bool:
    name = urlsplit(f"//{host}").hostname or ""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class GuardedHandler(tornado.web.RequestHandler):
    """A handler that refuses requests without the token, from a foreign Host, or forged POSTs."""

    @property
    def security(self) -> Security:
        return self.settings["security"]  # type: ignore[no-any-return]

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def check_xsrf_cookie(self) -> None:
        """Replaced by ``prepare``'s own XSRF and Origin checks (see the module docstring)."""

    def prepare(self) -> None:
        host = self.request.headers.get("Host") or ""
        if not self.security.host_ok(host):
            self._refuse(403, f"this dashboard answers to {', '.join(sorted(self.security.hosts))}, not {host!r}")
            return
        query_token = self.get_query_argument("token", None)
        if self.security.token_ok(query_token) and self.request.method == "GET" and self._is_page():
            # Swap the token in the URL for the cookie, and take it out of the address bar.
            self.set_cookie(self.security.cookie, self.security.token, httponly=True, samesite="Strict", path="/")
            self.redirect(self._url_without({"token"}))
            return
        if not self._has_token(query_token):
            if self._is_page() and self.get_query_argument(_RETRIED, None) is None:
                self._refresh_once()
            else:
                self._refuse(403, "open the URL with ?token= that `daskflow dashboard` printed; this one has none")
            return
        if self.request.method not in ("GET", "HEAD"):
            origin = self.request.headers.get("Origin")
            if origin not in self.security.origins:
                self._refuse(403, f"a POST must come from the dashboard's own page (Origin {origin!r})")
            elif not self.security.xsrf_ok(self.request.headers.get(XSRF_HEADER)):
                self._refuse(403, f"a POST needs the {XSRF_HEADER} header the dashboard gives its pages")

    def _has_token(self, query_token: str | None) -> bool:
        if self.security.token_ok(self.get_cookie(self.security.cookie)) or self.security.token_ok(query_token):
            return True
        scheme, _, credentials = (self.request.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and self.security.token_ok(credentials.strip())

    def _is_page(self) -> bool:
        path = self.request.path
        return not (path.startswith("/api/") or path.startswith("/static/"))

    def _url_without(self, names: set[str]) -> str:
        kept = [(k, v) for k, values in self.request.query_arguments.items() if k not in names for v in values]
        query = urlencode([(k, v.decode("utf-8", "replace")) for k, v in kept])
        return self.request.path + (f"?{query}" if query else "")

    def _refresh_once(self) -> None:
        separator = "&" if self.request.query else "?"
        target = tornado.escape.xhtml_escape(f"{self.request.uri}{separator}{_RETRIED}=1")
        self.set_status(200)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={target}">'
            "<title>daskflow dashboard</title><p>Checking your dashboard cookie…</p>"
        )

    def _refuse(self, status: int, message: str) -> None:
        self.set_status(status)
        if self.request.path.startswith("/api/"):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": message}))
        else:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"daskflow dashboard: {message}\n")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError) and exc.log_message:
            reason = exc.log_message % exc.args if exc.args else exc.log_message
        self._refuse(status_code, reason)
