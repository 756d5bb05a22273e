"""Keycloak's sign-in pages speak Malay or English, as the desk asks with `ui_locales`.

Keycloak ships no Malay; Lindung's login theme (`deploy/keycloak/themes/lindung`) adds it.
Each test reads the pages a browser gets over plain HTTP: the login form, its errors, an
expired page, the sign-out confirmation. Signing in with a language asked for by the desk
leaves the person's `locale` attribute alone, so other tests see the realm as imported.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
import urllib.parse
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from lindung_devstack._proc import free_port
from lindung_devstack.keycloak_dist import THEMES, resolve_dist

if TYPE_CHECKING:
    import httpx

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "keycloak_browser", Path(__file__).with_name("keycloak_browser.py")
)
assert _spec is not None
assert _spec.loader is not None
keycloak_browser = importlib.util.module_from_spec(_spec)
sys.modules["keycloak_browser"] = keycloak_browser
_spec.loader.exec_module(keycloak_browser)
Browser = keycloak_browser.Browser
LoginForm = keycloak_browser.LoginForm
pkce = keycloak_browser.pkce
query_of = keycloak_browser.query_of

MALAY_FORM = {
    "title": "Log masuk ke Lindung",
    "heading": "Log masuk ke akaun anda",
    "labels": ["Nama pengguna atau e-mel", "Kata laluan"],
    "buttons": ["Tunjukkan kata laluan", "Log masuk"],
    "menu": "Bahasa",
}
ENGLISH_FORM = {
    "title": "Sign in to Lindung",
    "heading": "Sign in to your account",
    "labels": ["Username or email", "Password"],
    "buttons": ["Show password", "Sign In"],
    "menu": "Language",
}
WRONG = {"ms": "Nama pengguna atau kata laluan tidak sah.", "en": "Invalid username or password."}


class Page(HTMLParser):
    """What a person reads on one of Keycloak's pages, each text with spaces tidied."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.lang = ""
        self.title = ""
        self.heading = ""
        self.labels: list[str] = []
        self.buttons: list[str] = []  # a button's text, else its accessible name
        self.alerts: list[str] = []  # the message above the form or under a field
        self.paragraphs: list[str] = []
        self.links: dict[str, str] = {}  # id → text
        self.menu = ""  # the language menu's accessible name
        self.languages: dict[str, str] = {}  # option text → the URL that picks it
        self.chosen = ""
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.lang = values.get("lang", "")
        elif tag == "select" and values.get("id") == "login-select-toggle":
            self.menu = values.get("aria-label", "")
        elif tag == "input" and values.get("type") == "submit":
            self.buttons.append(values.get("value", ""))
        if tag in {"title", "h1", "label", "button", "p", "a", "option", "span"}:
            self._open.append((tag, values, []))

    def handle_data(self, data: str) -> None:
        for _, _, texts in self._open:
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        opened = [name for name, _, _ in self._open]
        if tag not in opened:
            return
        at = len(opened) - 1 - opened[::-1].index(tag)
        _, values, texts = self._open[at]
        del self._open[at:]
        self._record(tag, values, " ".join("".join(texts).split()))

    def _record(self, tag: str, values: dict[str, str], text: str) -> None:
        if tag == "option":
            self.languages[text] = html.unescape(values.get("value", ""))
            self.chosen = text if "selected" in values else self.chosen
        elif tag == "a" and values.get("id"):
            self.links[values["id"]] = text
        elif tag == "span" and "kc-feedback-text" in values.get("class", "").split() and text:
            self.alerts.append(text)
        elif tag in {"title", "h1"}:
            setattr(self, {"title": "title", "h1": "heading"}[tag], text)
        elif tag in {"label", "button", "p"}:
            named = text or values.get("aria-label", "")
            {"label": self.labels, "button": self.buttons, "p": self.paragraphs}[tag].append(named)


def post(browser: Browser, form: LoginForm, **fields: str) -> httpx.Response:
    """The login form posted with its hidden fields and these."""
    return browser.request("POST", form.action, data={**form.fields, **fields})


def login_page(
    browser: Browser, keycloak: Any, headers: dict[str, str] | None = None, **extra: str
) -> httpx.Response:
    """The page an authorization request from the desk gets (`extra`: its parameters)."""
    discovery = browser.request("GET", f"{keycloak.issuer}/.well-known/openid-configuration")
    params = {
        "client_id": keycloak.client_id,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": f"http://127.0.0.1:{free_port()}/desk/callback",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
        **extra,
    }
    endpoint = discovery.json()["authorization_endpoint"]
    answer = browser.request("GET", endpoint, params=params, headers=headers or {})
    assert answer.status_code == 200, answer.text[:500]
    return answer


