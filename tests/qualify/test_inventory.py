"""Stage 1 against the scripted fake NVML: the model cards' requirements, the PCIe link under load."""

from __future__ import annotations

import pynvml
import pytest

from bench.outcome import Outcome
from bench.qualify.criteria import Criterion, Status, verdict
from bench.qualify.facts import read_gpu_facts
from bench.qualify.inventory import judge_inventory, merge_link
from bench.qualify.profile import InventoryCriteria
from bench.telemetry.api import PointShape
from bench.telemetry.session import create_telemetry
from bench.telemetry.types import Series
from tests.telemetry.fake_nvml import GIB, FakeGpu, FakeNvml

CRITERIA = InventoryCriteria()


def under_load(fake: FakeNvml, phases: int = 3) -> tuple[Series, Series]:
    """The link as bench's own telemetry reads it while generating (several phases, pooled)."""
    telemetry = create_telemetry(provider="cuda", nvml=fake, interval_s=0.001, platform="linux")
    shape = PointShape(16, 1, 8)
    samples = []
    for _ in range(phases):
        with telemetry.track_phase("generation", point=shape) as probe:
            fake.wait_for("nvmlDeviceGetCurrPcieLinkWidth")  # at least one slow tick under load
        samples.append(probe.sample)
    telemetry.close()
    gpus = [s.gpu for s in samples if s is not None and s.gpu is not None]
    return (
        merge_link([g.pcie_generation for g in gpus], "gen"),
        merge_link([g.pcie_width for g in gpus], "lanes"),
    )


def judge(gpu: FakeGpu, *, driver: str = "565.90", load: bool = True) -> dict[str, Criterion]:
    fake = FakeNvml([gpu], driver=driver)
    facts = read_gpu_facts(provider="cuda", nvml_module=fake, platform="linux")
    generation, width = under_load(fake) if load else (None, None)
    rows = judge_inventory(facts, CRITERIA, pcie_generation=generation, pcie_width=width)
    return {row.name: row for row in rows}


def test_a_healthy_rtx_4090_passes_every_inventory_criterion():
    rows = judge(FakeGpu())
    assert {r.status for r in rows.values()} == {Status.PASS}, rows
    assert set(rows) == {
        "GPU architecture",
        "VRAM total",
        "driver version",
        "PCIe link width under load",
        "PCIe link generation under load",
        "power limit",
    }


def test_an_x8_link_on_an_x16_card_fails():
    row = judge(FakeGpu(pcie_width=8, pcie_max_width=16))["PCIe link width under load"]
    assert row.status is Status.FAIL
    assert row.measured is not None and row.measured.startswith("8 lanes") and "(16 lanes)" in row.threshold


def test_a_card_whose_maximum_is_x8_passes_at_x8():
    assert judge(FakeGpu(pcie_width=8, pcie_max_width=8))["PCIe link width under load"].status is Status.PASS


def test_an_x16_card_in_an_x8_slot_fails_only_when_the_profile_asks_for_16_lanes():
    fake = FakeNvml([FakeGpu(pcie_width=8, pcie_max_width=8)])  # NVML: max of card AND slot
    facts = read_gpu_facts(provider="cuda", nvml_module=fake, platform="linux")
    generation, width = under_load(fake)
    strict = InventoryCriteria(pcie_width_min_lanes=16)
    rows = {r.name: r for r in judge_inventory(facts, strict, pcie_generation=generation, pcie_width=width)}
    row = rows["PCIe link width under load"]
    assert row.status is Status.FAIL and row.threshold.endswith("and >= 16 lanes")


def test_a_gen3_link_on_a_gen4_card_fails_even_when_the_slot_reports_gen3():
    gpu = FakeGpu(pcie_generation=3, pcie_max_generation=3, gpu_max_pcie_generation=4)
    assert judge(gpu)["PCIe link generation under load"].status is Status.FAIL


