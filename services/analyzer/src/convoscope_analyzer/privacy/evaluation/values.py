"""Random true values and non-PII look-alikes for the synthetic corpus (seeded ``random``).

True values are built by each identifier's own rules (Luhn, mod-97, SSA ranges,
libphonenumber validity); look-alikes are the things real conversations are full
of that share a shape with PII: ids, versions, dates, hashes, invalid checksums.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string

import phonenumbers

B62 = string.ascii_letters + string.digits
FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Priya Wei Fatima Olga Mateo Sofia Liam Amara "
    "Noah Chloe Ahmed Yuki Lars Ingrid Carlos Lucia Kwame Aisha Dmitri Elena Hiro Nadia"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Patel Nguyen Kowalski Schmidt "
    "Rossi Dubois Okafor Tanaka Larsen Novak Silva Kim Chen Ivanova O'Brien Fischer Haddad"
).split()
DOMAINS = (
    "example.com gmail.com outlook.com proton.me acme-corp.io mail.example.org uni-hamburg.de "
    "company.co.uk startup.dev fastmail.fm yahoo.co.jp"
).split()
STREETS = (
    "Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Sunset Baker Market Mission "
    "Valencia Highland Riverside Church Mill Spring Jefferson Lincoln Madison Franklin"
).split()
SUFFIXES = "Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Way Place".split()
CITIES = (
    ("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Denver", "CO"),
    ("San Francisco", "CA"), ("Boston", "MA"), ("Madison", "WI"), ("Raleigh", "NC"),
)  # fmt: skip
US_AREA_CODES = (
    "201 202 206 212 213 214 303 305 312 314 404 408 412 415 425 503 510 512 602 614 617 "
    "646 702 713 718 720 786 801 808 818 847 858 917 919 949 971"
).split()
PHONE_REGIONS = ("GB", "DE", "FR", "IN", "AU", "JP", "BR", "ES", "NL", "SE")


def name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST).lower(), rng.choice(LAST).lower().replace("'", "")
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}+{rng.choice(['work', 'news', 'tax'])}",
            f"{last}.{first}{rng.randint(70, 99)}",
        ]
    )
    value = f"{local}@{rng.choice(DOMAINS)}"
    return value.upper() if rng.random() < 0.05 else value


def us_phone(rng: random.Random) -> str:
    while True:
        area = rng.choice(US_AREA_CODES)
        exchange = f"{rng.randint(2, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}"
        line = f"{rng.randint(0, 9999):04d}"
        number = phonenumbers.parse(f"+1{area}{exchange}{line}")
        if phonenumbers.is_valid_number(number):
            break
    return rng.choice(
        [
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"+1 {area} {exchange} {line}",
            f"+1-{area}-{exchange}-{line}",
            f"{area}{exchange}{line}",
            f"1-{area}-{exchange}-{line}",
            f"+1 ({area}) {exchange}-{line}",
        ]
    )


def intl_phone(rng: random.Random) -> str:
    region = rng.choice(PHONE_REGIONS)
    kind = rng.choice(
        [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    national = str(example.national_number)
    while True:
        # Keep the operator/area prefix, randomise the subscriber digits.
        keep = max(2, len(national) - 5)
        digits = national[:keep] + "".join(rng.choice(string.digits) for _ in national[keep:])
        candidate = phonenumbers.parse(f"+{example.country_code}{digits}")
        if phonenumbers.is_valid_number(candidate):
            break
    fmt = rng.choice(
        [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
    )
    return phonenumbers.format_number(candidate, fmt)


def ssn(rng: random.Random) -> tuple[str, bool]:
    """An SSN and whether it is written bare (9 digits, needs a keyword)."""
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    if rng.random() < 0.15:
        return f"{area:03d}{group:02d}{serial:04d}", True
    sep = "-" if rng.random() < 0.85 else " "
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}", False


def invalid_ssn(rng: random.Random) -> str:
    area = rng.choice(["000", "666", f"9{rng.randint(0, 99):02d}"])
    return f"{area}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _luhn_complete(prefix_and_body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix_and_body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


_CARD_NETWORKS = (
    (("4",), 16), (("4",), 16), (("51", "52", "53", "54", "55", "2221", "2720"), 16),
    (("34", "37"), 15), (("6011", "65", "644"), 16), (("3530", "3589"), 16),
    (("36",), 14), (("62",), 16), (("4",), 19),
)  # fmt: skip


def card_digits(rng: random.Random) -> str:
    prefixes, length = rng.choice(_CARD_NETWORKS)
    prefix = rng.choice(prefixes)
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return _luhn_complete(body)


def format_card(rng: random.Random, digits: str) -> str:
    style = rng.random()
    if style < 0.3:
        return digits
    sep = " " if style < 0.75 else "-"
    if len(digits) == 15:
        return sep.join((digits[:4], digits[4:10], digits[10:]))
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def luhn_invalid_card_like(rng: random.Random) -> str:
    digits = card_digits(rng)
    last = (int(digits[-1]) + rng.randint(1, 9)) % 10
    return format_card(rng, digits[:-1] + str(last))


def bad_iin_luhn_valid(rng: random.Random) -> str:
    """16 Luhn-valid digits whose prefix belongs to no card network (ids, references)."""
    body = rng.choice(["9", "1", "0", "8"]) + "".join(rng.choice(string.digits) for _ in range(14))
    return format_card(rng, _luhn_complete(body))


_IBAN_FORMATS = {
    "DE": "n18", "GB": "a4n14", "FR": "n23", "NL": "a4n10", "ES": "n20", "IT": "a1n22",
    "CH": "n17", "BE": "n12", "AT": "n16", "PL": "n24", "IE": "a4n14", "SE": "n20",
}  # fmt: skip


def _iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def iban(rng: random.Random, *, valid: bool = True) -> str:
    country = rng.choice(list(_IBAN_FORMATS))
    spec = _IBAN_FORMATS[country]
    bban = ""
    for part in spec.replace("a", " a").replace("n", " n").split():
        pool = string.ascii_uppercase if part[0] == "a" else string.digits
        bban += "".join(rng.choice(pool) for _ in range(int(part[1:])))
    check = _iban_check(country, bban)
    if not valid:
        check = f"{(int(check) + rng.randint(1, 50)) % 97 + 2:02d}"
        if check == _iban_check(country, bban):
            check = f"{(int(check) + 1) % 97 + 2:02d}"
    compact = country + check + bban
    if rng.random() < 0.6:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def ipv4(rng: random.Random) -> str:
    first = rng.choice([10, 172, 192, 34, 52, 81, 93, 104, 151, 185, 203, 8, 45, 66])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def ipv6(rng: random.Random) -> str:
    prefix = rng.choice([0x2001, 0x2600, 0x2A00, 0xFE80, 0x2A02, 0xFD12])
    groups = [prefix] + [rng.randint(0, 0xFFFF) for _ in range(7)]
    if rng.random() < 0.5:
        for i in range(2, rng.randint(3, 6)):
            groups[i] = 0
    address = ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))
    return address.compressed if rng.random() < 0.8 else address.exploded


def token(rng: random.Random, n: int, alphabet: str = B62) -> str:
    """``n`` random characters; when the alphabet mixes classes, every class appears."""
    need_lower = any(c.islower() for c in alphabet)
    need_upper = any(c.isupper() for c in alphabet)
    need_digits = 2 if any(c.isdigit() for c in alphabet) and n >= 8 else 0
    while True:
        value = "".join(rng.choice(alphabet) for _ in range(n))
        if (
            (not need_lower or any(c.islower() for c in value))
            and (not need_upper or any(c.isupper() for c in value))
            and sum(c.isdigit() for c in value) >= need_digits
        ):
            return value


def api_key(rng: random.Random) -> tuple[str, str]:
    """(kind, key) in one of the documented vendor shapes."""
    kind = rng.choice(
        ["anthropic", "openai", "openai_proj", "aws", "github", "github_pat", "slack", "stripe"]
    )
    b64url = B62 + "-_"
    if kind == "anthropic":
        return kind, f"sk-ant-api03-{token(rng, 93, b64url)}AA"
    if kind == "openai":
        return kind, f"sk-{token(rng, 20)}T3BlbkFJ{token(rng, 20)}"
    if kind == "openai_proj":
        return kind, f"sk-proj-{token(rng, 64, b64url)}"
    if kind == "aws":
        return kind, rng.choice(["AKIA", "ASIA"]) + token(
            rng, 16, string.ascii_uppercase + "234567"
        )
    if kind == "github":
        return kind, rng.choice(["ghp_", "gho_", "ghs_"]) + token(rng, 36)
    if kind == "github_pat":
        return kind, f"github_pat_11{token(rng, 20)}_{token(rng, 59)}"
    if kind == "slack":
        return kind, (
            f"xox{rng.choice('bpa')}-{rng.randint(10**10, 10**11)}-{rng.randint(10**11, 10**12)}"
            f"-{token(rng, 24)}"
        )
    return kind, f"{rng.choice(['sk', 'rk'])}_live_{token(rng, 24)}"


def aws_secret_key(rng: random.Random) -> str:
    return token(rng, 40, B62 + "+/")


def password(rng: random.Random, *, in_url: bool = False) -> str:
    # Inside a URL, "@", "?" and "#" would have to be percent-encoded.
    pool = string.ascii_letters + string.digits + ("!*-_." if in_url else "!#%^&*-_+=@?")
    while True:
        value = "".join(rng.choice(pool) for _ in range(rng.randint(10, 20)))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def jwt(rng: random.Random) -> str:
    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    header = b64({"alg": rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"})
    payload = b64(
        {"sub": str(rng.randint(10**6, 10**9)), "iat": rng.randint(1_600_000_000, 1_800_000_000)}
    )
    return f"{header}.{payload}.{token(rng, 43, B62 + '-_')}"


def private_key(rng: random.Random) -> str:
    label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"])
    lines = [token(rng, 64, B62 + "+/") for _ in range(rng.randint(3, 8))]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def street_address(rng: random.Random) -> str:
    number = rng.randint(1, 9999)
    street = " ".join(rng.sample(STREETS, rng.choice([1, 1, 2])))
    value = f"{number} {street} {rng.choice(SUFFIXES)}"
    if rng.random() < 0.3:
        value += f", {rng.choice(['Apt', 'Suite', 'Unit'])} {rng.randint(1, 40)}{rng.choice('ABC')}"
    if rng.random() < 0.5:
        city, state = rng.choice(CITIES)
        value += f", {city}, {state} {rng.randint(10000, 99999)}"
    return value


# ---- look-alikes (never labelled) ---------------------------------------------------


def uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


def sha(rng: random.Random, hex_digits: int = 40) -> str:
    return f"{rng.getrandbits(hex_digits * 4):0{hex_digits}x}"


def version(rng: random.Random) -> str:
    a, b, c, d = (rng.randint(0, 20) for _ in range(4))
    return rng.choice(
        [
            f"v{a}.{b}.{c}",
            f"{a}.{b}.{c}",
            f"{a}.{b}.{c}.{d}.{rng.randint(0, 9)}",
            f"version {a}.{b}.{c}.{d}",
            f"v{a}.{b}.{c}.{d}",
            f"{a}.{b}.{c}-beta.{d}",
            f"build {a}.0.{rng.randint(10000, 22631)}.{rng.randint(100, 4000)}",
            f"{a}.{b}.{c}-rc{d}+{sha(rng, 7)}",
        ]
    )


def date_or_time(rng: random.Random) -> str:
    y, mo, d = rng.randint(2015, 2026), rng.randint(1, 12), rng.randint(1, 28)
    h, mi, s = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    return rng.choice(
        [
            f"{y}-{mo:02d}-{d:02d}",
            f"{mo:02d}/{d:02d}/{y}",
            f"{d:02d}.{mo:02d}.{y}",
            f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z",
            f"{h:02d}:{mi:02d}:{s:02d}",
            f"{rng.randint(1_500_000_000, 1_800_000_000)}",
            f"{rng.randint(1_500_000_000_000, 1_800_000_000_000)}",
            f"{y}{mo:02d}{d:02d}{h:02d}{mi:02d}{s:02d}",
        ]
    )


def money(rng: random.Random) -> str:
    amount = rng.randint(1, 999_999) / 100
    return rng.choice([f"${amount:,.2f}", f"€{amount:.2f}", f"{amount:,.2f} USD", f"£{amount:.0f}"])


def order_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"ORD-{rng.randint(2019, 2026)}-{rng.randint(100000, 999999)}",
            f"{rng.randint(100, 999)}-{rng.randint(10**6, 10**7 - 1)}-"
            f"{rng.randint(10**6, 10**7 - 1)}",
            f"#{rng.randint(1000, 99999)}",
            f"INV-{rng.randint(10**5, 10**6)}",
            f"1Z{token(rng, 6, string.ascii_uppercase + string.digits)}"
            f"{rng.randint(10**9, 10**10 - 1)}",
            " ".join(f"{rng.randint(0, 9999):04d}" for _ in range(5)) + f" {rng.randint(10, 99)}",
            f"#{rng.randint(10**9, 10**10 - 1)}",
        ]
    )


def isbn(rng: random.Random) -> str:
    body = f"978{rng.randint(0, 1)}{rng.randint(10**7, 10**8 - 1)}"
    total = sum(int(ch) * (1 if i % 2 == 0 else 3) for i, ch in enumerate(body))
    full = body + str((10 - total % 10) % 10)
    return rng.choice([full, f"{full[:3]}-{full[3]}-{full[4:7]}-{full[7:12]}-{full[12]}"])


def misc_number(rng: random.Random) -> str:
    return rng.choice(
        [
            f"#{rng.getrandbits(24):06x}",
            f"{rng.randint(1, 999)}.{rng.randint(0, 9)} MB",
            f"{rng.randint(10**5, 10**8)} bytes",
            f"0x{rng.getrandbits(48):012x}",
            ":".join(f"{rng.getrandbits(8):02X}" for _ in range(6)),
            f"port {rng.randint(1024, 65535)}",
            f"{rng.randint(1, 99)}.{rng.randint(0, 99)}%",
            f"line {rng.randint(1, 4000)}",
            f"pid {rng.randint(100, 99999)}",
            f"{rng.randint(1, 9999)} ms",
        ]
    )


def look_alike_ip(rng: random.Random) -> str:
    return rng.choice(
        [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.0",
            "255.255.0.0",
            "::1",
            "localhost:8080",
            f"{rng.randint(256, 999)}.{rng.randint(0, 255)}."
            f"{rng.randint(0, 255)}.{rng.randint(0, 255)}",
            f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}."
            f"{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        ]
    )


def look_alike_secret(rng: random.Random) -> str:
    ident = "".join(rng.sample(["Abstract", "Singleton", "Proxy", "Factory", "Bean", "Handler",
                                 "Request", "Response", "Manager", "Service"], 4))  # fmt: skip
    return rng.choice(
        [
            "sk-your-api-key-here",
            "sk-xxxxxxxxxxxxxxxxxxxxxxxx",
            "sk-...",
            "AKIAXXXXXXXXXXXXXXXX",
            f"sha512-{base64.b64encode(rng.randbytes(64)).decode()}",
            f"{ident}{rng.randint(1, 9)}",
            f"sha256:{sha(rng, 64)}",
            f"{sha(rng, 40)}",
            uuid(rng),
            uuid(rng).upper(),
            f"api-{sha(rng, 10)}-{token(rng, 5, string.ascii_lowercase + string.digits)}",
            f"how-to-configure-nginx-reverse-proxy-{rng.randint(2019, 2026)}",
            f"src/components/UserProfile{rng.randint(2, 9)}Card/index.tsx",
            f"{rng.choice(['ghp', 'sk', 'xoxb'])}_<redacted>",
            f"{uuid(rng)}{uuid(rng)}".replace("-", ""),
        ]
    )


def look_alike_email(rng: random.Random) -> str:
    return rng.choice(
        [
            f"@{rng.choice(FIRST).lower()}",
            "icon@2x.png",
            "logo@3x.webp",
            "git@github.com:acme/app.git",
            f"react@{rng.randint(16, 19)}.{rng.randint(0, 3)}.{rng.randint(0, 9)}",
            "user@localhost",
            "@app.route('/login')",
            f"npm i lodash@{rng.randint(3, 4)}.17.{rng.randint(0, 21)}",
        ]
    )
