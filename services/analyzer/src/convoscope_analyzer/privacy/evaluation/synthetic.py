"""A deterministic, labelled synthetic corpus shaped like real conversations.

Each template writes one document the way people paste things into an assistant
(.env files, YAML, support requests, travel plans, invoices, stack traces, git
logs, code), mixing true values (labelled) with look-alikes (not labelled).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from convoscope_analyzer.privacy.entities import (
    CREDIT_CARD,
    EMAIL,
    IBAN,
    IP_ADDRESS,
    PERSON_NAME,
    PHONE,
    SECRET,
    SSN,
    STREET_ADDRESS,
)
from convoscope_analyzer.privacy.evaluation import values as v
from convoscope_analyzer.privacy.evaluation.labelled import LabelledSpan, LabelledText

DEFAULT_SEED = 20240501


class _Doc:
    """Builds a text piece by piece, recording the spans of labelled values."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[LabelledSpan] = []

    def add(self, *texts: str) -> _Doc:
        for t in texts:
            self.parts.append(t)
            self.length += len(t)
        return self

    def pii(self, entity_type: str, value: str) -> _Doc:
        self.spans.append(LabelledSpan(entity_type, self.length, self.length + len(value)))
        return self.add(value)

    def build(self, source: str) -> LabelledText:
        return LabelledText("".join(self.parts), self.spans, source)


def _phone(rng: random.Random) -> str:
    return v.us_phone(rng) if rng.random() < 0.6 else v.intl_phone(rng)


def _env_file(rng: random.Random) -> _Doc:
    d = _Doc().add("Here's my .env, why does the app fail to connect?\n\n```\n")
    d.add("NODE_ENV=production\nPORT=", str(rng.randint(3000, 9000)), "\n")
    d.add("DATABASE_URL=postgres://app:").pii(SECRET, v.password(rng, in_url=True))
    d.add("@")
    if rng.random() < 0.3:
        d.pii(IP_ADDRESS, v.ipv4(rng))
    else:
        d.add("db.internal")
    d.add(":5432/app\n")
    d.add("REDIS_HOST=").pii(IP_ADDRESS, v.ipv4(rng)).add("\n")
    kind, key = v.api_key(rng)
    d.add(f"{kind.upper()}_API_KEY=").pii(SECRET, key).add("\n")
    if rng.random() < 0.5:
        d.add("AWS_SECRET_ACCESS_KEY=").pii(SECRET, v.aws_secret_key(rng)).add("\n")
    d.add("SESSION_SECRET=").pii(SECRET, v.password(rng)).add("\n")
    d.add("MAX_TOKENS=", str(rng.choice([1024, 4096, 8192])), "\n")
    d.add("DB_PASSWORD=${DB_PASSWORD}\nBUILD_SHA=", v.sha(rng), "\n")
    d.add("REQUEST_ID=", v.uuid(rng), "\nAPP_VERSION=", v.version(rng), "\n```\n")
    d.add("Placeholder in the docs was ", v.look_alike_secret(rng), ".")
    return d


def _yaml_config(rng: random.Random) -> _Doc:
    d = _Doc().add("config.yaml:\n\n")
    d.add("server:\n  host: ").pii(IP_ADDRESS, v.ipv4(rng) if rng.random() < 0.7 else v.ipv6(rng))
    d.add("\n  port: 8443\n  bind: ", v.look_alike_ip(rng), "\n")
    d.add("database:\n  user: admin\n  password: ").pii(SECRET, v.password(rng)).add("\n")
    d.add("  pool_size: 20\n  timeout_ms: ", str(rng.randint(100, 9999)), "\n")
    d.add("auth:\n  jwt: ").pii(SECRET, v.jwt(rng)).add("\n  token_ttl: 3600\n")
    d.add("  secret_name: api-secret\n")
    d.add('  "client_secret": "').pii(SECRET, v.password(rng)).add('"\n')
    d.add("image: registry.example.com/app@", f"sha256:{v.sha(rng, 64)}", "\n")
    d.add("admin_email: ").pii(EMAIL, v.email(rng)).add("\n")
    d.add("notes: upgraded to ", v.version(rng), " on ", v.date_or_time(rng), "\n")
    return d