def test_without_a_run_under_load_the_link_is_not_judged():
    row = judge(FakeGpu(), load=False)["PCIe link width under load"]
    assert row.status is Status.NOT_JUDGED and "no reading under load" in row.reason


def test_a_pre_ampere_gpu_fails():
    gpu = FakeGpu(name="NVIDIA GeForce RTX 2080 Ti", architecture=pynvml.NVML_DEVICE_ARCH_TURING)
    assert judge(gpu)["GPU architecture"].status is Status.FAIL


def test_a_4_gb_card_fails():
    assert judge(FakeGpu(total=4 * GIB))["VRAM total"].status is Status.FAIL


def test_a_nominal_6_gb_card_reporting_a_few_mib_less_passes():
    assert judge(FakeGpu(total=6 * GIB - 12 * 1024 * 1024))["VRAM total"].status is Status.PASS


@pytest.mark.parametrize("driver", ["551.86", "551.23.01", "31.0.15.5186"])
def test_driver_551_fails(driver):
    assert judge(FakeGpu(), driver=driver)["driver version"].status is Status.FAIL


def test_a_power_cap_below_the_default_fails():
    gpu = FakeGpu(power_limit_mw=300_000, power_default_limit_mw=450_000)
    assert judge(gpu)["power limit"].status is Status.FAIL


def test_an_unreadable_criterion_is_not_judged_and_the_verdict_inconclusive():
    gpu = FakeGpu().unsupported("nvmlDeviceGetArchitecture")
    rows = judge(gpu)
    row = rows["GPU architecture"]
    assert row.status is Status.NOT_JUDGED and row.reason.startswith("unavailable: not supported")
    assert verdict(rows.values()) is Outcome.INCONCLUSIVE


def test_a_failure_outranks_an_unreadable_criterion():
    gpu = FakeGpu(total=4 * GIB).unsupported("nvmlDeviceGetArchitecture")
    assert verdict(judge(gpu).values()) is Outcome.FAIL


def test_no_driver_means_every_criterion_is_not_judged_no_gpu():
    fake = FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    facts = read_gpu_facts(provider="cuda", nvml_module=fake)
    rows = judge_inventory(facts, CRITERIA)
    assert {r.status for r in rows} == {Status.NOT_JUDGED}
    assert all(r.reason.startswith("no GPU: NVML library not found") for r in rows)


def test_the_cpu_provider_judges_no_gpu_even_when_one_is_present():
    facts = read_gpu_facts(provider="cpu", nvml_module=FakeNvml([FakeGpu()]))
    assert facts.no_gpu == "no GPU: provider cpu runs on no GPU"
    assert facts.inventory is not None and facts.inventory.devices  # still recorded


def test_required_ecc_and_persistence_are_judged_where_reported():
    criteria = InventoryCriteria(require_ecc=True, require_persistence_mode=True)
    geforce = read_gpu_facts(provider="cuda", nvml_module=FakeNvml([FakeGpu()]), platform="linux")
    rows = {r.name: r for r in judge_inventory(geforce, criteria)}
    assert rows["ECC"].status is Status.NOT_JUDGED and "not supported" in rows["ECC"].reason
    assert rows["persistence mode"].status is Status.PASS
    a100 = FakeGpu(name="NVIDIA A100-SXM4-80GB", ecc_mode=pynvml.NVML_FEATURE_DISABLED)
    facts = read_gpu_facts(provider="cuda", nvml_module=FakeNvml([a100]), platform="linux")
    assert facts.sku == "a100-80gb"
    assert {r.name: r.status for r in judge_inventory(facts, criteria)}["ECC"] is Status.FAIL


def test_idle_clocks_and_default_power_limit_are_recorded():
    facts = read_gpu_facts(provider="cuda", nvml_module=FakeNvml([FakeGpu(sm_clock=210)]), platform="linux")
    assert facts.idle_sm_clock_mhz.value == 210
    assert facts.power_default_w.value == 450.0
    assert facts.sku == "rtx-4090"
