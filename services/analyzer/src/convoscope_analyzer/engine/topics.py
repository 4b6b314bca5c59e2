"""Topics: taxonomy keyword classification plus topics learned with TF-IDF + NMF.

Both read a conversation in its dominant language (engine/words.py: segmentation and
stop words per language; the taxonomy's keywords in that language plus the English
ones, which name technical things in every language). Learned topics are fitted per
language, so no topic mixes words of two languages.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from convoscope_analyzer.engine.prepared import PreparedConversation
from convoscope_analyzer.engine.progress import ProgressTracker
from convoscope_analyzer.engine.taxonomy import Taxonomy
from convoscope_analyzer.engine.words import CJK, stop_words, words
from convoscope_common.aggregates.sections import topic_monthly, topic_share
from convoscope_common.results import ConversationTopics, Topic, Topics, TopicScore

# A category is assigned when its keyword hits reach this many, or it is the top one.
MIN_HITS = 2
# ...and it holds at least this share of the conversation's keyword hits.
MIN_TAXONOMY_SHARE = 0.2
# Fewer non-empty conversations than this: no learned topics (NMF needs data).
MIN_DOCS_FOR_LEARNED = 5
MAX_LEARNED_TOPICS = 10
MIN_LEARNED_SHARE = 0.3
TOP_TERMS = 8
LABEL_TERMS = 3
NMF_ROUND = 30
NMF_MAX_ROUNDS = 10

# Redaction placeholders ("<EMAIL_ADDRESS>", "[PERSON]") are not topic words.
_PLACEHOLDER = re.compile(r"<[A-Z_]+>|\[[A-Z_]+\]")
_CHAT_STOP_WORDS = frozenset(
    "thanks thank please like want need just know help make use does did don ll ve hi "
    "hello can could would should also really sure okay ok yes let actually maybe "
    "something think way thing things going get got good great way using used one "
    # Conversational verbs and adjectives that say nothing about a subject (topic names).
    "tell happened turned come kind important step steps check small reasonable people ask "
    "explain hold recent moving result results trying tried wondering mean means".split()
)


@dataclass(slots=True)
class _Document:
    conversation: PreparedConversation
    text: str


def _user_text(item: PreparedConversation) -> str:
    parts = [item.conversation.title or ""]
    parts.extend(pm.message.text for pm in item.messages if pm.message.role == "user")
    return "\n".join(p for p in parts if p)


def _taxonomy_scores(
    text: str, taxonomy: Taxonomy, language: str | None = None
) -> list[TopicScore]:
    toks = words(text, None)  # the English keywords (technical words in any language)
    counts = Counter(toks)
    joined = " " + " ".join(toks) + " "
    own = words(text, language) if language not in (None, "en") else []
    own_counts = Counter(own)
    own_joined = " " + " ".join(own) + " "
    lowered = text.lower() if language in CJK else ""
    hits: dict[str, int] = {}
    for category in taxonomy.categories:
        n = 0
        for keyword in category.keywords:
            n += joined.count(f" {keyword} ") if " " in keyword else counts.get(keyword, 0)
        for keyword in category.translations.get(language or "en", ()):
            if language in CJK:  # no spaces between words: count the keyword itself
                n += lowered.count(keyword)
            elif " " in keyword:
                n += own_joined.count(f" {keyword} ")
            else:
                n += own_counts.get(keyword, 0)
        if n:
            hits[category.id] = n
    total = sum(hits.values())
    if not total:
        return []
    ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    scores = []
    for rank, (topic_id, n) in enumerate(ranked):
        share = n / total
        if rank == 0 or (n >= MIN_HITS and share >= MIN_TAXONOMY_SHARE):
            scores.append(TopicScore(topic_id=topic_id, score=round(share, 4)))
    return scores


def _fit_nmf(matrix: Any, k: int, pulse: Callable[[], None]) -> tuple[Any, Any]:
    """NMF in rounds of ``NMF_ROUND`` iterations (warm-started), so a large fit can
    report progress and be cancelled between rounds. Returns (W, H)."""
    from sklearn.decomposition import NMF

    nmf = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=NMF_ROUND)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: we iterate on purpose
        weights = nmf.fit_transform(matrix)
        components = nmf.components_
        for _ in range(NMF_MAX_ROUNDS - 1):
            if nmf.n_iter_ < NMF_ROUND:
                break  # converged
            pulse()
            nmf = NMF(n_components=k, init="custom", random_state=0, max_iter=NMF_ROUND)
            weights = nmf.fit_transform(matrix, W=weights, H=components)
            components = nmf.components_
    return weights, components


def distinctive_terms(components: Any, topic: int, terms: Any, n: int) -> list[str]:
    """The ``n`` terms that best tell ``topic`` apart: weight in the topic times the share of
    the term's weight that this topic holds (frequent-everywhere words rank low)."""
    weights = components[topic]
    exclusivity = weights / (components.sum(axis=0) + 1e-12)
    score = weights * exclusivity
    order = [int(i) for i in score.argsort()[::-1] if weights[i] > 0]
    chosen: list[str] = []
    stems: set[str] = set()
    for i in order:
        term = str(terms[i])
        stem = term[:-1] if term.endswith("s") and len(term) > 3 else term
        if stem in stems:  # "recipe" and "recipes" name one thing
            continue
        chosen.append(term)
        stems.add(stem)
        if len(chosen) == n:
            break
    return chosen