def reads_as(page: Page, expected: dict[str, Any]) -> None:
    assert page.title == expected["title"]
    assert page.heading == expected["heading"]
    assert page.labels == expected["labels"]
    assert [b for b in expected["buttons"] if b in page.buttons] == expected["buttons"]
    assert page.menu == expected["menu"]
    assert set(page.languages) == {"Bahasa Melayu", "English"}


def test_asked_for_malay_the_login_form_is_in_malay(keycloak):
    page = Page(login_page(Browser(), keycloak, ui_locales="ms").text)
    assert page.lang == "ms"
    reads_as(page, MALAY_FORM)
    assert page.chosen == "Bahasa Melayu"


@pytest.mark.parametrize("asked", [{"ui_locales": "en"}, {}], ids=["en", "nothing"])
def test_asked_for_english_or_nothing_the_login_form_is_in_english(keycloak, asked):
    page = Page(login_page(Browser(), keycloak, **asked).text)
    assert page.lang == "en"
    reads_as(page, ENGLISH_FORM)
    assert page.chosen == "English"


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_a_wrong_or_missing_password_is_told_in_the_language_asked(keycloak, lang):
    browser = Browser()
    form = LoginForm(login_page(browser, keycloak, ui_locales=lang).text)
    user, password = "coordinator-sel", keycloak.passwords["coordinator-sel"]

    wrong = post(browser, form, username=user, password=password + "x")
    assert wrong.status_code == 200
    assert Page(wrong.text).lang == lang
    assert Page(wrong.text).alerts == [WRONG[lang]]

    form = LoginForm(wrong.text)
    missing = post(browser, form, username=user, password="")
    assert missing.status_code == 200
    assert Page(missing.text).alerts == [WRONG[lang]]

    # The form, shown again in that language, still signs the person in.
    form = LoginForm(missing.text)
    right = post(browser, form, username=user, password=password)
    assert right.status_code == 302
    assert "code" in query_of(right.headers["location"])


def test_an_expired_page_and_a_stale_form_are_told_in_malay(keycloak):
    browser = Browser()
    first = LoginForm(login_page(browser, keycloak, ui_locales="ms").text)

    # A step of the sign-in that is no longer the current one: the page has expired.
    action = urllib.parse.urlsplit(html.unescape(first.action))
    query = {**dict(urllib.parse.parse_qsl(action.query)), "execution": str(uuid.uuid4())}
    gone = browser.request("GET", action._replace(query=urllib.parse.urlencode(query)).geturl())
    assert gone.status_code == 200
    expired = Page(gone.text)
    assert expired.lang == "ms"
    assert expired.heading == "Halaman telah tamat tempoh"
    assert expired.paragraphs == [
        (
            "Untuk memulakan semula proses log masuk Klik di sini . "
            "Untuk meneruskan proses log masuk Klik di sini ."
        )
    ]
    assert expired.links == {
        "loginRestartLink": "Klik di sini",
        "loginContinueLink": "Klik di sini",
    }

    # The first form posted again after the sign-in has moved on: the action has expired.
    user = "shelter-sel-2"
    post(browser, first, username=user, password="")
    stale = post(browser, first, username=user, password="x")
    assert stale.status_code == 302
    shown = Page(browser.request("GET", stale.headers["location"]).text)
    assert shown.lang == "ms"
    assert shown.alerts == ["Tindakan telah tamat tempoh. Sila teruskan log masuk sekarang."]
    assert shown.heading == MALAY_FORM["heading"]


SIGN_OUT = {
    "ms": ("Log keluar", "Adakah anda mahu log keluar?", "Anda telah log keluar"),
    "en": ("Logging out", "Do you want to log out?", "You are logged out"),
}


