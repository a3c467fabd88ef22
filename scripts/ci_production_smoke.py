#!/usr/bin/env python3
"""CI: the production set-up, for real. With DEBUG off and a fresh database and STATIC_ROOT (in a temporary
directory): migrate, collectstatic (the manifest storage), load the starter data, create two accounts, start
gunicorn on a free loopback port, sign in through the login form (CSRF and all) and fetch real pages. Every page
must answer as it should, carry the security headers and never be a server error. gunicorn is always stopped.

    .venv/bin/python scripts/ci_production_smoke.py                 # SQLite file in the temporary directory
    .venv/bin/python scripts/ci_production_smoke.py --database-url postgres://postgres@127.0.0.1:5432/smoke

Plain http on loopback: the SSL redirect is turned off for this run only (DJANGO_SECURE_SSL_REDIRECT=0), so
``check --deploy`` names that (and SQLite) here, and nothing else. HSTS is not sent over http and not checked.
Exits non-zero, naming the first failure, when anything is wrong.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# check --deploy may name only these in this run: plain http on loopback (no redirect), and SQLite.
EXPECTED_DEPLOY_WARNINGS = {"security.W008", "claimdesk.W004", "claimdesk.W002"}
CREATE_ACCOUNTS = """
from django.contrib.auth.models import Group, User
biller = User.objects.create_user("smoke-biller", password={biller!r})
biller.groups.add(Group.objects.get(name="Billing staff"))
User.objects.create_superuser("smoke-admin", "smoke-admin@example.org", {admin!r})
"""


class SmokeFailure(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True
    )
    if result.returncode:
        raise SmokeFailure(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


class Browser:
    """Just enough of a browser: cookies by hand (the production cookies are Secure; this is loopback http)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def sign_in(self, username: str, password: str) -> None:
        page = self.get("/login/")
        expect(page, 200, "/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            raise SmokeFailure("the login page has no CSRF token")
        answer = self.request(
            "POST", "/login/", form={"username": username, "password": password, "csrfmiddlewaretoken": token[1]}
        )
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise SmokeFailure(f"signing in as {username} failed: {answer.status}\n{answer.text[:2000]}")


def expect(response, status: int, what: str) -> None:
    if response.status != status:
        raise SmokeFailure(f"{what}: expected {status}, got {response.status}\n{response.text[:2000]}")


def expect_headers(response, what: str, *, signed_in: bool) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    problems = []
    if "default-src 'self'" not in policy or "unsafe-inline" in policy:
        problems.append(f"Content-Security-Policy {policy!r}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options {response.headers.get('X-Frame-Options')!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if signed_in and response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r}")
    if problems:
        raise SmokeFailure(f"{what}: " + "; ".join(problems))


def fetch_pages(port: int, passwords: dict[str, str]) -> None:
    anonymous = Browser(port)
    login = anonymous.get("/login/")
    expect(login, 200, "GET /login/")
    expect_headers(login, "GET /login/", signed_in=False)
    expect(anonymous.get("/claims/"), 302, "GET /claims/ without signing in")

    stylesheet = re.search(r'href="(/static/css/claimdesk\.[0-9a-f]{12}\.css)"', login.text)
    if not stylesheet:
        raise SmokeFailure("the login page does not name the hashed stylesheet (manifest storage)")
    css = anonymous.get(stylesheet[1])
    expect(css, 200, f"GET {stylesheet[1]}")
    if "text/css" not in css.headers.get("Content-Type", "") or "max-age" not in css.headers.get("Cache-Control", ""):
        raise SmokeFailure(f"{stylesheet[1]}: {css.headers.get('Content-Type')}, {css.headers.get('Cache-Control')}")

    biller = Browser(port)
    biller.sign_in("smoke-biller", passwords["biller"])
    for path in ["/claims/", "/claims/new/", "/codes/", "/codes/?q=99213", "/codes/99213/", "/claims/rules/"]:
        page = biller.get(path)
        expect(page, 200, f"GET {path} as a biller")
        expect_headers(page, f"GET {path}", signed_in=True)
    missing = biller.get("/no-such-page/")
    expect(missing, 404, "GET /no-such-page/")
    if "Page not found" not in missing.text or "URLconf" in missing.text:
        raise SmokeFailure("the 404 page is not the site's own")
    api_missing = biller.get("/api/no-such-thing/")
    expect(api_missing, 404, "GET /api/no-such-thing/")
    json.loads(api_missing.text)
    expect(biller.get("/admin/"), 302, "GET /admin/ as a biller")

    admin = Browser(port)
    admin.sign_in("smoke-admin", passwords["admin"])
    for path in ["/admin/", "/admin/codes/procedurecode/", "/admin/codes/release/import/", "/claims/dashboard/"]:
        page = admin.get(path)
        expect(page, 200, f"GET {path} as an administrator")
        expect_headers(page, f"GET {path}", signed_in=True)


def run(database_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="claimdesk-smoke-") as temporary:
        temp = Path(temporary)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLAIMDESK_", "DATABASE_URL"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "billing_site.settings",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain http on loopback, this run only
                "DJANGO_STATIC_ROOT": str(temp / "static"),
                "DATABASE_URL": database_url or f"sqlite:///{temp / 'db.sqlite3'}",
                "CLAIMDESK_IMPORT_UPLOAD_DIR": str(temp / "uploads"),
                "CLAIMDESK_REQUIRE_2FA": "0",  # the smoke accounts have no authenticator app
                "CLAIMDESK_NO_PROGRESS": "1",
            }
        )
        print("== check --deploy", flush=True)
        deploy = subprocess.run(
            [PYTHON, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        named = set(re.findall(r"\(([a-z_]+\.[EW]\d{3})\)", deploy.stdout + deploy.stderr))
        if deploy.returncode or named - EXPECTED_DEPLOY_WARNINGS:
            raise SmokeFailure(f"check --deploy: {deploy.stdout}{deploy.stderr}")
        print(f"   only the expected warnings of a plain-http run: {sorted(named) or 'none'}", flush=True)

        print("== migrate, collectstatic, starter data, accounts", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        if not (temp / "static" / "staticfiles.json").is_file():
            raise SmokeFailure("collectstatic wrote no manifest")
        manage(env, "load_starter_data")
        manage(env, "load_starter_payers")
        passwords = {"biller": secrets.token_urlsafe(16), "admin": secrets.token_urlsafe(16)}
        manage(env, "shell", stdin=CREATE_ACCOUNTS.format(**passwords))

        port = free_port()
        print(f"== gunicorn on 127.0.0.1:{port}", flush=True)
        log_path = temp / "gunicorn.log"
        with log_path.open("w") as log:
            command = [PYTHON, "-m", "gunicorn", "billing_site.wsgi", "-b", f"127.0.0.1:{port}", "--workers", "2"]
            command += ["--timeout", "60", "--access-logfile", "-", "--error-logfile", "-"]
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 60
                while True:
                    if server.poll() is not None:
                        raise SmokeFailure(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=1):
                            break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise SmokeFailure("gunicorn did not start within 60 s") from None
                        time.sleep(0.2)
                fetch_pages(port, passwords)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        log_text = log_path.read_text()
        if re.search(r"Traceback|Internal Server Error|\" 5\d\d ", log_text):
            raise SmokeFailure(f"the server logged an error:\n{log_text}")
        print(f"== all pages answered as they should ({log_text.count(' HTTP/1.1')} requests); gunicorn stopped")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database to migrate and use (default: a new SQLite file)")
    options = parser.parse_args()
    try:
        run(options.database_url)
    except SmokeFailure as failure:
        print(f"PRODUCTION SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
