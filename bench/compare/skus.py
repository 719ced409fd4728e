"""GPU SKUs bench has expectations for: public specs, published llama.cpp figures, and name matching.

Pure data. Peak memory bandwidth is data rate × bus width from NVIDIA's architecture whitepapers and
datasheets (e.g. RTX 4090: 21 Gbps × 384 bit / 8 = 1008 GB/s). The llama.cpp figures are
Llama-3-8B Q4_K_M ``tg 512`` / ``pp 512`` (tokens/s) from
github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference (README, "LLaMA 3" tables, May 2024 snapshots).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LLAMA_CPP_SOURCE = "https://github.com/XiongjieDai/GPU-Benchmarks-on-LLM-Inference (README, LLaMA 3 tables)"


@dataclass(frozen=True)
class Sku:
    id: str  # stable key, used in file names: derived-<architecture>-<id>.json
    name: str  # as NVML reports it
    architecture: str
    memory_bandwidth_gb_s: float
    memory_gb: float
    bandwidth_source: str
    pattern: str  # regex over the normalised NVML name (see ``normalise_gpu_name``)
    llama_cpp_tg512: float | None = None  # Llama-3-8B Q4_K_M, tokens/s
    llama_cpp_pp512: float | None = None
    figures_from: str | None = None  # another SKU whose published figures stand in, when none exist

    @property
    def display(self) -> str:
        return self.name.removeprefix("NVIDIA ").removeprefix("GeForce ")


SKUS: tuple[Sku, ...] = (
    Sku(
        "rtx-3070",
        "NVIDIA GeForce RTX 3070",
        "ampere",
        448.0,
        8,
        "14 Gbps GDDR6 × 256 bit (GA104 whitepaper)",
        r"\brtx 3070\b(?! ti)",
        72.79,
        2402.51,
    ),
    Sku(
        "rtx-3090",
        "NVIDIA GeForce RTX 3090",
        "ampere",
        936.0,
        24,
        "19.5 Gbps GDDR6X × 384 bit (GA102 whitepaper)",
        r"\brtx 3090\b(?! ti)",
        115.42,
        4030.40,
    ),
    Sku(
        "a100-40gb",
        "NVIDIA A100-SXM4-40GB",
        "ampere",
        1555.0,
        40,
        "A100 datasheet (40 GB HBM2)",
        r"\ba100\b.*\b40gb\b",
        None,
        None,
        figures_from="a100-80gb",
    ),
    Sku(
        "a100-80gb",
        "NVIDIA A100-SXM4-80GB",
        "ampere",
        2039.0,
        80,
        "A100 datasheet (80 GB HBM2e, SXM)",
        r"\ba100\b.*\bsxm\w*\b.*\b80gb\b",
        135.04,
        5947.64,
    ),
    Sku(
        "a100-pcie-80gb",
        "NVIDIA A100 80GB PCIe",
        "ampere",
        1935.0,
        80,
        "A100 datasheet (80 GB HBM2e, PCIe)",
        r"\ba100\b(?=.*\b80gb\b)(?=.*\bpcie\b)",
        140.62,
        5981.04,
    ),
    Sku(
        "rtx-4070-ti",
        "NVIDIA GeForce RTX 4070 Ti",
        "ada",
        504.0,
        12,
        "21 Gbps GDDR6X × 192 bit (Ada whitepaper)",
        r"\brtx 4070 ti\b(?! super)",
        83.50,
        3936.29,
    ),
    Sku(
        "rtx-4080",
        "NVIDIA GeForce RTX 4080",
        "ada",
        716.8,
        16,
        "22.4 Gbps GDDR6X × 256 bit (Ada whitepaper)",
        r"\brtx 4080\b(?! super)",
        108.15,
        5389.74,
    ),
    Sku(
        "rtx-4090",
        "NVIDIA GeForce RTX 4090",
        "ada",
        1008.0,
        24,
        "21 Gbps GDDR6X × 384 bit (Ada whitepaper)",
        r"\brtx 4090\b(?! d\b)",
        130.58,
        7138.99,
    ),
    Sku(
        "l40s",
        "NVIDIA L40S",
        "ada",
        864.0,
        48,
        "18 Gbps GDDR6 × 384 bit (L40S datasheet)",
        r"\bl40s\b",
        115.55,
        6035.24,
    ),
    Sku(
        "rtx-6000-ada",
        "NVIDIA RTX 6000 Ada Generation",
        "ada",
        960.0,
        48,
        "20 Gbps GDDR6 × 384 bit (RTX 6000 Ada datasheet)",
        r"\brtx 6000 ada\b",
        133.44,
        5791.74,
    ),
)

SKUS_BY_ID: dict[str, Sku] = {sku.id: sku for sku in SKUS}


def normalise_gpu_name(name: str) -> str:
    """Lower case, words only, vendor words dropped: ``"NVIDIA A100-SXM4-80GB"`` -> ``"a100 sxm4 80gb"``."""
    words = re.sub(r"[^a-z0-9]+", " ", name.lower()).split()
    return " ".join(w for w in words if w not in {"nvidia", "geforce", "generation", "graphics"})


def sku_for(name: str | None) -> Sku | None:
    """The SKU an NVML device name denotes, or None when bench has no figures for it."""
    if not name:
        return None
    normalised = normalise_gpu_name(name)
    if re.search(r"\b(laptop|mobile|max q)\b", normalised):
        # "RTX 4090 Laptop GPU" is another chip (AD103, 576 GB/s, 16 GB), not a slower desktop 4090.
        return None
    for sku in SKUS:
        if re.search(sku.pattern, normalised):
            return sku
    return None


def figures_of(sku: Sku) -> Sku:
    """The SKU whose published llama.cpp figures apply (itself, or the stand-in it names)."""
    return SKUS_BY_ID[sku.figures_from] if sku.figures_from else sku
