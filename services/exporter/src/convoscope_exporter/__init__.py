"""ConvoScope exporter: CSV, XLSX, PDF and HTML reports with charts."""
