"""Issue 19: topics read each conversation in its language; learned topics never mix
two languages."""

from __future__ import annotations

import pytest

from convoscope_analyzer.engine import EngineOptions, analyze
from convoscope_analyzer.engine.errors import TaxonomyError
from convoscope_analyzer.engine.taxonomy import parse_taxonomy
from convoscope_analyzer.engine.words import stop_words, words
from convoscope_common.corpus import Corpus

from .conftest import conversation


def _topics_of(results, cid: str) -> list[str]:
    return next(a for a in results.topics.assignments if a.conversation_id == cid).topics


def test_words_segment_scripts_without_spaces() -> None:
    assert "数据库" in words("请帮我优化这个数据库查询", "zh")
    assert "データベース" in words("データベースの設定を教えてください", "ja")
    assert "데이터베이스" in words("데이터베이스에서 쿼리가 느려요", "ko")  # particle stripped
    assert "código" in words("o código não compila", "pt")
    assert "no" in stop_words("pt") and "the" in stop_words("en")


@pytest.mark.parametrize(
    ("cid", "text", "topic"),
    [
        ("pt", "como faço uma planilha com fórmula de média por coluna no banco de dados", "data"),
        ("ja", "住宅ローンの金利と所得税について教えてください。投資も考えています", "finance"),
        ("zh", "给我一个不用鸡蛋的蛋糕食谱，晚餐也想做点菜谱里的菜", "cooking"),
        ("de", "Gib mir ein Rezept für Kartoffelsalat zum Abendessen, welche Zutaten?", "cooking"),
    ],
)
def test_taxonomy_keywords_in_the_conversation_language(cid: str, text: str, topic: str) -> None:
    corpus = Corpus(conversations=[conversation(cid, ("user", text), ("assistant", "..."))])
    results = analyze(corpus, EngineOptions())
    assert next(s.topic_id for s in _topics_of(results, cid)) == topic


def test_learned_topics_are_fitted_per_language() -> None:
    english = [
        conversation(f"en{i}", ("user", text), ("assistant", "ok"))
        for i, text in enumerate(
            [
                "How do I group a pandas dataframe and aggregate two columns?",
                "How can I merge two pandas dataframes on a shared column in Python?",
                "Why does my docker compose container not see the network volume?",
                "How do I speed up the docker image build with cache layers?",
                "What is the best way to pivot a pandas dataframe in Python?",
                "My docker volume mount gives permission denied inside the container",
            ]
        )
    ]
    portuguese = [
        conversation(f"pt{i}", ("user", text), ("assistant", "ok"))
        for i, text in enumerate(
            [
                "como faço uma receita de bolo de cenoura com cobertura de chocolate?",
                "preciso de uma receita de bolo de fubá para o café da tarde",
                "me ajuda a montar uma planilha de orçamento com os gastos do mês",
                "quero uma receita de bolo de chocolate que seja fácil e sem batedeira",
                "você pode revisar a planilha de orçamento e os gastos da casa?",
                "como faço um gráfico na planilha de gastos do orçamento mensal?",
            ]
        )
    ]
    results = analyze(Corpus(conversations=english + portuguese), EngineOptions())
    assert results.topics is not None
    learned = results.topics.learned
    assert {t.language for t in learned} == {"en", "pt"}
    ids = [t.id for t in learned]
    assert len(ids) == len(set(ids))
    for topic in learned:
        members = {cid[:2] for cid in topic.conversation_ids}
        assert members == {topic.language}  # no topic mixes the two languages
    pt_terms = {term for t in learned if t.language == "pt" for term in t.top_terms}
    assert pt_terms & {"receita", "bolo", "planilha", "orçamento", "gastos"}
    assert not pt_terms & stop_words("pt")


def test_one_character_cjk_keyword_is_refused() -> None:
    data = {
        "categories": [{"id": "x", "label": "X", "keywords": ["x"], "translations": {"zh": ["钱"]}}]
    }
    with pytest.raises(TaxonomyError, match="one character"):
        parse_taxonomy(data)
