"""ConvoScope exporter: CSV, XLSX, PDF and HTML reports with charts.

Pure rendering core (no NATS, no asyncio, no file I/O):

* :mod:`.filtering` - ``ExportFilter``, ``parse_filter``, ``apply_filter`` (which
  aggregates are recomputed is documented there);
* :mod:`.restrict` - each results section limited to a filtered corpus, its totals
  recomputed by the shared aggregates (:mod:`convoscope_common.aggregates`);
* :mod:`.manifest` - ``ExportManifest`` and ``build_manifest``;
* :mod:`.tables` - the tidy tables behind CSV and XLSX, and the data dictionary;
* :mod:`.charts` - chart data from results, drawn as inline SVG or reportlab graphics;
* :mod:`.render` - ``render_export(fmt, results, corpus, manifest=...)`` and one module
  per format;
* :mod:`.pipeline` - ``prepare_export(...)``: filter and manifest, then one format at a
  time with ``PreparedExport.render``; :mod:`.parallel` renders the formats at once.
"""
