"""ConvoScope ingest: validates and parses uploads into the normalised corpus.

Entry point: :func:`convoscope_ingest.parsing.parse_export` (bytes in, corpus and file
metadata out); every rejection is a :class:`convoscope_ingest.errors.IngestError`.
"""
