"""Credentials: known key shapes, JWTs, private keys, config passwords, high-entropy tokens.

Speed: every pattern starts with a literal or a character class (look-behinds come
after the first character), and the config-line detector starts from keyword hits
found with ``str.find`` instead of testing every position of the text.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from convoscope_analyzer.privacy.candidates import Candidates, find_candidates, long_token_in
from convoscope_analyzer.privacy.casefold import lower_same_length
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


# Access key ids (long-term AKIA, temporary ASIA); AIDA/AROA... are ids, not credentials.
_AWS_PREFIXES = ("AKIA", "ASIA")

# (literal hints, kind, pattern, plausibility check). Shapes from the vendors' documentation.
_KNOWN_KEYS: tuple[tuple[tuple[str, ...], str, re.Pattern[str], Callable[[str], bool]], ...] = (
    (("sk-ant-",), "anthropic_api_key",
     re.compile(r"sk-ant-(?<![\w-]sk-ant-)[A-Za-z0-9_-]{20,}"), _looks_random),
    (("sk-",), "openai_api_key",
     re.compile(r"sk-(?<![\w-]sk-)(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
     _looks_random),
    (_AWS_PREFIXES, "aws_access_key_id",
     re.compile(r"A[KS]IA(?<![A-Za-z0-9]A[KS]IA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
     _no_long_repeats),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), "github_token",
     re.compile(r"gh[pousr]_(?<!\wgh._)[A-Za-z0-9]{36,255}(?!\w)"), _looks_random),
    (("github_pat_",), "github_pat",
     re.compile(r"github_pat_(?<!\wgithub_pat_)[A-Za-z0-9_]{50,255}"), _looks_random),
    (("xox",), "slack_token",
     re.compile(r"xox[abposre]-(?<![\w-]xox.-)[A-Za-z0-9-]{10,}"), _looks_random),
    (("_live_", "_test_"), "stripe_key",
     re.compile(r"[spr]k_(?:live|test)_(?<!\w[spr]k_live_)(?<!\w[spr]k_test_)[A-Za-z0-9]{16,}(?!\w)"),
     _looks_random),
    (("whsec_",), "stripe_webhook_secret",
     re.compile(r"whsec_(?<!\wwhsec_)[A-Za-z0-9]{24,}(?!\w)"), _looks_random),
    (("npm_",), "npm_token",
     re.compile(r"npm_(?<!\wnpm_)[A-Za-z0-9]{30,}(?!\w)"), _looks_random),
    (("hf_",), "huggingface_token",
     re.compile(r"hf_(?<!\whf_)[A-Za-z0-9]{30,}(?!\w)"), _looks_random),
    (("glpat-",), "gitlab_token",
     re.compile(r"glpat-(?<![\w-]glpat-)[A-Za-z0-9_-]{20,}(?![\w-])"), _looks_random),
    (("SG.",), "sendgrid_api_key",
     re.compile(r"SG\.(?<!\wSG\.)[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}(?![\w-])"),
     _looks_random),
    (("AIza",), "google_api_key",
     re.compile(r"AIza(?<![\w-]AIza)[0-9A-Za-z_-]{35}(?![\w-])"), _looks_random),
)  # fmt: skip


_ALL_HINTS: tuple[str, ...] = tuple(h for hints, *_ in _KNOWN_KEYS for h in hints)


def has_long_token(text: str) -> bool:
    """True when ``text`` has 20+ consecutive token characters (keys, JWTs, random tokens)."""
    return long_token_in(text.encode("utf-8", "surrogatepass"))


def find_known_keys(text: str) -> list[Detection]:
    """API keys and tokens with a vendor's documented shape."""
    found: list[Detection] = []
    if not any(h in text for h in _ALL_HINTS):
        return found
    for hints, kind, pattern, plausible in _KNOWN_KEYS:
        if not any(h in text for h in hints):
            continue
        for m in pattern.finditer(text):
            if plausible(m.group()):
                found.append(Detection(SECRET, m.start(), m.end(), kind, KNOWN_KEY_PRIORITY))
    return found


_JWT = re.compile(r"eyJ(?<![\w-]eyJ)[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")


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
# A key pasted without its END line: take the following lines of base64 (or PEM headers such
# as "Proc-Type: 4,ENCRYPTED"), also across "\n" escapes in JSON; a blank line ends it.
_PEM_BODY = re.compile(r"(?:(?:\r?\n|\\r?\\n)[ \t]*(?:[A-Za-z0-9+/=]+|[A-Z][A-Za-z-]+: [^\n\\]*))*")


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
        found.append(Detection(SECRET, begin.start(), stop, "private_key", PRIVATE_KEY_PRIORITY))
        pos = stop
    return found


# --- key = value lines and URL credentials --------------------------------------------

