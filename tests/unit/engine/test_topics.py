import json

import pytest

from convoscope_analyzer.engine import (
    EngineOptions,
    TaxonomyError,
    analyze,
    default_taxonomy,
    load_taxonomy,
)
from convoscope_analyzer.engine.topics import distinctive_terms, topic_name

CODING = "My python function throws an exception; how do I debug this bug in the script?"
COOKING = "Give me a recipe for pasta sauce with garlic and onion, and how long to simmer it."


def _assigned(results) -> dict[str, list[str]]:
    return {a.conversation_id: [t.topic_id for t in a.topics] for a in results.topics.assignments}


def test_obvious_coding_and_cooking(make_conversation, corpus_of) -> None:
    results = analyze(
        corpus_of(
            make_conversation("code", ("user", CODING), ("assistant", "Try this.")),
            make_conversation("food", ("user", COOKING), ("assistant", "Here you go.")),
        ),
        EngineOptions(),
    )
    assigned = _assigned(results)
    assert assigned["code"][0] == "coding"
    assert assigned["food"][0] == "cooking"
    topics = {t.id: t for t in results.topics.taxonomy}
    assert topics["coding"].conversation_ids == ["code"]
    assert topics["coding"].share == 0.5
    assert topics["cooking"].monthly == {"2024-03": 1}
    # Tiny corpus: no learned topics, and no crash.
    assert results.topics.learned == []


def test_learned_topics_on_a_small_corpus(make_conversation, corpus_of) -> None:
    convs = []
    for i in range(8):
        convs.append(
            make_conversation(
                f"k{i}",
                ("user", f"kubernetes cluster pods deployment yaml helm chart {i}"),
                title=f"Cluster question {i}",
            )
        )
        convs.append(
            make_conversation(
                f"g{i}",
                ("user", f"tomato garden soil compost seedlings watering {i}"),
                title=f"Garden question {i}",
            )
        )
    results = analyze(corpus_of(*convs), EngineOptions())
    learned = results.topics.learned
    assert len(learned) >= 2
    groups = [set(t.conversation_ids) for t in learned]
    kube = {f"k{i}" for i in range(8)}
    garden = {f"g{i}" for i in range(8)}
    assert kube in groups and garden in groups
    for topic in learned:
        assert topic.label and topic.top_terms and topic.share == 0.5
        assert topic.monthly == {"2024-03": 8}
        # Named like a topic: lower case, the first three terms joined as a reader says them.
        a, b, c = topic.top_terms[:3]
        assert topic.label == f"{a}, {b} and {c}" and topic.label == topic.label.lower()
        titles = {f"Cluster question {i}" for i in range(8)} | {
            f"Garden question {i}" for i in range(8)
        }
        assert topic.example_title in titles
        assert topic.example_title.split()[0].lower() in ("cluster", "garden")
        assert (topic.example_title.startswith("Cluster")) == ("kubernetes" in topic.top_terms)


def test_topic_terms_are_the_distinctive_ones_not_the_frequent_ones() -> None:
    import numpy as np

    # "plan" is the heaviest term of topic 0 but weighs as much in topic 1; "helm" belongs
    # to topic 0 alone, so it names topic 0 first.
    components = np.array([[5.0, 4.0, 1.0, 0.0], [5.0, 0.0, 3.0, 2.0]])
    terms = np.array(["plan", "helm", "soil", "plans"])
    assert distinctive_terms(components, 0, terms, 2) == ["helm", "plan"]
    # A plural of a chosen term is the same word: "plans" is skipped after "plan".
    assert distinctive_terms(components, 1, terms, 3) == ["plan", "soil"]
    assert topic_name(["soil", "compost", "seedlings", "water"]) == "soil, compost and seedlings"
    assert topic_name(["soil", "compost"]) == "soil and compost"


def test_empty_conversations_are_not_classified(corpus_of) -> None:
    from convoscope_common.corpus import Conversation

    results = analyze(corpus_of(Conversation(id="e")), EngineOptions())
    assert results.topics.assignments == []
    assert all(t.conversations == 0 for t in results.topics.taxonomy)


def test_taxonomy_extend_json(tmp_path, make_conversation, corpus_of) -> None:
    path = tmp_path / "tax.json"
    path.write_text(
        json.dumps(
            {
                "categories": [
                    {"id": "gardening", "label": "Gardening", "keywords": ["compost", "seedlings"]}
                ]
            }
        )
    )
    taxonomy = load_taxonomy(path, mode="extend")
    ids = [c.id for c in taxonomy.categories]
    assert ids[: len(default_taxonomy().categories)] == [
        c.id for c in default_taxonomy().categories
    ]
    assert ids[-1] == "gardening"
    results = analyze(
        corpus_of(make_conversation("g", ("user", "my compost and seedlings"))),
        EngineOptions(taxonomy=taxonomy),
    )
    assert _assigned(results)["g"] == ["gardening"]


def test_taxonomy_replace_toml_and_merge_same_id(tmp_path) -> None:
    path = tmp_path / "tax.toml"
    path.write_text('[[categories]]\nid = "coding"\nlabel = "Programming"\nkeywords = ["Zig"]\n')
    replaced = load_taxonomy(path, mode="replace")
    assert [(c.id, c.label, c.keywords) for c in replaced.categories] == [
        ("coding", "Programming", ("zig",))
    ]
    extended = load_taxonomy(path)
    coding = next(c for c in extended.categories if c.id == "coding")
    assert (
        coding.label == "Programming" and "zig" in coding.keywords and "python" in coding.keywords
    )


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"categories": [{"id": "x", "label": "X", "keywords": []}]}),
        json.dumps({"categories": [{"id": "Bad Id", "label": "X", "keywords": ["a"]}]}),
        json.dumps({"categories": [{"id": "a", "label": "A", "keywords": ["x"]}] * 2}),
        json.dumps({"categories": "nope"}),
    ],
)
def test_bad_taxonomy_files_raise_typed_error(tmp_path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(TaxonomyError):
        load_taxonomy(path)


def test_missing_file_and_bad_mode(tmp_path) -> None:
    with pytest.raises(TaxonomyError):
        load_taxonomy(tmp_path / "missing.json")
    with pytest.raises(TaxonomyError):
        load_taxonomy(tmp_path / "missing.json", mode="merge")  # type: ignore[arg-type]


def test_default_taxonomy_is_general() -> None:
    ids = {c.id for c in default_taxonomy().categories}
    assert {
        "coding",
        "data",
        "writing",
        "learning",
        "health",
        "travel",
        "cooking",
        "finance",
    } <= ids
