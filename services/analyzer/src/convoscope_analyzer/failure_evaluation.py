"""Failure and sentiment detection measured on the hand-labelled turns (issue 20).

Each labelled row is one user turn with the assistant answer before it, the user turn
that answer replied to, and the next assistant answer. The row becomes a small
conversation that runs through the engine's own failure and sentiment code; the
findings on the row's messages are compared with the labels. Pure: rows in, figures out.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from convoscope_analyzer.engine.failures import detect_conversation_failures
from convoscope_analyzer.engine.language import assign_languages
from convoscope_analyzer.engine.prepared import prepare_corpus, resolve_timezone
from convoscope_analyzer.engine.sentiment import SentimentModel, default_model
from convoscope_common.corpus import Conversation, Corpus, Message

# Targets of issue 20 (held-out part).
COMPLAINT_RECALL, COMPLAINT_PRECISION = 0.75, 0.85
REFUSAL_RECALL, REFUSAL_PRECISION = 0.8, 0.9
NEUTRAL_STRONGLY_NEGATIVE = 0.05
STRONGLY_NEGATIVE = -0.5


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled user turn."""

    id: str
    lang: str
    user: str
    complaint: bool
    refusal: bool
    sentiment: str
    before: str | None = None
    prev: str | None = None
    next: str | None = None
    shape: str | None = None
    kind: str | None = None


def load_rows(path: Path) -> list[Row]:
    """The rows of a JSON Lines file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append(Row(**{k: data.get(k) for k in Row.__slots__}))
    return rows


@dataclass(slots=True)
class Prediction:
    """What the engine said about one row."""

    complaint: bool
    refusal: bool
    compound: float | None  # None: the turn's language is not one the model reads
    language: str = ""  # the language the engine gave the user turn
    signal_kinds: set[str] = field(default_factory=set)


def _conversation(row: Row) -> Conversation:
    messages = []
    if row.prev is not None:
        if row.before is not None:
            messages.append(Message(id="q", role="user", text=row.before))
        messages.append(Message(id="a", role="assistant", text=row.prev))
    messages.append(Message(id="u", role="user", text=row.user))
    if row.next is not None:
        messages.append(Message(id="n", role="assistant", text=row.next))
    return Conversation(id=row.id, messages=messages)


def predict(row: Row, model: SentimentModel | None = None) -> Prediction:
    """Run the engine's language, failure and sentiment code on one row."""
    [prepared] = prepare_corpus(Corpus(conversations=[_conversation(row)]), resolve_timezone("UTC"))
    assign_languages([prepared])
    language = next(pm.language for pm in prepared.messages if pm.message.id == "u") or ""
    model = model or default_model()
    findings = detect_conversation_failures(prepared)
    complaints = [f for f in findings if f.evidence == "user_complaint" and f.message_id == "a"]
    refusal = any(f.evidence == "refusal" and f.message_id == "n" for f in findings)
    kinds: set[str] = {s.kind for f in complaints for s in f.signals}
    return Prediction(
        complaint=bool(complaints),
        refusal=refusal,
        compound=model.compound(row.user) if language in model.languages else None,
        language=language,
        signal_kinds=kinds,
    )


