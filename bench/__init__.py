"""bench: performance qualification for LLM inference on ONNX Runtime GenAI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bench")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"