# Lower-case fragments of key names that hold secrets.
# ("key" hits count only in key names such as api_key, access-key, apikey, private_key.)
SECRET_KEYWORDS: tuple[str, ...] = (
    "pass", "pwd", "secret", "token", "key", "credential", "bearer",
)  # fmt: skip
_SECRET_KEY_NAME = re.compile(
    r"(?i)(?:api|access|private|secret|auth|client|master|signing|encryption|license|account"
    r"|storage|shared|subscription|session|webhook)[_-]?key"
)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# What may stand before a key: only indentation, "export ", "- " or a quote since the line
# start, or an inline separator ("{", ",", ";", "&", "?", "(") right before.
_LINE_START_PREFIX = re.compile(r"[ \t]*(?:export[ \t]+|-[ \t]+)?[\"']?")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_INLINE_PREFIX = re.compile(r"[{,;&?(][ \t]*[\"']?$")
_ASSIGNED_VALUE = re.compile(r"[\"']?[ \t]*(?:=>|=|:)[ \t]*([\"']?)([^\s\"'`,;\\]{4,256})\1")
# Key names that hold settings about secrets, not secrets.
_NOT_SECRET_KEYS = re.compile(
    r"(?i)(?<!ac)count|limit|max|min|file|path|length|type|expir|ttl|name|url|uri|field|header|policy"
    r"|rotation|endpoint|reset|hint|prompt|label|format|usage|budget|_len|size|id$|_ids?$|mode"
    r"|enabled|required|hash|algorithm|strength|env$|key_id|ref$"
)
_PLACEHOLDER_VALUES = frozenset(
    "null none nil true false undefined required optional string str int redacted secret "
    "password passwd token value example placeholder hidden empty n/a todo tbd "
    # Well-known defaults and fill-me-in words.
    "changeme changeit change_me replace_me replaceme dummy guest".split()
)
# Fill-in-your-own markers anywhere in a value ("sk-...your-key-here", "<paste key>").
_PLACEHOLDER_MARKER = re.compile(r"(?i)your|[-_]here$|\.\.\.|xxxx|<|replace_?me|dummy")
# Values that reference a secret elsewhere rather than holding it.
_REFERENCE_VALUE = re.compile(
    r"""^(?:\$\{|\$[A-Za-z_]|%\(|%[A-Z_]+%|\{\{|<[^>]*>?$)|(?:environ|getenv|process\.env|secretKeyRef)"""
    r"""|^[A-Za-z_]\w*(?:\.\w+)*[(\[]|^[a-z]+(?:_[a-z]+)+$"""
    r"""|^(?:self|this|os|config|conf|cfg|settings|env|process|app|params|args|opts|options"""
    r"""|secrets|vars|values|props)\.\w"""
    r"""|^(?:x+|\*+|\.+|-+)$"""
)


def is_real_value(value: str) -> bool:
    """False for placeholders ("<your key>", "changeme"), references ("${X}") and short numbers."""
    if value.lower() in _PLACEHOLDER_VALUES or _REFERENCE_VALUE.search(value):
        return False
    if _PLACEHOLDER_MARKER.search(value) or not _no_long_repeats(value):
        return False
    if value.isdigit() and len(value) < 6:
        return False
    return not value.lower().startswith(("your", "my-", "my_", "<", "example"))


# Cheap gate (scanner.detect): a text may hold a config secret only if it has ``://`` or
# one of these keywords (or a word they start: "pwd" starts with "pw", "credential" with
# "cred").
CONFIG_GATE = frozenset(("pass", "pw", "secret", "token", "key", "cred", "bearer"))
# The keyword each of SECRET_KEYWORDS is found from (Candidates.hits_of).
_FOUND_FROM = {"pwd": "pw", "credential": "cred"}


def find_config_secrets(
    text: str, lowered: str | None = None, candidates: Candidates | None = None
) -> list[Detection]:
    """Passwords and tokens in ``key = value`` config lines and in ``scheme://user:pw@`` URLs.

    Looked for at the keyword hits and ``://`` of ``candidates`` (found here when not given).
    """
    if candidates is None:
        lowered = lower_same_length(text) if lowered is None else lowered
        candidates = find_candidates(text, lowered)
    found: list[Detection] = []
    seen_keys: set[int] = set()
    hits = candidates.hits
    if hits:
        for keyword in SECRET_KEYWORDS:
            if _FOUND_FROM.get(keyword, keyword) not in hits:
                continue  # hits_of would find nothing
            for hit in candidates.hits_of(keyword):
                detection = _config_value_at(text, hit, keyword, seen_keys)
                if detection is not None:
                    found.append(detection)
    schemes = candidates.schemes() if candidates.colons else None
    if schemes:
        found += _url_credentials(text, schemes)
    return found