@dataclass(frozen=True, slots=True)
class Score:
    """Precision and recall of one yes/no decision."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _score(pairs: list[tuple[bool, bool]]) -> Score:
    return Score(
        tp=sum(t and p for t, p in pairs),
        fp=sum(p and not t for t, p in pairs),
        fn=sum(t and not p for t, p in pairs),
    )


def polarity(compound: float) -> str:
    """positive / neutral / negative as the hand labels use them (VADER's ±0.05 band)."""
    if compound >= 0.05:
        return "positive"
    if compound <= -0.05:
        return "negative"
    return "neutral"


@dataclass(slots=True)
class Report:
    """All figures for one labelled set."""

    rows: int
    complaint: Score
    refusal: Score
    complaint_recall_by_shape: dict[str, tuple[int, int]]
    signals: dict[str, tuple[int, int]]  # kind -> (turns it fired on, of them complaints)
    sentiment_by_label: dict[str, tuple[int, int]]  # hand label -> (agreeing, total)
    sentiment_by_language: dict[str, tuple[int, int]]
    complaint_by_language: dict[str, Score]
    refusal_by_language: dict[str, Score]
    neutral_strongly_negative: tuple[int, int]  # English hand-neutral turns
    # Per labelled language: hand-neutral scored turns with |compound| >= 0.5, of scored.
    neutral_strong_by_language: dict[str, tuple[int, int]]
    not_scored_by_language: dict[str, tuple[int, int]]  # (not scored, turns)
    detected_by_language: dict[str, tuple[int, int]]  # (engine's language == label, turns)
    misses: list[str]  # ids of rows the engine got wrong (for the development part only)


def evaluate(
    rows: list[Row], *, model: SentimentModel | None = None, without_next: bool = False
) -> Report:
    """Score every row; ``without_next`` hides the next answer (a conversation's last
    turn), so the figures show what the user's own words and the answer before carry."""
    complaint_pairs, refusal_pairs = [], []
    by_shape: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    signals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_label: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    neutral = [0, 0]
    misses = []
    per_language: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    refusal_language: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    neutral_strong: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    not_scored: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    detected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        p = predict(replace(row, next=None) if without_next else row, model)
        complaint_pairs.append((row.complaint, p.complaint))
        per_language[row.lang].append((row.complaint, p.complaint))
        refusal_pairs.append((row.refusal, p.refusal))
        refusal_language[row.lang].append((row.refusal, p.refusal))
        detected[row.lang][0] += p.language == row.lang
        detected[row.lang][1] += 1
        not_scored[row.lang][1] += 1
        if row.complaint:
            shape = by_shape[row.shape or "other"]
            shape[0] += p.complaint
            shape[1] += 1
        for kind in p.signal_kinds:
            signals[kind][0] += 1
            signals[kind][1] += row.complaint
        if row.complaint != p.complaint or row.refusal != p.refusal:
            misses.append(row.id)
        if p.compound is None:
            not_scored[row.lang][0] += 1
            continue
        if row.sentiment == "neutral":
            neutral_strong[row.lang][0] += abs(p.compound) >= -STRONGLY_NEGATIVE
            neutral_strong[row.lang][1] += 1
        agree = polarity(p.compound) == row.sentiment
        by_label[row.sentiment][0] += agree
        by_label[row.sentiment][1] += 1
        by_language[row.lang][0] += agree
        by_language[row.lang][1] += 1
        if row.lang == "en" and row.sentiment == "neutral":
            neutral[0] += p.compound <= STRONGLY_NEGATIVE
            neutral[1] += 1
    return Report(
        rows=len(rows),
        complaint=_score(complaint_pairs),
        refusal=_score(refusal_pairs),
        complaint_recall_by_shape={k: (v[0], v[1]) for k, v in sorted(by_shape.items())},
        signals={k: (v[0], v[1]) for k, v in sorted(signals.items())},
        sentiment_by_label={k: (v[0], v[1]) for k, v in sorted(by_label.items())},
        sentiment_by_language={k: (v[0], v[1]) for k, v in sorted(by_language.items())},
        complaint_by_language={k: _score(v) for k, v in sorted(per_language.items())},
        refusal_by_language={k: _score(v) for k, v in sorted(refusal_language.items())},
        neutral_strong_by_language={k: (v[0], v[1]) for k, v in sorted(neutral_strong.items())},
        not_scored_by_language={k: (v[0], v[1]) for k, v in sorted(not_scored.items())},
        detected_by_language={k: (v[0], v[1]) for k, v in sorted(detected.items())},
        neutral_strongly_negative=(neutral[0], neutral[1]),
        misses=misses,
    )


def missed_targets(report: Report) -> list[str]:
    """The issue's targets this report misses (empty when all are met)."""
    missed = []
    c, r = report.complaint, report.refusal
    if c.recall < COMPLAINT_RECALL or c.precision < COMPLAINT_PRECISION:
        missed.append(f"complaints: recall {c.recall:.2f}, precision {c.precision:.2f}")
    if r.recall < REFUSAL_RECALL or r.precision < REFUSAL_PRECISION:
        missed.append(f"refusals: recall {r.recall:.2f}, precision {r.precision:.2f}")
    hit, total = report.neutral_strongly_negative
    if total and hit / total > NEUTRAL_STRONGLY_NEGATIVE:
        missed.append(f"neutral turns strongly negative: {hit}/{total}")
    return missed


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({a / b:.0%})" if b else "0/0"


def format_report(report: Report) -> str:
    """The figures as plain text (counts and ratios only, never text)."""
    c, r = report.complaint, report.refusal
    lines = [
        f"turns: {report.rows}",
        f"complaints: precision {c.precision:.2f} recall {c.recall:.2f} "
        f"(tp {c.tp}, fp {c.fp}, fn {c.fn})",
        f"refusals:   precision {r.precision:.2f} recall {r.recall:.2f} "
        f"(tp {r.tp}, fp {r.fp}, fn {r.fn})",
        "complaint recall by shape:",
        *(f"  {k:18} {_pct(*v)}" for k, v in report.complaint_recall_by_shape.items()),
        "signal kinds on detected complaints (turns, of them labelled complaints = precision):",
        *(f"  {k:18} {_pct(v[1], v[0])}" for k, v in report.signals.items()),
        "complaints by language (precision, recall, labelled):",
        *(
            f"  {k:18} {v.precision:.2f} {v.recall:.2f} ({v.tp + v.fn})"
            for k, v in report.complaint_by_language.items()
        ),
        "sentiment agreement by hand label:",
        *(f"  {k:18} {_pct(*v)}" for k, v in report.sentiment_by_label.items()),
        "sentiment agreement by language:",
        *(f"  {k:18} {_pct(*v)}" for k, v in report.sentiment_by_language.items()),
        f"English neutral turns scored strongly negative (<= {STRONGLY_NEGATIVE}): "
        f"{_pct(*report.neutral_strongly_negative)}",
    ]
    return "\n".join(lines)


def label_counts(rows: list[Row]) -> Counter[str]:
    """How many rows carry each label (for the data card)."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts["turns"] += 1
        counts["complaints"] += row.complaint
        counts["refusals"] += row.refusal
        counts[f"sentiment {row.sentiment}"] += 1
        counts[f"language {row.lang}"] += 1
    return counts


def format_language_table(report: Report) -> str:
    """One line per labelled language: detection, complaints, refusals, sentiment."""
    lines = [
        "lang  detected  complaints P / R      refusals P / R   sentiment agree  "
        "not scored  neutral |c|>=0.5"
    ]
    for lang, (hit, total) in report.detected_by_language.items():
        c, r = report.complaint_by_language[lang], report.refusal_by_language[lang]
        agree = report.sentiment_by_language.get(lang, (0, 0))
        unscored = report.not_scored_by_language[lang]
        strong = report.neutral_strong_by_language.get(lang, (0, 0))
        lines.append(
            f"{lang:5} {hit:>3}/{total:<4} {c.precision:5.2f} / {c.recall:4.2f} "
            f"(fn {c.fn}, fp {c.fp})  {r.precision:4.2f} / {r.recall:4.2f}     "
            f"{_pct(*agree):15}  {unscored[0]:>3}/{unscored[1]:<6}  {_pct(*strong)}"
        )
    return "\n".join(lines)
