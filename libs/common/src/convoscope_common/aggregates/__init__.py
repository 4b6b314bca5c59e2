"""The corpus-wide aggregates, computed by one piece of code for every caller.

The analyzer's engine computes them over the whole corpus; the exporter computes them
again over the sub-corpus an export filter selects. Both call these functions, so a
filtered export's figures are the engine's own figures on that sub-corpus (rounding,
keys, ranking and the meaning of every count included). Everything here is pure: no
I/O, no state, and no import of either service.

* :mod:`.localtime` - timezones, local times, month and week keys;
* :mod:`.prepared` - the corpus read once with local times and word counts;
* :mod:`.summary` - :class:`~convoscope_common.results.Summary`;
* :mod:`.temporal` - :class:`~convoscope_common.results.Temporal` (with
  :mod:`.changepoints`);
* :mod:`.sections` - sentiment totals, failure and quality totals, topic counts and
  the privacy totals, from the per-item results.
"""
