"""ConvoScope analyzer: the analysis engine and the worker that runs jobs."""
