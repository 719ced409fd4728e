"""``bench ab``: two sides measured interleaved on one machine, each in its own worker process (a new
pair per round unless ``--keep-workers``).

``protocol`` (the JSON-lines messages), ``worker`` (the process that loads a side's models once and
measures points on request through the runner's own per-point code), ``client`` (starting and talking to
a worker under a side's Python), ``sides`` (what a side overrides), ``rounds`` (the A B B A schedule, the
merge of per-round points into ordinary result files, the interruption-safe loop).
"""