def _config_value_at(text: str, hit: int, keyword: str, seen_keys: set[int]) -> Detection | None:
    end = hit + len(keyword)
    while end < len(text) and text[end] in _KEY_CHARS:
        end += 1
    # Most hits are prose ("passed the token to"): no assignment follows, stop here.
    m = _ASSIGNED_VALUE.match(text, end)
    if m is None:
        return None
    start = hit
    while start > 0 and text[start - 1] in _KEY_CHARS:
        start -= 1
    if start in seen_keys:  # "secret_token" is hit by both "secret" and "token"
        return None
    key = text[start:end]
    if _NOT_SECRET_KEYS.search(key):
        return None
    if keyword == "key" and not _SECRET_KEY_NAME.search(key):
        return None
    line_start = text.rfind("\n", 0, start) + 1
    # "A=1 API_TOKEN=x cmd": an environment assignment may follow anything on the line.
    env_style = text[end : end + 1] == "=" and _ENV_NAME.fullmatch(key) is not None
    if (
        not env_style
        and not _LINE_START_PREFIX.fullmatch(text, line_start, start)
        and not _INLINE_PREFIX.search(text, max(line_start, start - 8), start)
    ):
        return None
    if not is_real_value(m.group(2)):
        return None
    seen_keys.add(start)
    return Detection(SECRET, m.start(2), m.end(2), "config_secret", CONFIG_VALUE_PRIORITY)


_URL_CREDENTIAL = re.compile(r"[^\s:/@]*:([^\s@/]+)@")  # "redis://:password@host" has no user


def _url_credentials(text: str, schemes: list[int]) -> list[Detection]:
    found: list[Detection] = []
    for sep in schemes:
        m = _URL_CREDENTIAL.match(text, sep + 3)
        if m is not None and is_real_value(m.group(1)):
            found.append(
                Detection(SECRET, m.start(1), m.end(1), "url_password", URL_CREDENTIAL_PRIORITY)
            )
    return found


# --- high-entropy tokens ----------------------------------------------------------------

_TOKEN = re.compile(
    r"[A-Za-z0-9+/_-](?<![A-Za-z0-9+/=_.-].)[A-Za-z0-9+/_-]{19,199}={0,2}(?![\w+/=-])"
)
ENTROPY_THRESHOLD = 3.6
_HEX_OR_UUID = re.compile(
    r"^(?:[0-9a-fA-F]+|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$"
)
_SPLIT_PARTS = re.compile(r"[-_/+]")
_PUBLIC_PEM = re.compile(
    r"-----BEGIN (?!(?:[A-Z0-9]+ )*PRIVATE)[A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|$)", re.S
)


def find_high_entropy_tokens(text: str) -> list[Detection]:
    """Random-looking tokens (length >= 20, lower+upper+digits, high Shannon entropy).

    Hex digests (git SHAs, sha256), UUIDs, paths, slugs and identifiers made of words,
    subresource-integrity hashes and public keys/certificates are not secrets.
    """
    found: list[Detection] = []
    public_blocks = _public_pem_blocks(text) if "-----BEGIN" in text else []
    for m in _TOKEN.finditer(text):
        token = m.group()
        if any(start <= m.start() < end for start, end in public_blocks):
            continue
        if text.endswith("base64,", max(0, m.start() - 7), m.start()):
            continue  # a data: URI holds an image or file, not a credential
        if _HEX_OR_UUID.match(token) or token.startswith(("sha256-", "sha384-", "sha512-")):
            continue
        digits = sum(map(str.isdigit, token))
        uppers = sum(map(str.isupper, token))
        lowers = sum(map(str.islower, token))
        if digits < 2 or uppers < 2 or lowers < 2:
            continue
        if _made_of_words(token) or shannon_entropy(token) < ENTROPY_THRESHOLD:
            continue
        found.append(Detection(SECRET, m.start(), m.end(), "high_entropy", HIGH_ENTROPY_PRIORITY))
    return found


def _mixed(part: str) -> bool:
    return (
        any(c.isdigit() for c in part) and any(c.isupper() for c in part)
        and any(c.islower() for c in part)
    )  # fmt: skip


def _public_pem_blocks(text: str) -> list[tuple[int, int]]:
    # Certificates and public keys are random-looking but public.
    return [m.span() for m in _PUBLIC_PEM.finditer(text)]


_CAMEL_SEGMENT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
# Random base62 splits into segments of ~2 characters; identifiers into words of 4+.
_MIN_MEAN_WORD_SEGMENT = 4
_MIN_RANDOM_PART = 30


def _made_of_words(token: str) -> bool:
    parts = [p for p in _SPLIT_PARTS.split(token) if p]
    if len(parts) < 2:
        # "shouldRotateApiKeyAfter90Days": a camel-case identifier.
        segments = _CAMEL_SEGMENT.findall(token)
        return bool(segments) and len(token) >= _MIN_MEAN_WORD_SEGMENT * len(segments)
    # "ghp_<36 random>", "npm_<random>": a prefix before one long random part. Object ids
    # ("ch_" + 24, "cus_" + 14) are shorter than credentials.
    if any(len(p) >= _MIN_RANDOM_PART and not _made_of_words(p) and _mixed(p) for p in parts):
        return False
    wordy = sum(1 for p in parts if p.isalpha() and (p.islower() or p.istitle() or p.isupper()))
    return wordy * 2 >= len(parts)
