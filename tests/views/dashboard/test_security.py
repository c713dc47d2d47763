"""The dashboard refuses requests without its token, from a foreign Host, and POSTs without XSRF or Origin."""

from __future__ import annotations

import json

from orchestrator.views.dashboard.security import CSP
from tests.views.dashboard.handler_case import DashboardCase


class TestSecurity(DashboardCase):
    def test_a_request_without_the_token_is_refused(self) -> None:
        """API calls and static files without the token get 403, whatever else they carry."""
        for path in ("/api/runs", "/api/session", "/static/app.js", f"/api/runs/{self.seeded.done}/columns"):
            response = self.fetch(path)
            assert response.code == 403, path
        wrong = self.fetch("/api/runs", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.code == 403
        assert "token" in json.loads(wrong.body)["error"]

    def test_a_page_without_the_cookie_refreshes_once_then_is_refused(self) -> None:
        """A page request without the cookie gets one same-site self-refresh (for SameSite=Strict), then 403."""
        first = self.fetch("/runs/x?tab=logs")
        assert first.code == 200
        assert b'http-equiv="refresh"' in first.body and b"cookie-retry=1" in first.body
        second = self.fetch("/runs/x?tab=logs&cookie-retry=1")
        assert second.code == 403

    def test_the_token_in_the_url_becomes_an_httponly_samesite_strict_cookie(self) -> None:
        """?token= on a page sets the cookie and redirects to the same URL without the token; the cookie then works."""
        response = self.fetch(f"/runs/abc?tab=logs&token={self.security.token}", follow_redirects=False)
        assert response.code == 302
        assert response.headers["Location"] == "/runs/abc?tab=logs"
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith(f"{self.security.cookie}={self.security.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        page = self.fetch("/runs/abc", headers={"Cookie": f"{self.security.cookie}={self.security.token}"})
        assert page.code == 200 and b'<script type="module" src="/static/app.js">' in page.body

    def test_a_foreign_host_header_is_refused_even_with_the_token(self) -> None:
        """DNS rebinding: a Host other than the bound 127.0.0.1:PORT gets 403 before the token is looked at."""
        port = self.get_http_port()
        for host in ("evil.example", f"evil.example:{port}", f"localhost:{port}", f"127.0.0.1:{port + 1}"):
            response = self.fetch("/api/runs", headers={**self.auth, "Host": host})
            assert response.code == 403, host
            assert "answers to" in json.loads(response.body)["error"]
        assert self.fetch("/api/runs", headers=self.auth).code == 200

    def test_a_post_needs_the_xsrf_token_and_the_dashboards_own_origin(self) -> None:
        """Without the XSRF header, with a foreign Origin, or with none, a POST is refused; with both it is heard."""
        path = f"/api/runs/{self.seeded.done}/cancel"
        assert self.post(path, xsrf=False).code == 403
        assert self.post(path, origin="http://evil.example").code == 403
        assert self.post(path, origin=None).code == 403
        assert self.post(path, origin=f"http://127.0.0.1:{self.get_http_port() + 1}").code == 403
        heard = self.post(path)
        assert heard.code == 409  # past the checks: a finished run cannot be cancelled
        assert "not Running" in json.loads(heard.body)["error"]

    def test_every_response_carries_the_strict_csp(self) -> None:
        """Pages, API answers, static files and errors all say script-src 'self', no framing, no referrer."""
        for path in ("/", "/api/runs", "/static/app.js", "/api/runs/nope", "/nowhere"):
            response = self.fetch(path, headers=self.auth)
            assert response.headers["Content-Security-Policy"] == CSP, path
            assert "script-src 'self';" in CSP and "unsafe" not in CSP
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "no-referrer"
        assert self.fetch("/nowhere", headers=self.auth).code == 404

    def test_the_session_gives_the_xsrf_token_only_with_the_access_token(self) -> None:
        """/api/session hands out the XSRF token and the state colours to a holder of the access token."""
        session = self.get_json("/api/session")
        assert session["xsrf"] == self.security.xsrf and not session["read_only"]
        assert session["colours"]["Failed"].startswith("#")
        assert self.fetch("/api/session").code == 403
