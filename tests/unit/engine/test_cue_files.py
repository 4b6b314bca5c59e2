"""The cue files are reviewed like code: every example matches its section, no
counter-example does, and every pattern compiles."""

import pytest

from convoscope_analyzer.engine.cues import (
    CueFileError,
    build_cue_book,
    compile_cues,
    cue_file_paths,
    cue_requirements,
    default_cues,
    literal_prefixes,
    meets_requirements,
    parse_cue_file,
)


def _sections():
    for path in cue_file_paths():
        data = parse_cue_file(path.name, path.read_text(encoding="utf-8"))
        raw = data["language"] == "*" or data.get("word_boundaries") is False
        for key, value in data.items():
            if not isinstance(value, dict):
                continue
            if key == "complaint":
                for type_, rule in value.items():
                    yield f"{path.name} complaint.{type_}", rule, raw
            elif "cues" in value:
                yield f"{path.name} {key}", value, raw


SECTIONS = list(_sections())


def test_every_language_file_is_loaded() -> None:
    expected = {"en", "fr", "pt", "es", "de", "it", "ja", "zh", "ko", "ru", "*"}
    assert expected <= set(default_cues().languages)
    assert len(SECTIONS) > 40


@pytest.mark.parametrize(("where", "section", "raw"), SECTIONS, ids=[s[0] for s in SECTIONS])
def test_examples_match_and_counter_examples_do_not(where, section, raw) -> None:
    pattern = compile_cues(section["cues"], raw=raw)
    gate = literal_prefixes(section["cues"], raw=raw) or section.get("gate")
    requirements = cue_requirements(section["cues"], raw=raw)
    assert section.get("examples"), f"{where} has no examples"
    for example in section["examples"]:
        assert pattern.search(example), f"{where}: example not matched: {example!r}"
        # The prefix test that skips the regex must never skip a match.
        haystack = example if raw else example.lower()
        assert gate is None or any(p in haystack for p in gate), f"{where}: gate skips {example!r}"
        assert requirements is None or meets_requirements(requirements, haystack), (
            f"{where}: skips {example!r}"
        )
    for counter in section.get("counter_examples", []):
        assert not pattern.search(counter), f"{where}: counter-example matched: {counter!r}"


def test_a_bad_pattern_names_its_file_and_section() -> None:
    bad = 'language = "xx"\n[refusal]\ncues = ["(unclosed"]\n'
    with pytest.raises(CueFileError, match=r"xx.toml \[refusal\]"):
        build_cue_book([("xx.toml", bad)], None)


def test_a_file_without_language_is_refused() -> None:
    with pytest.raises(CueFileError, match="missing 'language'"):
        build_cue_book([("yy.toml", "[refusal]\ncues = []\n")], None)


@pytest.mark.parametrize(
    ("type_", "severity", "unknown"),
    [("hallucination", "fatal", "'fatal'"), ("rudeness", "high", "'rudeness'")],
)
def test_a_complaint_of_an_unknown_type_or_severity_is_refused(
    type_: str, severity: str, unknown: str
) -> None:
    text = (
        f'language = "zz"\n[complaint.{type_}]\nseverity = "{severity}"\ncues = ["made that up"]\n'
    )
    with pytest.raises(CueFileError, match=f"zz.toml: complaint.{type_}: unknown {unknown}"):
        build_cue_book([("zz.toml", text)], None)


def test_languages_can_be_selected() -> None:
    book = default_cues(("fr",))
    assert set(book.languages) == {"*", "fr"}
    assert book.section("refusal").search("je ne peux pas vous aider")
    assert book.section("refusal").search("I can't help with that") is None


def test_the_gate_is_the_longest_mandatory_literal_part() -> None:
    # "still" must occur in every match; the optional start adds nothing.
    assert literal_prefixes([r"(?:the \w+|it)(?:'s| is)? still"]) == (" still",)
    assert set(literal_prefixes(["(?:stop |quit )?making it up"]) or ()) == {"making it up"}
    # re's parser factors "can" out of the branch: "i can" is as long as " help".
    assert set(literal_prefixes(["i (?:can't|cannot) help"]) or ()) == {"i can"}
    assert literal_prefixes([r"\w+ failed", "x?"]) is None
    assert literal_prefixes(["Sorry", "sorry about"]) == ("sorry",)


def test_every_literal_part_of_a_cue_is_required() -> None:
    # "at " alone is in most sentences; a cue needs all of its parts.
    assert cue_requirements([r"at \w+ line \d+:"]) == (((" line ",), ("at ",), (":",)),)
    reqs = cue_requirements([r"(?:it|this) (?:doesn't|does not) work", "oops"])
    assert reqs is not None
    assert meets_requirements(reqs, "this does not work") and meets_requirements(reqs, "oops")
    assert not meets_requirements(reqs, "it works") and not meets_requirements(reqs, "does not")
    assert cue_requirements([r"\w+ failed", "x?"]) is None
