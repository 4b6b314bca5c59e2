"""The pure analysis engine: a (redacted) corpus in, typed results out.

No NATS, no asyncio, no file I/O here except :func:`load_taxonomy`, which
reads a taxonomy file the caller names.
"""

from convoscope_analyzer.engine.drilldown import DrilldownQuery, DrilldownResult, drilldown
from convoscope_analyzer.engine.encoded_index import JoinedIndex
from convoscope_analyzer.engine.errors import (
    EngineError,
    InvalidDrilldownQueryError,
    InvalidTimezoneError,
    TaxonomyError,
)
from convoscope_analyzer.engine.options import (
    Checkpoint,
    EngineOptions,
    ProgressCallback,
    ProgressUpdate,
)
from convoscope_analyzer.engine.pipeline import analyze, analyze_encoded, warm_up
from convoscope_analyzer.engine.taxonomy import (
    Taxonomy,
    TaxonomyCategory,
    default_taxonomy,
    load_taxonomy,
    merge_taxonomies,
    parse_taxonomy,
)

__all__ = [
    "Checkpoint",
    "DrilldownQuery",
    "DrilldownResult",
    "EngineError",
    "EngineOptions",
    "InvalidDrilldownQueryError",
    "InvalidTimezoneError",
    "JoinedIndex",
    "ProgressCallback",
    "ProgressUpdate",
    "Taxonomy",
    "TaxonomyCategory",
    "TaxonomyError",
    "analyze",
    "analyze_encoded",
    "default_taxonomy",
    "drilldown",
    "load_taxonomy",
    "merge_taxonomies",
    "parse_taxonomy",
    "warm_up",
]
