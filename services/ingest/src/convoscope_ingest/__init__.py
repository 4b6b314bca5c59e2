"""ConvoScope ingest: validates and parses uploads into the normalised corpus."""