@pytest.mark.parametrize("lang", ["ms", "en"])
def test_signing_out_at_keycloak_asks_and_answers_in_the_language_asked(keycloak, lang):
    browser = Browser()
    user = "legal-aid-sel-1"
    form = LoginForm(login_page(browser, keycloak, ui_locales=lang).text)
    signed_in = post(browser, form, username=user, password=keycloak.passwords[user])
    assert signed_in.status_code == 302

    # Without the ID token Keycloak asks the person before ending the session.
    end = f"{keycloak.issuer}/protocol/openid-connect/logout"
    asked = browser.request(
        "GET", end, params={"client_id": keycloak.client_id, "ui_locales": lang}
    )
    assert asked.status_code == 200
    title, question, answer = SIGN_OUT[lang]
    confirm = Page(asked.text)
    assert (confirm.lang, confirm.title, confirm.heading) == (lang, title, title)
    assert question in confirm.paragraphs
    assert confirm.buttons == [{"ms": "Log keluar", "en": "Logout"}[lang]]
    action = re.search(r'<form[^>]*action="([^"]+)"', asked.text)
    code = re.search(r'name="session_code" value="([^"]+)"', asked.text)
    assert action is not None
    assert code is not None
    done = browser.request("POST", keycloak.url + html.unescape(action[1]),
                           data={"session_code": code[1], "confirmLogout": "1"})  # fmt: skip
    assert done.status_code == 200
    assert Page(done.text).heading == answer

    # The session has ended: the browser is asked to sign in again.
    assert LoginForm(login_page(browser, keycloak, ui_locales=lang).text).action


def test_a_language_picked_on_the_page_is_kept_by_the_browser(keycloak):
    browser = Browser()
    malay = Page(login_page(browser, keycloak, ui_locales="ms").text)
    picked = browser.request("GET", keycloak.url + malay.languages["English"])
    assert picked.status_code == 200
    assert Page(picked.text).lang == "en"
    assert browser.cookies.get("KEYCLOAK_LOCALE") == "en"

    # The browser prefers Malay, but the language picked on the page is remembered...
    prefers_malay = {"Accept-Language": "ms-MY,ms;q=0.9"}
    assert Page(login_page(browser, keycloak, headers=prefers_malay).text).lang == "en"
    # ...while a browser that picked nothing gets Malay from its preference alone.
    assert Page(login_page(Browser(), keycloak, headers=prefers_malay).text).lang == "ms"


# Keycloak's templates of the pages a person of the realm meets: the login form (keycloak.v2
# over base), an expired page, the sign-out confirmation, the error and information pages.
TEMPLATES = (
    "keycloak.v2/login/template.ftl",
    "keycloak.v2/login/login.ftl",
    "keycloak.v2/login/field.ftl",
    "keycloak.v2/login/buttons.ftl",
    "base/login/login-page-expired.ftl",
    "base/login/logout-confirm.ftl",
    "base/login/error.ftl",
    "base/login/info.ftl",
)
# What those templates name for features the realm has off (organizations; codes to copy).
NOT_SHOWN = {
    "doSwitchOrganization",
    "code-clipboard-label",
    "code-copy-label",
    "code-copy-success",
    "code-copy-failure",
}
# Messages Keycloak puts on those pages from its code: the form's errors, expired sessions.
TOLD = {
    "loginTitle",
    "invalidUserMessage",
    "accountDisabledMessage",
    "expiredActionMessage",
    "expiredCodeMessage",
    "loginTimeout",
    "staleCodeMessage",
    "cookieNotFoundMessage",
    "successLogout",
}


def properties(text: str) -> dict[str, str]:
    """A messages file's keys and values (one `key=value` a line, as Keycloak's are)."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip().replace("\\:", ":") for k, v in pairs if k[:1] not in "#!"}


def placeholders(message: str) -> set[str]:
    return set(re.findall(r"\{\d+\}", message))


def test_every_message_of_the_sign_in_pages_has_malay(keycloak):
    main = resolve_dist(keycloak.java) / "lib" / "lib" / "main"
    (jar,) = main.glob("org.keycloak.keycloak-themes-[0-9]*.jar")
    english: dict[str, str] = {}
    used: set[str] = set()
    with zipfile.ZipFile(jar) as themes:
        for theme in ("base", "keycloak.v2"):
            bundle = themes.read(f"theme/{theme}/login/messages/messages_en.properties")
            english.update(properties(bundle.decode()))
        for template in TEMPLATES:
            text = themes.read(f"theme/{template}").decode()
            used |= set(re.findall(r"""msg\(["']([\w.-]+)["']""", text))
            used |= set(re.findall(r'label="(\w+)"', text))
    messages = THEMES / "lindung" / "login" / "messages"
    malay = properties((messages / "messages_ms.properties").read_text(encoding="utf-8"))
    ours = properties((messages / "messages_en.properties").read_text(encoding="utf-8"))

    assert (used | TOLD) - NOT_SHOWN - set(malay) == set(), "messages with no Malay"
    assert set(malay) - set(english) - set(ours) == set(), "keys Keycloak does not have"
    assert set(ours) <= set(malay)
    for key, words in malay.items():
        assert words, key
        assert placeholders(words) == placeholders(english.get(key) or ours[key]), key
