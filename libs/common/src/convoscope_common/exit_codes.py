"""The exit statuses a service ends with on purpose, and what a supervisor reads in them."""

from __future__ import annotations

# The configuration cannot be used: starting the service again would fail again.
CONFIG_ERROR = 2
# The service ended itself to be started afresh (EX_TEMPFAIL): an analyzer replica whose
# memory stayed high after its jobs (``CONVOSCOPE_ANALYZER_RECYCLE_MB``). Not a crash:
# ``make run``'s launcher starts it again at once; compose's restart policy does too.
RECYCLED = 75
