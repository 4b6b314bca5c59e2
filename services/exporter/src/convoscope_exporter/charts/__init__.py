"""Chart data (derived from results) and its two drawings: inline SVG and reportlab."""
