"""Add learners to the class hub, each with a password of their own, through the hub's own pages and REST API.

    .venv/bin/python hub/class_admin.py add ada bo cy        # asks the instructor's password, prints each learner's
    .venv/bin/python hub/class_admin.py add --url http://10.0.0.5:8900 ada

For each name: signs the learner up with a new random password (NativeAuthenticator's sign-up form, as a learner
would), approves them as the instructor (its /hub/authorize page), and creates their hub user (REST API), then prints
``name  password`` lines to hand out. Learners change their password at /hub/change-password. Learners can also sign
up themselves at /hub/signup; the instructor then approves them at /hub/authorize.

The same calls drive `make hub-test` (hub/test_hub.py). Only httpx and the standard library: no JupyterHub import.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import html
import os
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

DEFAULT_URL = f"http://127.0.0.1:{os.environ.get('HUB_PORT', '8900')}"
# NativeAuthenticator's alert classes on the sign-up page: success (approved at once), info (waits for approval).
_ALERT = re.compile(r'class="alert (alert-\w+)"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+)', re.S)


class Refused(Exception):
    """The hub said no: a wrong password, a learner not approved yet, or a token without the right."""


@dataclass(frozen=True)
class SignUp:
    """What the sign-up page answered: ``approved`` (the instructor), ``waiting`` (a learner) or ``refused``."""

    outcome: str
    message: str


def new_password() -> str:
    """A password to hand out: 12 letters and digits, none that look alike (no 0/O, 1/l/I)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY3479"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class Hub:
    """One hub, reached at ``url`` (the proxy's public address), the way a browser and a script reach it."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def browser(self) -> httpx.Client:
        """A client with a cookie jar, like a browser: for the hub's pages (sign-up, login, approval)."""
        return httpx.Client(base_url=self.url, timeout=self.timeout, follow_redirects=False)

    def api(self, token: str) -> httpx.Client:
        """A client that sends ``token`` and keeps no cookies: for the REST API and the learners' servers."""
        return httpx.Client(
            base_url=self.url, timeout=self.timeout, headers={"Authorization": f"token {token}"}
        )

    def _form(self, browser: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
        browser.get(path).raise_for_status()  # sets the _xsrf cookie the form must send back
        xsrf = browser.cookies.get("_xsrf")
        if not xsrf:
            raise RuntimeError(f"{self.url}{path} set no _xsrf cookie: is this a JupyterHub?")
        return browser.post(path, data={**data, "_xsrf": xsrf})

    def sign_up(self, name: str, password: str) -> SignUp:
        """Sign ``name`` up through the form; a learner then waits for the instructor's approval."""
        with self.browser() as browser:
            page = self._form(
                browser,
                "/hub/signup",
                {"username": name, "signup_password": password, "signup_password_confirmation": password},
            )
        page.raise_for_status()
        found = _ALERT.search(page.text)
        if not found:
            raise RuntimeError(f"the sign-up page gave no answer for {name!r}")
        alert, message = found.group(1), " ".join(html.unescape(found.group(2)).split())
        outcome = {"alert-success": "approved", "alert-info": "waiting"}.get(alert, "refused")
        return SignUp(outcome, message)

    def log_in(self, name: str, password: str) -> httpx.Client:
        """A browser logged in as ``name`` (the hub's cookie), or :class:`Refused`."""
        browser = self.browser()
        answer = self._form(browser, "/hub/login", {"username": name, "password": password})
        if answer.status_code != 302:  # the login page again, with an error
            browser.close()
            raise Refused(f"the hub refused to log {name!r} in")
        return browser

    def approve(self, admin: str, admin_password: str, names: Iterable[str]) -> None:
        """Approve learners who signed up, as the instructor does at /hub/authorize (a toggle: once each)."""
        with contextlib.closing(self.log_in(admin, admin_password)) as browser:
            for name in names:
                answer = browser.get(f"/hub/authorize/{name}")
                if answer.status_code != 302:
                    raise Refused(f"approving {name!r}: HTTP {answer.status_code}")

    def token(self, name: str, password: str, note: str = "class_admin") -> str:
        """An API token for ``name``, asked of the REST API with the user's password; :class:`Refused` if wrong."""
        with httpx.Client(base_url=self.url, timeout=self.timeout) as client:
            answer = client.post(
                f"/hub/api/users/{name}/tokens",
                json={"auth": {"username": name, "password": password}, "note": note, "expires_in": 86400},
            )
        if answer.status_code == 403:
            raise Refused(f"the hub refused a token to {name!r}")
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token

    def create_users(self, admin_token: str, names: Iterable[str]) -> None:
        """Create the hub users (REST API, as the instructor); ones that exist already are left as they are."""
        with self.api(admin_token) as api:
            for name in names:
                answer = api.post(f"/hub/api/users/{name}")
                if answer.status_code not in (201, 409):  # 409: exists
                    raise Refused(f"creating {name!r}: HTTP {answer.status_code} {answer.text}")

    def add_learners(self, admin: str, admin_password: str, names: list[str]) -> dict[str, str]:
        """Sign up, approve and create each learner with a new password; returns ``{name: password}``."""
        passwords = {}
        for name in names:
            password = new_password()
            answer = self.sign_up(name, password)
            if answer.outcome != "waiting":
                raise Refused(f"signing {name!r} up: {answer.message}")
            passwords[name] = password
        self.approve(admin, admin_password, names)
        self.create_users(self.token(admin, admin_password), names)
        return passwords


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="the hub's address (default: %(default)s)")
    parser.add_argument(
        "--admin", default=os.environ.get("HUB_ADMIN", "instructor"), help="instructor's name"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add learners, each with a new password (printed)")
    add.add_argument("names", nargs="+", metavar="NAME")
    args = parser.parse_args(argv)
    password = os.environ.get("HUB_ADMIN_PASSWORD") or getpass.getpass(f"{args.admin}'s password: ")
    try:
        passwords = Hub(args.url).add_learners(args.admin, password, args.names)
    except (Refused, httpx.HTTPError) as exc:
        print(f"class_admin: {exc}", file=sys.stderr)
        return 1
    width = max(map(len, passwords))
    for name, learner_password in passwords.items():
        print(f"{name:<{width}}  {learner_password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
