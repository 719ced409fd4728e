from __future__ import annotations

import pytest

from bench.models.identity import ModelIdentity, QuantizationFacts
from bench.telemetry.api import PointShape
from tests.fakes.documents import twin_identity
from tests.telemetry.fake_nvml import FakeGpu, FakeNvml


@pytest.fixture
def gpu() -> FakeGpu:
    return FakeGpu()


@pytest.fixture
def fake_nvml(gpu: FakeGpu) -> FakeNvml:
    return FakeNvml([gpu])


@pytest.fixture
def model() -> ModelIdentity:
    """A tiny twin with known quantization facts: 2 layers × 2 KV heads × 64 dims, fp16 KV."""
    return twin_identity().model_copy(
        update={
            "quantization": QuantizationFacts(
                bits=4,
                block_size=32,
                symmetric=True,
                matmul_weight_bytes=6_000_000_000,
                embedding_bytes=0,
                weights_by_dtype={"int4 (MatMulNBits)": 5_250_000_000, "float16": 750_000_000},
                kv_dtype="float16",
                kv_dtype_bytes=2,
            )
        }
    )


@pytest.fixture
def shape() -> PointShape:
    return PointShape(prompt_tokens=128, batch_size=2, output_tokens=64)
