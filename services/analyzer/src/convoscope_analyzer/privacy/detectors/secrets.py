"""Credentials: known key shapes, JWTs, private keys, config passwords, high-entropy tokens."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from convoscope_analyzer.privacy.checksums import shannon_entropy
from convoscope_analyzer.privacy.detection import Detection
from convoscope_analyzer.privacy.entities import SECRET

PRIVATE_KEY_PRIORITY = 100
JWT_PRIORITY = 95
KNOWN_KEY_PRIORITY = 90
URL_CREDENTIAL_PRIORITY = 85
CONFIG_VALUE_PRIORITY = 45
HIGH_ENTROPY_PRIORITY = 30

_REPEAT_RUN = re.compile(r"(.)\1{4,}")


def _no_long_repeats(value: str) -> bool:
    """False for ``AKIAXXXXXXXXXXXXXXXX``-style placeholders."""
    return _REPEAT_RUN.search(value) is None


def _looks_random(value: str) -> bool:
    """False for placeholders such as ``sk-your-key-here`` or ``sk-xxxxxxxxxxxxxxxxxxxx``."""
    classes = (
        any(c.islower() for c in value) + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
    )  # fmt: skip
    return classes >= 2 and _no_long_repeats(value)


# (kind, pattern, plausibility check). Shapes from the vendors' documentation.
_KNOWN_KEYS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("anthropic_api_key", re.compile(r"(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}"), _looks_random),
    (
        "openai_api_key",
        re.compile(r"(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
        _looks_random,
    ),
    (
        "aws_access_key_id",
        re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
        _no_long_repeats,
    ),
    ("github_token", re.compile(r"(?<![\w])gh[pousr]_[A-Za-z0-9]{36,255}(?![\w])"), _looks_random),
    ("github_pat", re.compile(r"(?<![\w])github_pat_[A-Za-z0-9_]{50,255}"), _looks_random),
    ("slack_token", re.compile(r"(?<![\w-])xox[abposre]-[A-Za-z0-9-]{10,}"), _looks_random),
    (
        "slack_webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]{20,}"),
        _no_long_repeats,
    ),
    (
        "stripe_key",
        re.compile(r"(?<![\w])(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}(?![\w])"),
        _looks_random,
    ),
    ("google_api_key", re.compile(r"(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])"), _looks_random),
    ("stripe_webhook_secret", re.compile(r"(?<![\w])whsec_[A-Za-z0-9]{24,}(?![\w])"), _looks_random),
)

# One cheap scan says whether any known shape can be present at all.
KNOWN_KEY_HINT = re.compile(
    r"sk-|_live_|_test_|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|gh[pousr]_|github_pat_|xox|hooks\.slack|AIza|whsec_"
)

def find_known_keys(text: str) -> list[Detection]:
    """API keys and tokens with a vendor's documented shape."""
    found: list[Detection] = []
    for kind, pattern, plausible in _KNOWN_KEYS:
        for m in pattern.finditer(text):
            if not plausible(m.group()):
                continue
            found.append(Detection(SECRET, m.start(), m.end(), kind, KNOWN_KEY_PRIORITY))
    return found


_JWT = re.compile(r"(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


def find_jwts(text: str) -> list[Detection]:
    """JSON Web Tokens: three base64url parts whose header decodes to JSON with ``alg``."""
    found: list[Detection] = []
    for m in _JWT.finditer(text):
        header = m.group().split(".", 1)[0]
        try:
            decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except (binascii.Error, ValueError):
            continue
        if isinstance(decoded, dict) and "alg" in decoded:
            found.append(Detection(SECRET, m.start(), m.end(), "jwt", JWT_PRIORITY))
    return found


_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# A key pasted without its END line: take the base64 body that follows (also "\n" escapes).
_PEM_BODY = re.compile(r"(?:\s|\\n|\\r|[A-Za-z0-9+/=:,-])*")


def find_private_keys(text: str) -> list[Detection]:
    """PEM private-key blocks, from BEGIN to END (or to the end of the pasted body)."""
    found: list[Detection] = []
    pos = 0
    while (begin := _PEM_BEGIN.search(text, pos)) is not None:
        end = _PEM_END.search(text, begin.end())
        if end is not None:
            stop = end.end()
        else:
            body = _PEM_BODY.match(text, begin.end())
            stop = body.end() if body else begin.end()
            stop = len(text[:stop].rstrip())
        found.append(Detection(SECRET, begin.start(), stop, "private_key", PRIVATE_KEY_PRIORITY))
        pos = stop
    return found


_URL_CREDENTIAL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s@/]+)@")

