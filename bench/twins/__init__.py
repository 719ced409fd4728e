"""Synthetic twins: onnxruntime-genai model folders with the real architecture and random INT4 weights.

The public entry points live in :mod:`bench.twins.writer` (``write_twin``) and :mod:`bench.twins.cache`
(``ensure_twin``); model references such as ``twin:mistral-nemo-12b:tiny`` are resolved by
:mod:`bench.models.refs`.
"""
