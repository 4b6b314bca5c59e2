"""Print the JSON Schema of the analysis results.

python -m convoscope_analyzer.engine.schema > docs/results-schema.json
"""

from __future__ import annotations

import json

from convoscope_analyzer.engine.drilldown import DrilldownQuery, DrilldownResult
from convoscope_common.results import RESULTS_SCHEMA_VERSION, AnalysisResults
from convoscope_common.schemas import schema_components


def results_schema() -> dict[str, object]:
    """The JSON Schema of :class:`AnalysisResults` plus the drill-down types."""
    schemas, components = schema_components(
        [AnalysisResults, DrilldownQuery, DrilldownResult], ref_template="#/$defs/{name}"
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://convoscope.local/schemas/results-v{RESULTS_SCHEMA_VERSION}.json",
        "title": "ConvoScope analysis results",
        "x-results-schema-version": RESULTS_SCHEMA_VERSION,
        "$ref": schemas[0]["$ref"],
        "$defs": components,
    }


def render_schema() -> str:
    """The schema as stable, indented JSON text (what docs/results-schema.json holds)."""
    return json.dumps(results_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write the schema to stdout."""
    print(render_schema(), end="")


if __name__ == "__main__":
    main()