# key = value / key: value / "key": "value" lines in env files, YAML, JSON, code, URLs.
_CONFIG_SECRET = re.compile(
    r"""(?imx)
    (?:^[ \t]*(?:export[ \t]+|-[ \t]+)?|[{,;&?(][ \t]*)
    ["']?
    ([\w.-]*?(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key
        |auth[_-]?token|access[_-]?token|refresh[_-]?token|bearer|token|credentials?
        |private[_-]?key)[\w.-]*)
    ["']?[ \t]*(?:=>|=|:)[ \t]*
    (["']?)
    ([^\s"'`,;\\]{4,256})
    \2
    """
)
SECRET_KEYWORD_HINT = re.compile(
    r"(?i)pass|pwd|secret|token|api[_-]?key|access[_-]?key|credential|bearer|://[^\s/@]+:"
)
# Key names that hold settings about secrets, not secrets.
_NOT_SECRET_KEYS = re.compile(
    r"(?i)count|limit|max|min|file|path|length|type|expir|ttl|name|url|uri|field|header|policy"
    r"|rotation|endpoint|reset|hint|prompt|label|format|usage|budget|_len|size|id$|_ids?$|mode"
    r"|enabled|required|hash|algorithm|strength|env$|key_id|ref$"
)
_PLACEHOLDER_VALUES = frozenset(
    "null none nil true false undefined required optional string str int redacted secret "
    "password passwd token value example placeholder hidden empty n/a todo tbd".split()
)
# Values that reference a secret elsewhere rather than holding it.
_REFERENCE_VALUE = re.compile(
    r"""^(?:\$\{|\$[A-Za-z_]|%\(|%[A-Z_]+%|\{\{|<[^>]*>?$)|(?:environ|getenv|process\.env|secretKeyRef)"""
    r"""|^[A-Za-z_]\w*(?:\.\w+)*[(\[]|^[a-z]+(?:_[a-z]+)+$"""
    r"""|^(?:self|this|os|config|conf|cfg|settings|env|process|app|params|args|opts|options"""
    r"""|secrets|vars|values|props)\.\w"""
    r"""|^(?:x+|\*+|\.+|-+)$"""
)


def _is_real_value(value: str) -> bool:
    if value.lower() in _PLACEHOLDER_VALUES or _REFERENCE_VALUE.search(value):
        return False
    if value.isdigit() and len(value) < 6:
        return False
    return not value.lower().startswith(("your", "my-", "my_", "<", "example"))


def find_config_secrets(text: str) -> list[Detection]:
    """Passwords and tokens in ``key = value`` config lines and in ``scheme://user:pw@`` URLs."""
    found: list[Detection] = []
    for m in _CONFIG_SECRET.finditer(text):
        if _NOT_SECRET_KEYS.search(m.group(1)) or not _is_real_value(m.group(3)):
            continue
        found.append(
            Detection(SECRET, m.start(3), m.end(3), "config_secret", CONFIG_VALUE_PRIORITY)
        )
    for m in _URL_CREDENTIAL.finditer(text):
        if _is_real_value(m.group(1)):
            found.append(
                Detection(SECRET, m.start(1), m.end(1), "url_password", URL_CREDENTIAL_PRIORITY)
            )
    return found


_TOKEN = re.compile(r"(?<![\w+/=.-])[A-Za-z0-9+/_-]{20,200}={0,2}(?![\w+/=-])")
ENTROPY_THRESHOLD = 3.6
_HEX_OR_UUID = re.compile(r"^(?:[0-9a-fA-F]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
_SPLIT_PARTS = re.compile(r"[-_/+]")


def find_high_entropy_tokens(text: str) -> list[Detection]:
    """Random-looking tokens (length >= 20, lower+upper+digits, high Shannon entropy).

    Hex digests (git SHAs, sha256), UUIDs, paths, slugs and identifiers made of words,
    and subresource-integrity hashes are not secrets.
    """
    found: list[Detection] = []
    public_blocks = _public_pem_blocks(text) if "-----BEGIN" in text else []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if any(start <= m.start() < end for start, end in public_blocks):
            continue
        if _HEX_OR_UUID.match(token) or token.startswith(("sha256-", "sha384-", "sha512-")):
            continue
        digits = sum(c.isdigit() for c in token)
        uppers = sum(c.isupper() for c in token)
        lowers = sum(c.islower() for c in token)
        if digits < 2 or uppers < 2 or lowers < 2:
            continue
        if _made_of_words(token) or shannon_entropy(token) < ENTROPY_THRESHOLD:
            continue
        found.append(Detection(SECRET, m.start(), m.end(), "high_entropy", HIGH_ENTROPY_PRIORITY))
    return found


_PUBLIC_PEM = re.compile(
    r"-----BEGIN (?!(?:[A-Z0-9]+ )*PRIVATE)[A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|$)", re.S
)


def _public_pem_blocks(text: str) -> list[tuple[int, int]]:
    # Certificates and public keys are random-looking but public.
    return [m.span() for m in _PUBLIC_PEM.finditer(text)]


def _made_of_words(token: str) -> bool:
    parts = [p for p in _SPLIT_PARTS.split(token) if p]
    if len(parts) < 2:
        return False
    wordy = sum(p.isalpha() and (p.islower() or p.istitle() or p.isupper()) for p in parts)
    return wordy * 2 >= len(parts)
