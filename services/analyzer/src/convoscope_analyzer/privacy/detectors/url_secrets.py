"""Credentials carried by URLs: webhook URLs of common services and tokens in query strings.

A webhook URL *is* the credential (whoever has it can post to the channel), so the whole
URL is the finding, with or without its scheme and also with JSON's escaped slashes
(``https:\\/\\/hooks.slack.com\\/services\\/...``), as pasted from payloads and configs.
Query strings are read parameter by parameter: the value of ``access_token=``,
``api_key=``, ``sig=`` and the like is the finding, and it stops at ``&``, ``#`` or the
end of the URL, so the rest of the URL stays readable.

``user:password@host`` credentials are found by :mod:`.secrets` (``url_password``).
"""

from __future__ import annotations

import re

from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.detectors.secrets import is_real_value
from convoscope_analyzer.privacy.entities import SECRET

WEBHOOK_PRIORITY = 92  # above a key shape inside it (the whole URL is the secret)
QUERY_SECRET_PRIORITY = 80

# A path separator as written in text or in a JSON string.
_SL = r"(?:/|\\/)"
_SCHEME = rf"(?:https?:{_SL}{_SL})?"
_SEG = r"[A-Za-z0-9_-]"

# (literal hint, kind, pattern). Shapes from each service's documentation.
_WEBHOOKS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "hooks.slack.com",
        "slack_webhook",
        re.compile(
            rf"{_SCHEME}hooks\.slack\.com{_SL}(?:services|workflows|triggers){_SL}"
            rf"{_SEG}+(?:{_SL}{_SEG}+){{1,4}}"
        ),
    ),
    (
        "discord",
        "discord_webhook",
        re.compile(
            rf"{_SCHEME}(?:(?:ptb|canary)\.)?discord(?:app)?\.com{_SL}api{_SL}"
            rf"(?:v\d+{_SL})?webhooks{_SL}\d{{6,}}{_SL}{_SEG}{{20,}}"
        ),
    ),
    (
        "office.com",
        "teams_webhook",
        re.compile(
            rf"{_SCHEME}(?:[A-Za-z0-9-]+\.webhook\.office\.com{_SL}webhookb2"
            rf"|outlook\.office(?:365)?\.com{_SL}webhook)"
            rf"(?:{_SL}[A-Za-z0-9@._-]+){{2,6}}"
        ),
    ),
    (
        "hooks.zapier.com",
        "zapier_webhook",
        re.compile(rf"{_SCHEME}hooks\.zapier\.com{_SL}hooks{_SL}catch{_SL}\d+{_SL}{_SEG}{{4,}}"),
    ),
    (
        "maker.ifttt.com",
        "ifttt_webhook",
        re.compile(
            rf"{_SCHEME}maker\.ifttt\.com{_SL}trigger{_SL}{_SEG}+{_SL}(?:json{_SL})?with{_SL}key"
            rf"{_SL}{_SEG}{{16,}}"
        ),
    ),
)
_HINTS = tuple(hint for hint, _, _ in _WEBHOOKS)

# Query parameters whose value is a credential (lower-case, "-" read as "_").
_SECRET_PARAMS = frozenset(
    "access_token refresh_token id_token auth_token token api_key apikey api_token "
    "client_secret secret password passwd pwd pass auth key private_token session_token "
    "sig signature x_amz_signature x_amz_security_token x_goog_signature code_verifier "
    "webhook_secret app_secret consumer_secret oauth_token oauth_token_secret".split()
)
# Parameters so generic that their value must also look random to count.
_WEAK_PARAMS = frozenset({"key", "sig", "signature", "auth", "pass", "token"})
# OAuth's implicit flow puts tokens in the fragment ("#access_token=..."): "#" starts
# parameters too.
_QUERY_PARAM = re.compile(r"[?&;#]([A-Za-z][A-Za-z0-9_.-]{1,40})=([^&#\s\"'<>`\\)\]]{8,512})")


def _looks_random(value: str) -> bool:
    classes = (
        any(c.islower() for c in value) + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )  # fmt: skip
    return len(value) >= 16 and classes >= 2


def find_webhook_urls(text: str) -> list[Detection]:
    """Incoming-webhook URLs of Slack, Discord, Microsoft Teams, Zapier and IFTTT."""
    found: list[Detection] = []
    if not any(h in text for h in _HINTS):
        return found
    for hint, kind, pattern in _WEBHOOKS:
        if hint not in text:
            continue
        for m in pattern.finditer(text):
            if is_real_value(m.group().rsplit("/", 1)[-1]):
                found.append(Detection(SECRET, m.start(), m.end(), kind, WEBHOOK_PRIORITY))
    return found


# A URL runs to the first whitespace (``\s`` is ``str.isspace``) or quote or bracket.
_URL_REST = re.compile(r"[^\s\"'<>`]*")


def _url_end(text: str, start: int) -> int:
    # One regex match instead of a loop over the URL's characters in Python.
    m = _URL_REST.match(text, start)
    assert m is not None  # "*" matches the empty string
    return m.end()


def find_query_secrets(text: str) -> list[Detection]:
    """Credential values in URL query strings and fragments (``?access_token=...&page=2``)."""
    found: list[Detection] = []
    sep = text.find("://")
    while sep >= 0:
        end = _url_end(text, sep + 3)
        marks = [i for i in (text.find("?", sep + 3, end), text.find("#", sep + 3, end)) if i >= 0]
        if marks:
            query = min(marks)
            for m in _QUERY_PARAM.finditer(text, query, end):
                name = m.group(1).lower().replace("-", "_").rsplit(".", 1)[-1]
                value = m.group(2)
                if name not in _SECRET_PARAMS or not is_real_value(value):
                    continue
                if name in _WEAK_PARAMS and not _looks_random(value):
                    continue
                found.append(
                    Detection(SECRET, m.start(2), m.end(2), "url_query_secret",
                              QUERY_SECRET_PRIORITY)
                )  # fmt: skip
        sep = text.find("://", end)
    return found


def find_url_secrets(text: str) -> list[Detection]:
    """Webhook URLs and query-string credentials."""
    return find_webhook_urls(text) + (find_query_secrets(text) if "://" in text else [])
