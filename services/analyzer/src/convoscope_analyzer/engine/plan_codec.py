"""An :class:`~.plan.AnalysisPlan` as msgpack bytes, for shards that run in other processes.

The fitted topic models travel as data (vocabulary, inverse document frequencies, topic
matrix, factor), never as pickles: a shard rebuilds the same vectorizer from them, so it
reads every conversation exactly as the process that fitted the plan would.
"""

from __future__ import annotations

import msgspec

from convoscope_analyzer.engine.learned import LanguageModel, LearnedModel, _vectorizer
from convoscope_analyzer.engine.plan import AnalysisPlan


class _ModelData(msgspec.Struct, array_like=True):
    language: str | None
    vocabulary: list[str]  # in column order
    idf: list[float]
    components: list[list[float]]
    factor: list[list[float]]
    top_terms: list[list[str]]


class _PlanData(msgspec.Struct, array_like=True):
    fallback_language: str
    models: list[_ModelData]


def encode_plan(plan: AnalysisPlan) -> bytes:
    """The plan as msgpack (floats are float64: nothing is rounded)."""
    models = []
    for model in plan.learned.models:
        vocabulary = model.vectorizer.vocabulary_
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        models.append(
            _ModelData(
                language=model.language,
                vocabulary=terms,
                idf=[float(x) for x in model.vectorizer.idf_],
                components=model.components.tolist(),
                factor=model.factor.tolist(),
                top_terms=model.top_terms,
            )
        )
    return msgspec.msgpack.encode(
        _PlanData(fallback_language=plan.fallback_language, models=models)
    )


def decode_plan(data: bytes | bytearray) -> AnalysisPlan:
    """A plan written by :func:`encode_plan`."""
    import numpy as np

    raw = msgspec.msgpack.decode(data, type=_PlanData)
    models = []
    for item in raw.models:
        vectorizer = _vectorizer(item.language, 0)
        vectorizer.set_params(vocabulary={term: i for i, term in enumerate(item.vocabulary)})
        vectorizer.idf_ = np.asarray(item.idf, dtype=np.float64)
        models.append(
            LanguageModel(
                language=item.language,
                vectorizer=vectorizer,
                factor=np.asarray(item.factor, dtype=np.float64),
                components=np.asarray(item.components, dtype=np.float64),
                top_terms=item.top_terms,
            )
        )
    return AnalysisPlan(
        fallback_language=raw.fallback_language, learned=LearnedModel(models=models)
    )
