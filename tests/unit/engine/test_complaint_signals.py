"""Complaint signals read from the conversation: each kind on its own, and the hard
negatives that look like complaints but are not."""

from convoscope_analyzer.engine.complaints import Turn, is_complaint, turn_signals
from convoscope_analyzer.engine.cues import default_cues
from convoscope_analyzer.engine.sentiment import default_model

CODE = "```python\nprint(load('x'))\n```"


def _kinds(text, answer=CODE, question=None, next_text=None):
    turn = Turn(
        message_id="u",
        text=text,
        answer_id="a",
        answer=answer,
        question=question,
        next_id="n" if next_text is not None else None,
        next_text=next_text,
    )
    signals = turn_signals(default_cues(), turn)
    return {s.kind: s for s in signals}, is_complaint(signals)


def test_error_output_after_code_is_a_complaint_but_not_after_a_request_for_it() -> None:
    kinds, complaint = _kinds("KeyError: 'id'")
    assert complaint and kinds["error_after_code"].cue == "KeyError:"
    _, complaint = _kinds("KeyError: 'id'", answer="Could you paste the error output?")
    assert not complaint
    _, complaint = _kinds("KeyError: 'id'", answer="The capital of France is Paris.")
    assert not complaint


def test_negativity_aimed_at_the_assistant_but_not_at_a_third_party() -> None:
    kinds, complaint = _kinds("you're useless at this")
    assert complaint and kinds["aimed_negativity"].cue == "useless"
    _, complaint = _kinds("My landlord is useless. Can you make the letter firmer?")
    assert not complaint


def test_still_after_a_fix_but_not_still_learning() -> None:
    kinds, complaint = _kinds("it still doesn't appear")
    assert complaint and "still_after_fix" in kinds
    _, complaint = _kinds("I still don't really get it, can you show an example?")
    assert not complaint


def test_the_same_question_again_is_a_reask_but_a_new_question_is_not() -> None:
    question = "How do I convert a string to a date in Java?"
    kinds, complaint = _kinds("how do I convert a String to a Date in java", question=question)
    assert complaint and "reask" in kinds
    _, complaint = _kinds("and how do I convert it back to a string?", question=question)
    assert not complaint


def test_caps_alone_is_weak_but_with_a_conceding_answer_a_complaint() -> None:
    kinds, complaint = _kinds("WHERE DID THE IMAGES GO NOW", answer="Done.")
    assert "caps" in kinds and not complaint
    kinds, complaint = _kinds(
        "WHERE DID THE IMAGES GO NOW", answer="Done.", next_text="Sorry! Revert the src."
    )
    assert complaint and kinds["apology_next"].message_id == "n"


def test_an_apology_is_strong_but_condolences_and_refusals_are_not() -> None:
    kinds, complaint = _kinds("hm", answer="Done.", next_text="You're right, I apologize.")
    assert complaint and kinds["apology_next"].weight == 1.0
    _, complaint = _kinds("she passed", answer="Done.", next_text="I'm so sorry for your loss.")
    assert not complaint
    _, complaint = _kinds("hm", answer="Done.", next_text="I'm sorry, but I can't help with that.")
    assert not complaint


def test_profanity_comes_from_the_package_list_and_kill_is_exempt() -> None:
    kinds, complaint = _kinds("fuck, you never listen")
    assert complaint and kinds["profanity"].weight == 1.0
    kinds, complaint = _kinds("how do I kill the process on port 3000?")
    assert "profanity" not in kinds and not complaint


def test_other_languages_use_their_cue_files() -> None:
    kinds, complaint = _kinds("ça ne marche toujours pas", answer="Ajoute `display: block`.")
    assert complaint and kinds["still_after_fix"].language == "fr"
    kinds, complaint = _kinds("sigue sin funcionar", answer="Cambia el `onSubmit`.")
    assert complaint and kinds["still_after_fix"].language == "es"


def test_technical_words_and_pasted_errors_do_not_make_a_request_negative() -> None:
    model = default_model()
    assert model.compound("How do I kill a process that's listening on port 3000?") == 0.0
    assert model.compound("what's the best way to handle a failed payment") >= 0.0
    trace = 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad'
    assert model.compound(trace) == 0.0
    assert model.compound("This is terrible, awful and useless. I hate it.") <= -0.5


def test_a_finding_explains_itself_in_the_results(make_conversation, corpus_of) -> None:
    from convoscope_analyzer.engine import EngineOptions, analyze

    conv = make_conversation(
        "c",
        ("user", "Write a SQL query for the top customers"),
        ("assistant", "```sql\nSELECT SUM(amount) FROM orders;\n```"),  # c-m1
        ("user", 'ERROR:  column "amount" does not exist'),  # c-m2
        ("assistant", "My mistake, I guessed the column name."),  # c-m3
    )
    quality = analyze(corpus_of(conv), EngineOptions()).quality
    assert quality is not None
    [finding] = quality.failures.findings
    assert (finding.message_id, finding.type, finding.severity) == (
        "c-m1",
        "accuracy_error",
        "high",
    )
    assert (finding.evidence, finding.evidence_message_ids) == ("user_complaint", ["c-m2"])
    signals = {s.kind: s for s in finding.signals}
    assert set(signals) == {"error_after_code", "apology_next"}
    assert (signals["error_after_code"].cue, signals["error_after_code"].message_id) == (
        "ERROR:",
        "c-m2",
    )
    assert (signals["apology_next"].cue, signals["apology_next"].message_id) == (
        "my mistake",
        "c-m3",
    )
    assert signals["apology_next"].language == "en"
