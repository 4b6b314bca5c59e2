"""One module per family of entity types; each exposes ``find_*(text) -> list[Detection]``."""