def topic_name(terms: list[str]) -> str:
    """Terms joined as a reader would say them, lower case: "soil, compost and seedlings"."""
    words = [t.lower() for t in terms[:LABEL_TERMS]]
    if len(words) < 3:
        return " and ".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _learned_topics(
    docs: list[_Document], pulse: Callable[[], None]
) -> tuple[list[Topic], dict[str, list[TopicScore]]]:
    """NMF topics fitted per dominant language (each language with enough
    conversations), numbered across languages, the largest first."""
    groups: dict[str | None, list[_Document]] = {}
    for doc in docs:
        groups.setdefault(doc.conversation.language, []).append(doc)
    topics: list[Topic] = []
    assignments: dict[str, list[TopicScore]] = {}
    for language, group in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        found, scores = _learned_for_language(group, language, len(topics), pulse)
        topics.extend(found)
        for cid, items in scores.items():
            assignments.setdefault(cid, []).extend(items)
    return topics, assignments


def _vectorizer(language: str | None, n_docs: int) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    common = {
        "max_df": 0.7,
        "min_df": 2 if n_docs >= 10 else 1,
        "max_features": 5000,
        "sublinear_tf": True,
    }
    if language is None or language == "en":
        return TfidfVectorizer(
            stop_words=sorted(stop_words(None) | _CHAT_STOP_WORDS),
            token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z]{2,}\b",
            **common,
        )
    # English words in other languages' chats are mostly code and product names; keep
    # them but drop English stop words too.
    stop = stop_words(language) | stop_words(None) | _CHAT_STOP_WORDS
    min_length = 2 if language in CJK or language == "ko" else 3

    def analyzer(text: str) -> list[str]:
        return [w for w in words(text, language) if len(w) >= min_length and w not in stop]

    return TfidfVectorizer(analyzer=analyzer, **common)