def _support_request(rng: random.Random) -> _Doc:
    d = _Doc()
    full = v.name(rng)
    d.add("Can you help me write a complaint? Draft so far:\n\n")
    d.add(
        rng.choice(["Dear ", "Hi ", "Hello "]), rng.choice(["Support Team", "team", "Sir or Madam"])
    )
    d.add(",\n\nMy name is ").pii(PERSON_NAME, full).add(". I was charged twice for order ")
    d.add(v.order_number(rng), " on ", v.date_or_time(rng), " (", v.money(rng), ").\n")
    d.add("The card used was ").pii(CREDIT_CARD, v.format_card(rng, v.card_digits(rng)))
    d.add(", and the refund reference ", v.bad_iin_luhn_valid(rng), " never arrived.\n")
    d.add("You can reach me at ").pii(PHONE, _phone(rng)).add(" or ").pii(EMAIL, v.email(rng))
    d.add(".\nTracking number: ", v.order_number(rng), "\n")
    d.add("My old card ", v.luhn_invalid_card_like(rng), " was cancelled.\n\n")
    d.add(rng.choice(["Best regards", "Kind regards", "Thanks", "Sincerely"]), ",\n")
    d.pii(PERSON_NAME, full).add("\n")
    return d


def _travel_plan(rng: random.Random) -> _Doc:
    d = _Doc().add("Plan a 4-day trip for us. Details:\n")
    d.add("- Flight LH", str(rng.randint(100, 999)), " departs ", v.date_or_time(rng), "\n")
    d.add("- Booking ref ", v.token(rng, 6, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), ", seat 23C\n")
    d.add("- Hotel: ").pii(STREET_ADDRESS, v.street_address(rng)).add("\n")
    d.add(
        "- Budget ",
        v.money(rng),
        " per night, ",
        str(rng.randint(2, 6)),
        " Main Points of interest\n",
    )
    d.add("- Emergency contact: ").pii(PHONE, _phone(rng)).add("\n")
    d.add("- Passport scan shared with ").pii(EMAIL, v.email(rng)).add("\n")
    d.add("- Wifi at the rental: ", v.misc_number(rng), ", router ", v.look_alike_ip(rng), "\n")
    if rng.random() < 0.5:
        d.add("- Pick us up from ").pii(STREET_ADDRESS, v.street_address(rng)).add("\n")
    return d


def _invoice(rng: random.Random) -> _Doc:
    d = _Doc().add("Please check this invoice text for errors:\n\n")
    d.add("INVOICE ", v.order_number(rng), "    Date: ", v.date_or_time(rng), "\n")
    d.add("Bill to: ").pii(STREET_ADDRESS, v.street_address(rng)).add("\n")
    d.add("Amount due: ", v.money(rng), " (VAT ", f"DE{rng.randint(10**8, 10**9 - 1)}", ")\n")
    d.add("Pay to IBAN ").pii(IBAN, v.iban(rng)).add(" BIC DEUTDEFF\n")
    d.add("Old account (closed): ", v.iban(rng, valid=False), "\n")
    d.add("Contact ").pii(EMAIL, v.email(rng)).add(", tel. ").pii(PHONE, _phone(rng)).add("\n")
    d.add("ISBN of the manual: ", v.isbn(rng), "\n")
    d.add("Employee SSN for payroll: ")
    value, bare = v.ssn(rng)
    if bare:
        d.add("SSN: ")
    d.pii(SSN, value).add("\nInternal ref ", v.invalid_ssn(rng), "\n")
    return d


def _stack_trace(rng: random.Random) -> _Doc:
    d = _Doc().add("Getting this error in prod:\n\n```\n")
    d.add(v.date_or_time(rng), " ERROR request from ").pii(IP_ADDRESS, v.ipv4(rng))
    d.add(" failed (req ", v.uuid(rng), ")\n")
    d.add('Traceback (most recent call last):\n  File "/srv/app/api.py", ', v.misc_number(rng))
    d.add(", in handler\n    resp = client.post(url, headers={'Authorization': 'Bearer ")
    d.pii(SECRET, v.jwt(rng) if rng.random() < 0.5 else v.api_key(rng)[1]).add("'})\n")
    d.add("ConnectionError: upstream ").pii(IP_ADDRESS, v.ipv6(rng)).add(" refused, ")
    d.add(v.misc_number(rng), "\n  at ", v.look_alike_secret(rng), "\n```\n")
    if rng.random() < 0.4:
        d.add("Also the deploy key leaked into the log:\n").pii(SECRET, v.private_key(rng)).add(
            "\n"
        )
    return d


def _git_log(rng: random.Random) -> _Doc:
    d = _Doc().add("Summarise these commits:\n\n")
    for _ in range(rng.randint(2, 3)):
        author = v.name(rng)
        d.add("commit ", v.sha(rng), "\nAuthor: ").pii(PERSON_NAME, author).add(" <")
        d.pii(EMAIL, v.email(rng)).add(">\nDate:   ", v.date_or_time(rng), "\n\n    ")
        d.add(rng.choice(["Bump ", "Release ", "Pin "]), v.version(rng), " and fix ")
        d.add(v.look_alike_email(rng), "\n\n")
    return d


