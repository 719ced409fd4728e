"""The measurement engine: one timing code path over onnxruntime-genai for every execution provider."""