def _learned_for_language(
    docs: list[_Document], language: str | None, offset: int, pulse: Callable[[], None]
) -> tuple[list[Topic], dict[str, list[TopicScore]]]:
    """NMF topics over user text of one language; empty when too few or too uniform."""
    if len(docs) < MIN_DOCS_FOR_LEARNED:
        return [], {}
    vectorizer = _vectorizer(language, len(docs))
    try:
        matrix = vectorizer.fit_transform(_PLACEHOLDER.sub(" ", d.text) for d in docs)
    except ValueError:  # empty vocabulary
        return [], {}
    n_docs, n_terms = matrix.shape
    k = min(MAX_LEARNED_TOPICS, max(2, round(math.sqrt(n_docs / 2))), n_docs - 1, n_terms)
    if k < 2:
        return [], {}
    pulse()
    weights, components = _fit_nmf(matrix, k, pulse)
    terms = vectorizer.get_feature_names_out()
    members: list[list[tuple[int, float]]] = [[] for _ in range(k)]
    for row, doc_weights in enumerate(weights):
        total = float(doc_weights.sum())
        if total <= 0:
            continue
        best = int(doc_weights.argmax())
        for topic in range(k):
            share = float(doc_weights[topic]) / total
            if topic == best or share >= MIN_LEARNED_SHARE:
                members[topic].append((row, share))
    order = sorted(range(k), key=lambda t: (-len(members[t]), t))
    topics: list[Topic] = []
    assignments: dict[str, list[TopicScore]] = {}
    for topic in order:
        if not members[topic]:
            continue
        topic_id = f"learned-{offset + len(topics) + 1}"
        top = distinctive_terms(components, topic, terms, TOP_TERMS)
        # The member that leans most on this topic; its (already redacted) title is the
        # topic's example.
        example_row = max(members[topic], key=lambda m: (m[1], -m[0]))[0]
        monthly: Counter[str] = Counter()
        ids = []
        for row, share in members[topic]:
            item = docs[row].conversation
            ids.append(item.id)
            if item.month:
                monthly[item.month] += 1
            assignments.setdefault(item.id, []).append(
                TopicScore(topic_id=topic_id, score=round(share, 4))
            )
        topics.append(
            Topic(
                id=topic_id,
                label=topic_name(top),
                kind="learned",
                language=language,
                top_terms=top,
                example_title=docs[example_row].conversation.conversation.title or "",
                conversations=len(ids),
                monthly=dict(sorted(monthly.items())),
                conversation_ids=ids,
            )
        )
    return topics, assignments


def analyze_topics(
    conversations: list[PreparedConversation], taxonomy: Taxonomy, tracker: ProgressTracker
) -> Topics:
    """Classify every non-empty conversation; share is over non-empty conversations."""
    docs: list[_Document] = []
    taxonomy_scores: dict[str, list[TopicScore]] = {}
    for item in conversations:
        tracker.tick()
        if not item.messages:
            continue
        text = _user_text(item)
        docs.append(_Document(conversation=item, text=text))
        taxonomy_scores[item.id] = _taxonomy_scores(text, taxonomy, item.language)
    learned, learned_scores = _learned_topics(docs, tracker.pulse)
    analysed = len(docs)
    months = {d.conversation.id: d.conversation.month for d in docs}
    taxonomy_topics = []
    for category in taxonomy.categories:
        ids = [
            cid
            for cid, scores in taxonomy_scores.items()
            if any(s.topic_id == category.id for s in scores)
        ]
        taxonomy_topics.append(
            Topic(
                id=category.id,
                label=category.label,
                kind="taxonomy",
                top_terms=list(category.keywords[:TOP_TERMS]),
                conversations=len(ids),
                share=topic_share(len(ids), analysed),
                monthly=topic_monthly(ids, months),
                conversation_ids=ids,
            )
        )
    for topic in learned:
        topic.share = topic_share(topic.conversations, analysed)
    assignments = [
        ConversationTopics(
            conversation_id=d.conversation.id,
            topics=taxonomy_scores[d.conversation.id] + learned_scores.get(d.conversation.id, []),
        )
        for d in docs
    ]
    return Topics(taxonomy=taxonomy_topics, learned=learned, assignments=assignments)


def warm_up() -> None:
    """Import scikit-learn ahead of the first job (about 2 s on a cold start)."""
    import sklearn.decomposition
    import sklearn.feature_extraction.text  # noqa: F401