def _code_snippet(rng: random.Random) -> _Doc:
    d = _Doc().add("Why does this not work?\n\n```python\nimport os\n\n")
    d.add("COLOR = '", v.misc_number(rng), "'  # ", v.misc_number(rng), "\n")
    d.add('client = Client(api_key="').pii(SECRET, v.api_key(rng)[1]).add('")\n')
    d.add("password = os.environ['DB_PASSWORD']\nmax_tokens = 4096\n")
    d.add('conn = connect(host="').pii(IP_ADDRESS, v.ipv4(rng)).add('", ')
    d.add('password="').pii(SECRET, v.password(rng)).add('")\n')
    d.add("session_id = '", v.uuid(rng), "'\nsend_to('").pii(EMAIL, v.email(rng)).add("')\n")
    d.add("# ", v.look_alike_email(rng), " ", v.look_alike_secret(rng), "\n```\n")
    return d


def _hr_form(rng: random.Random) -> _Doc:
    full = v.name(rng)
    d = _Doc().add("Fill this onboarding form into a table:\n\nName: ").pii(PERSON_NAME, full)
    d.add("\nStart date: ", v.date_or_time(rng), "\nAddress: ")
    d.pii(STREET_ADDRESS, v.street_address(rng)).add("\nSSN: ")
    d.pii(SSN, v.ssn(rng)[0]).add("\nPhone: ").pii(PHONE, _phone(rng))
    d.add("\nSalary account: ").pii(IBAN, v.iban(rng)).add("\nBadge no. ", v.invalid_ssn(rng))
    d.add("\nEmployee id: ", v.order_number(rng), "\nLaptop MAC: ", v.misc_number(rng), "\n")
    return d


def _payments_debug(rng: random.Random) -> _Doc:
    d = _Doc().add("Our Stripe webhook logs show:\n\n")
    d.add("charge.succeeded amount=", str(rng.randint(100, 99999)), " card=")
    d.pii(CREDIT_CARD, v.format_card(rng, v.card_digits(rng))).add(" ip=").pii(
        IP_ADDRESS, v.ipv4(rng)
    )
    d.add("\ncharge.failed card=", v.luhn_invalid_card_like(rng), " reason=do_not_honor\n")
    d.add("payout iban=").pii(IBAN, v.iban(rng)).add(" ts=", v.date_or_time(rng), "\n")
    d.add("event_id=evt_", v.token(rng, 24), " idempotency=", v.uuid(rng), "\n")
    d.add("webhook signing secret: ").pii(SECRET, f"whsec_{v.token(rng, 32)}").add("\n")
    d.add("reference ", v.bad_iin_luhn_valid(rng), " isbn ", v.isbn(rng), "\n")
    d.add("customer ").pii(EMAIL, v.email(rng)).add(" phone ").pii(PHONE, _phone(rng)).add("\n")
    return d


def _chat_prose(rng: random.Random) -> _Doc:
    d = _Doc().add(rng.choice(["Hi Claude, ", "Hey, ", "Hello! ", ""]))
    d.add("we shipped ", v.version(rng), " on ", v.date_or_time(rng), " and the dashboard shows ")
    d.add(v.misc_number(rng), " errors. Ticket ", v.order_number(rng), " mentions ")
    d.add(v.look_alike_ip(rng), " and ", v.look_alike_email(rng), ". The old server was ")
    d.pii(IP_ADDRESS, v.ipv4(rng)).add(". Price went from ", v.money(rng), " to ", v.money(rng))
    d.add(". We reviewed 3 Supreme Court cases and ", v.isbn(rng), ".\n")
    return d


TEMPLATES: dict[str, Callable[[random.Random], _Doc]] = {
    "env_file": _env_file,
    "yaml_config": _yaml_config,
    "support_request": _support_request,
    "travel_plan": _travel_plan,
    "invoice": _invoice,
    "stack_trace": _stack_trace,
    "git_log": _git_log,
    "code_snippet": _code_snippet,
    "hr_form": _hr_form,
    "payments_debug": _payments_debug,
    "chat_prose": _chat_prose,
}


def generate_corpus(documents: int = 1650, seed: int = DEFAULT_SEED) -> list[LabelledText]:
    """``documents`` labelled texts, the same for the same seed."""
    rng = random.Random(seed)
    names = list(TEMPLATES)
    return [
        TEMPLATES[names[i % len(names)]](rng).build(names[i % len(names)]) for i in range(documents)
    ]
