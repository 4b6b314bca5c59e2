"""Topics: taxonomy keyword classification plus topics learned with TF-IDF + NMF.

Both read a conversation in its dominant language (engine/words.py: segmentation and
stop words per language; the taxonomy's keywords in that language plus the English
ones, which name technical things in every language). Learned topics are fitted per
language on a bounded sample (engine/learned.py), so no topic mixes words of two
languages.

A run of conversations yields :class:`TopicRows` (per-conversation scores, no totals);
:func:`topics_from_rows` turns the rows of every run, in corpus order, into the section.
"""

from __future__ import annotations

import msgspec

from convoscope_analyzer.engine.learned import (
    LearnedModel,
    LearnedRow,
    counts_matrix,
    distinctive_terms,
    fit_learned,
    learned_topics,
    rows_from_matrix,
    sample_positions,
    term_counts,
    topic_name,
    transform,
)
from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_analyzer.engine.taxonomy_scores import taxonomy_scores
from convoscope_common.aggregates.sections import topic_monthly, topic_share
from convoscope_common.corpus import Conversation
from convoscope_common.results import ConversationTopics, Topic, Topics, TopicScore

__all__ = [
    "LearnedInput",
    "TopicRows",
    "analyze_topics",
    "apply_learned",
    "distinctive_terms",
    "learned_documents",
    "topic_name",
    "topic_rows",
    "topics_from_rows",
]

TOP_TERMS = 8


def _user_text(item: PreparedConversation) -> str:
    return user_text(item.conversation)


def user_text(conversation: Conversation) -> str:
    """The title and user messages of a conversation: what its topics are read from."""
    parts = [conversation.title or ""]
    parts.extend(m.text for m in conversation.messages if m.role == "user")
    return "\n".join(p for p in parts if p)


class LearnedInput(msgspec.Struct, array_like=True):
    """What a conversation's learned topics are read from, whatever the model: its
    position, id, month, title, language and the counted terms of its user text."""

    position: int
    conversation_id: str
    month: str | None
    title: str
    language: str | None
    terms: dict[str, int]


class TopicRows(msgspec.Struct, kw_only=True):
    """Topic scores of a run of conversations (non-empty ones, in corpus order).

    ``deferred`` holds the learned-topic input of every non-empty conversation when
    the rows were made without a model; :func:`apply_learned` turns it into ``learned``.
    """

    ids: list[str] = []
    months: list[str | None] = []
    taxonomy: list[list[TopicScore]] = []
    learned: list[LearnedRow] = []
    deferred: list[LearnedInput] = []


def learned_documents(conversations: list[PreparedConversation]) -> list[tuple[str | None, str]]:
    """(language, user text) of an evenly spread sample of the non-empty conversations:
    what the learned topics are fitted on."""
    docs = [item for item in conversations if item.messages]
    return [(docs[i].language, _user_text(docs[i])) for i in sample_positions(len(docs))]


def topic_rows(
    conversations: list[PreparedConversation],
    taxonomy: Taxonomy,
    learned: LearnedModel | None,
    tracker: ProgressTracker,
    start: int = 0,
) -> TopicRows:
    """Taxonomy scores and learned-topic rows of every non-empty conversation;
    ``start`` is the position of the first one in the corpus. Without a model
    (``learned`` None) the learned rows are deferred (see :class:`TopicRows`)."""
    rows = TopicRows()
    pending: dict[int, list[tuple[int, str, str | None, str, str]]] = {}
    for position, item in enumerate(conversations, start):
        tracker.tick()
        if not item.messages:
            continue
        text = _user_text(item)
        rows.ids.append(item.id)
        rows.months.append(item.month)
        rows.taxonomy.append(taxonomy_scores(text, taxonomy, item.language))
        if learned is None:
            title = item.conversation.title or ""
            terms = term_counts(item.language, text)
            rows.deferred.append(
                LearnedInput(position, item.id, item.month, title, item.language, terms)
            )
            continue
        index = learned.index_of(item.language)
        if index is not None:
            title = item.conversation.title or ""
            pending.setdefault(index, []).append((position, item.id, item.month, title, text))
    for index in sorted(pending):
        assert learned is not None  # pending only with a model
        tracker.pulse()
        rows.learned.extend(transform(learned, index, pending[index]))
    rows.learned.sort(key=lambda row: row.position)
    return rows


