"""``bench ab``: two sides measured interleaved on one machine, in worker processes (one shared by both
sides when they can; their models loaded anew every round unless ``--load-once``).

``protocol`` (the JSON-lines messages), ``worker`` (the process that loads sides' models and measures
points on request through the runner's own per-point code), ``client`` (starting and talking to a
worker under a side's Python), ``sides`` (what a side overrides), ``startup`` (both sides up and checked
before anything is measured), ``rounds`` (the A B B A schedule, the merge of per-round points into
ordinary result files, the interruption-safe loop).
"""
