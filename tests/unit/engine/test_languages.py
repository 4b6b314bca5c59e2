"""Issue 19: every message gets a language, and the engine says plainly what it did not
read (sentiment not scored, failure cues language-independent only)."""

from __future__ import annotations

from pathlib import Path

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.language import UNKNOWN, detect
from convoscope_analyzer.failure_evaluation import evaluate, load_rows
from convoscope_common.corpus import Corpus
from convoscope_common.results import decode_results, encode_results

from .conftest import conversation

MULTILINGUAL = Path(__file__).resolve().parents[2] / "data" / "multilingual"

# The Portuguese conversation of the issue: VADER read "no" ("in the") as a negation.
PORTUGUESE = conversation(
    "pt",
    ("user", "vou abrir uma conta nova no zotero para a maria rita, me de o link para criar"),
    ("assistant", "Claro! O cadastro é feito em zotero.org/user/register."),
    ("user", "preciso fazer os mesmos ajustes no meu imac, o que muda?"),
    ("assistant", "No iMac não há bateria, então só a parte de energia muda."),
    ("user", "ok"),
    ("assistant", "Se precisar de mais alguma coisa, é só dizer."),
)
JAPANESE = conversation(
    "ja",
    ("user", "Pythonでリストを並べ替える方法を教えてください"),
    ("assistant", "`sorted(xs)` を使います。"),
    ("user", "まだ動きません。同じエラーが出ます"),
    ("assistant", "申し訳ありません。エラー全文を貼っていただけますか？"),
    ("user", "ありがとうございます！動きました"),
    ("assistant", "よかったです！"),
)
ENGLISH = conversation(
    "en",
    ("user", "How do I sort a list of dictionaries by a key in Python?"),
    ("assistant", "Use `sorted(rows, key=lambda r: r['name'])`."),
    ("user", "great, thanks a lot, that works perfectly"),
    ("assistant", "Glad it helped!"),
)


def test_detection_names_the_language_and_leaves_short_text_unknown() -> None:
    assert detect("vou abrir uma conta nova no zotero para a maria rita").language == "pt"
    assert detect("Wie kann ich das beheben, wenn der Server nicht startet?").language == "de"
    assert detect("これは何ですか？").language == "ja"
    assert detect("请帮我写一个排序函数").language == "zh"
    assert detect("이 코드가 왜 안 돼요?").language == "ko"
    assert detect("Hoe kan ik dit oplossen in Python?").language == "nl"  # named, not forced
    assert detect("ok").language == UNKNOWN
    assert detect("```python\nprint('hello world and more words')\n```").language == UNKNOWN


def test_portuguese_requests_are_not_scored_with_the_english_lexicon() -> None:
    results = analyze(Corpus(conversations=[PORTUGUESE, ENGLISH]), EngineOptions())
    sentiment = results.sentiment
    assert sentiment is not None
    # The three Portuguese turns ("ok" takes its conversation's language) are counted,
    # not scored; the two English ones are scored.
    assert sentiment.not_scored_by_language == {"pt": 3}
    assert sentiment.messages == 2
    assert sentiment.coverage == 0.4
    assert all(m.conversation_id == "en" for m in sentiment.by_message)
    assert not any(m.label in ("Negative", "Very Negative") for m in sentiment.by_message)
    languages = results.languages
    assert languages is not None
    assert languages.messages == {"pt": 3, "en": 2}
    assert languages.conversations == {"pt": 1, "en": 1}
    assert languages.inherited_messages == 1  # "ok"
    coverage = {c.analysis: c for c in languages.coverage}
    assert coverage["sentiment"].languages == ["en"]
    assert coverage["sentiment"].other_messages == {"pt": 3}
    assert "pt" in coverage["failure_cues"].languages
    records = {r.message_id: r.language for r in results.message_index}
    assert records["pt-m0"] == "pt" and records["en-m0"] == "en"
    # The section survives the results store.
    assert decode_results(encode_results(results)).languages == languages


def test_japanese_conversation_is_marked_not_scored_and_its_complaint_found() -> None:
    results = analyze(Corpus(conversations=[JAPANESE]), EngineOptions())
    assert results.sentiment is not None and results.languages is not None
    assert results.sentiment.messages == 0
    assert results.sentiment.not_scored_by_language == {"ja": 3}
    assert results.sentiment.coverage == 0.0
    assert results.languages.conversations == {"ja": 1}
    assert results.quality is not None
    findings = results.quality.failures.findings
    # "まだ動きません" after the answer, conceded by the next one: a complaint, in Japanese.
    assert [f.message_id for f in findings if f.evidence == "user_complaint"] == ["ja-m1"]
    assert results.quality.conversations[0].task_completion == "completed"


def test_other_languages_fall_back_to_language_independent_signals() -> None:
    # Dutch has no cue file: "still doesn't work" in Dutch is not read, the pasted
    # error output after the assistant's code still is.
    dutch = conversation(
        "nl",
        ("user", "Hoe lees ik een JSON-bestand in met Python en print ik de poort?"),
        ("assistant", "```python\nimport json\ncfg = json.load('config.json')\n```"),
        ("user", "Het werkt nog steeds niet.\nAttributeError: 'str' object has no attribute"),
        ("assistant", "Gebruik `with open(...) as f`."),
    )
    results = analyze(Corpus(conversations=[dutch]), EngineOptions())
    assert results.languages is not None and results.quality is not None
    assert results.languages.messages == {"nl": 2}
    coverage = {c.analysis: c for c in results.languages.coverage}
    assert coverage["failure_cues"].other_messages == {"nl": 2}
    kinds = {s.kind for f in results.quality.failures.findings for s in f.signals}
    assert kinds == {"error_after_code"}


def test_multilingual_set_meets_the_targets_in_every_language() -> None:
    rows = [row for path in sorted(MULTILINGUAL.glob("*.jsonl")) for row in load_rows(path)]
    assert {row.lang for row in rows} == {"es", "pt", "fr", "de", "it", "ja", "zh", "ko", "ru"}
    report = evaluate(rows)
    for lang, score in report.complaint_by_language.items():
        assert score.recall >= 0.8 and score.precision >= 0.9, lang
    for lang, (strong, total) in report.neutral_strong_by_language.items():
        assert total == 0 or strong / total <= 0.05, lang
    # No language without a lexicon is scored: at most the odd mis-detected turn.
    for lang, (unscored, total) in report.not_scored_by_language.items():
        assert unscored >= total - 1, lang