def apply_learned(rows: TopicRows, learned: LearnedModel) -> None:
    """Read the deferred conversations of ``rows`` with the fitted ``learned`` model:
    the same rows :func:`topic_rows` computes from their texts (the same counts go
    through the same weighting), in position order."""
    if not rows.deferred:
        return
    pending: dict[int, list[LearnedInput]] = {}
    for item in rows.deferred:
        index = learned.index_of(item.language)
        if index is not None:
            pending.setdefault(index, []).append(item)
    found: list[LearnedRow] = list(rows.learned)
    for index in sorted(pending):
        items = pending[index]
        matrix = counts_matrix(learned, index, [item.terms for item in items])
        meta = [(item.position, item.conversation_id, item.month, item.title) for item in items]
        found.extend(rows_from_matrix(learned, index, meta, matrix))
    found.sort(key=lambda row: row.position)
    rows.learned = found
    rows.deferred = []


def topics_from_rows(parts: list[TopicRows], taxonomy: Taxonomy, learned: LearnedModel) -> Topics:
    """The topics section from the rows of consecutive runs; share is over non-empty
    conversations."""
    ids = [cid for part in parts for cid in part.ids]
    months = {
        cid: month for part in parts for cid, month in zip(part.ids, part.months, strict=True)
    }
    scores = [s for part in parts for s in part.taxonomy]
    taxonomy_scores = dict(zip(ids, scores, strict=True))
    learned_list, learned_scores = learned_topics(learned, [r for p in parts for r in p.learned])
    analysed = len(ids)
    # Each category's conversations in corpus order, in one pass over the scores.
    by_category: dict[str, list[str]] = {category.id: [] for category in taxonomy.categories}
    for cid, found in taxonomy_scores.items():
        for topic_id in {s.topic_id for s in found}:
            listed = by_category.get(topic_id)
            if listed is not None:
                listed.append(cid)
    taxonomy_topics = []
    for category in taxonomy.categories:
        members = by_category[category.id]
        taxonomy_topics.append(
            Topic(
                id=category.id,
                label=category.label,
                kind="taxonomy",
                top_terms=list(category.keywords[:TOP_TERMS]),
                conversations=len(members),
                share=topic_share(len(members), analysed),
                monthly=topic_monthly(members, months),
                conversation_ids=members,
            )
        )
    for topic in learned_list:
        topic.share = topic_share(topic.conversations, analysed)
    assignments = [
        ConversationTopics(
            conversation_id=cid, topics=taxonomy_scores[cid] + learned_scores.get(cid, [])
        )
        for cid in ids
    ]
    return Topics(taxonomy=taxonomy_topics, learned=learned_list, assignments=assignments)


def analyze_topics(
    conversations: list[PreparedConversation], taxonomy: Taxonomy, tracker: ProgressTracker
) -> Topics:
    """Classify every non-empty conversation of one corpus (learned topics fitted on its
    sample here)."""
    learned = fit_learned(learned_documents(conversations), tracker.pulse)
    rows = topic_rows(conversations, taxonomy, learned, tracker)
    return topics_from_rows([rows], taxonomy, learned)


def warm_up() -> None:
    """Load the stop words every shard's term reading uses ahead of the first job.
    scikit-learn and SciPy are not loaded: a shard reads terms without them
    (``learned.term_counts``), and the topic models are fitted and read where the
    caller says (``engine/topic_models.py``)."""
    term_counts(None, "")
