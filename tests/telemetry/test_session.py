"""Every collector end to end through ``create_telemetry`` with a scripted NVML (and DXGI) underneath.

Values change while a phase runs; ``wait_for`` makes sure the background sampler has read them, so
nothing here depends on timing.
"""

from __future__ import annotations

import time

import pynvml
import pytest

from bench.errors import BenchError
from bench.telemetry.host import linux_peak_rss
from bench.telemetry.session import DisabledTelemetry, create_telemetry
from bench.telemetry.summary import repetition_metrics
from bench.validity import assess_point
from tests.telemetry.fake_dxgi import FakeVideoMemoryReader
from tests.telemetry.fake_nvml import GIB, MIB, FakeGpu, FakeNvml
from tests.telemetry.helpers import GRAPHICS_LIST, LIST, PID, cuda, fixed_bandwidth, load, setup, summarize


def test_linux_per_process_memory_weights_kv_and_a_transient_peak(fake_nvml, gpu, shape, model):
    telemetry = cuda(fake_nvml)
    session = load(telemetry, gpu, weights=6 * GIB)
    assert session.vram_weights_mib.value == 6144 and session.vram_weights_mib.method.startswith(
        "nvml-process"
    )
    assert session.vram_baseline_mib.value == 0 and session.vram_after_load_mib.value == 6144
    assert session.device.method == "index (only one GPU)" and session.gpu.memory_api == "nvml-memory-v2"
    s = setup(telemetry, gpu, shape, kv=512 * MIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.compute_processes = [(PID, 6 * GIB + 512 * MIB + 300 * MIB)]  # activations, then freed
        fake_nvml.wait_for(LIST, 2)
        gpu.compute_processes = [(PID, 6 * GIB + 512 * MIB)]
    rep = probe.sample
    assert rep.vram_peak_mib.value == 6144 + 512 + 300 and rep.vram_peak_mib.scope == "process"
    assert rep.vram_end_mib.value == 6144 + 512
    assert rep.samples >= 4 and rep.interval_s == 0.001
    point = summarize(telemetry, shape, model, [s], [rep])
    assert point.vram_kv_cache_mib.value == 512 and point.vram_setup_growth_mib.value == 512
    assert point.vram_peak_mib.value == 6956 and point.vram_weights_mib.value == 6144
    assert point.kv_cache_theoretical_mib.value == pytest.approx(2 * 2 * 2 * 64 * 192 * 2 * 2 / MIB)
    assert point.flags == [] and not point.concurrent_gpu_process
    assert assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point).status == "valid"
    telemetry.close()
    assert fake_nvml.initialised == 0


def test_old_driver_without_memory_v2_falls_back_to_v1_and_says_so(shape, model):
    gpu = FakeGpu(memory_v2=False)
    telemetry = cuda(FakeNvml([gpu]))
    session = load(telemetry, gpu, weights=GIB)
    assert session.gpu.memory_api == "nvml-memory-v1"
    assert session.gpu.device_used.method == "nvml-memory-v1"
    assert session.gpu.device_used.start_mib == (300 + 200)  # v1 counts the reserved memory as used
    assert any("nvml-memory-v1 used" in note and "driver too old" in note for note in session.notes)


def test_wddm_has_no_per_process_memory_and_falls_back_to_the_device_delta(shape, model):
    gpu = FakeGpu(driver_model=pynvml.NVML_DRIVER_WDDM, persistence_mode=None)
    telemetry = create_telemetry(provider="cuda", nvml=FakeNvml([gpu]), interval_s=0.001, platform="win32")
    session = load(telemetry, gpu, weights=6 * GIB, wddm=True)
    assert session.gpu.process_used.unavailable == "per-process GPU memory is not reported under WDDM"
    assert session.vram_weights_mib.value == 6144
    assert (
        session.vram_weights_mib.method.startswith("nvml-device-delta")
        and session.vram_weights_mib.scope == "device"
    )
    s = setup(telemetry, gpu, shape, kv=256 * MIB, wddm=True)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.used += 100 * MIB
    point = summarize(telemetry, shape, model, [s], [probe.sample])
    assert point.vram_peak_mib.value == 6144 + 256 + 100  # above the device's use before the model loaded
    assert point.vram_kv_cache_mib.value == 256 and point.vram_peak_mib.scope == "device"


def test_a_second_process_appearing_invalidates_the_device_delta_and_flags_the_point(shape, model):
    gpu = FakeGpu(driver_model=pynvml.NVML_DRIVER_WDDM, persistence_mode=None)
    fake = FakeNvml([gpu])
    telemetry = create_telemetry(provider="cuda", nvml=fake, interval_s=0.001, platform="win32")
    load(telemetry, gpu, weights=6 * GIB, wddm=True)
    s = setup(telemetry, gpu, shape, kv=256 * MIB, wddm=True)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.compute_processes = [*gpu.compute_processes, (4242, None)]
        gpu.used += 2 * GIB
        fake.wait_for(LIST, 2)
        gpu.compute_processes = gpu.compute_processes[:-1]  # gone before the phase ends: still seen
        gpu.used -= 2 * GIB
    rep = probe.sample
    assert rep.gpu.concurrent_processes == ["pid 4242 appeared"]
    assert rep.vram_peak_mib.value is None and "invalidated" in rep.vram_peak_mib.unavailable
    point = summarize(telemetry, shape, model, [s], [rep])
    assert point.concurrent_gpu_process and "concurrent_gpu_process" in point.flags
    assert point.vram_peak_mib.value is None and "pid 4242 appeared" in point.vram_peak_mib.unavailable
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert validity.status == "flagged" and validity.codes == ["concurrent_gpu_process"]


def test_another_process_changing_its_memory_is_concurrent_even_with_per_process_figures(shape, model):
    gpu = FakeGpu(compute_processes=[(777, GIB)])
    fake = FakeNvml([gpu])
    telemetry = cuda(fake)
    session = load(telemetry, gpu, weights=GIB)
    assert session.gpu.concurrent_processes == []  # it was there before: not a change
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.compute_processes = [(777, 3 * GIB), (PID, GIB)]
        fake.wait_for(LIST, 2)
    rep = probe.sample
    assert rep.gpu.concurrent_processes == ["pid 777 changed its GPU memory 1024 -> 3072 MiB"]
    assert rep.vram_peak_mib.value == 1024  # our own figure stays valid


def test_a_graphics_process_is_seen_on_slow_ticks_too(shape, model):
    gpu = FakeGpu()
    fake = FakeNvml([gpu])
    telemetry = cuda(fake)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.graphics_processes = [(999, 512 * MIB)]  # e.g. a game on the same GPU
        fake.wait_for(GRAPHICS_LIST, 1)
    assert probe.sample.gpu.concurrent_processes == ["pid 999 appeared (512 MiB)"]


def test_throttling_marks_repetitions_and_counts_samples(fake_nvml, gpu, shape, model):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    reps = []
    for throttle in (False, True, False):
        with telemetry.track_phase("generation", point=shape) as probe:
            if throttle:
                gpu.reasons = (
                    pynvml.nvmlClocksEventReasonHwThermalSlowdown | pynvml.nvmlClocksEventReasonSwPowerCap
                )
                gpu.sm_clock = 1200
                fake_nvml.wait_for("nvmlDeviceGetCurrentClocksEventReasons", 2)
                gpu.reasons, gpu.sm_clock = 0, 2520
        reps.append(probe.sample)
    assert [r.throttled for r in reps] == [False, True, False]
    assert reps[1].throttle_reasons == ["SwPowerCap", "HwThermal"]
    assert reps[1].gpu.sm_clock_mhz.min == 1200
    point = summarize(telemetry, shape, model, [], reps)
    assert point.throttled_repetitions == 1 and point.throttle_reasons == ["SwPowerCap", "HwThermal"]
    assert point.throttled_samples >= 2 and point.clock_event_samples > point.throttled_samples
    assert point.sm_clock_mhz.min == 1200 and point.sm_clock_mhz.max == 2520
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert validity.status == "flagged"
    assert validity.reasons[0].startswith("throttled: 1 of 3 repetitions ran under SwPowerCap, HwThermal")


def test_a_violation_counter_catches_throttling_between_polls(fake_nvml, gpu, shape, model):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.violations_ns[pynvml.NVML_PERF_POLICY_POWER] += 3_000_000
    rep = probe.sample
    assert rep.throttled and rep.throttle_reasons == ["PowerViolation"]
    assert rep.gpu.violations_ms["power"].value == 3.0


def test_geforce_limits_read_as_unavailable_not_zero(shape, model):
    gpu = FakeGpu().unsupported(
        "nvmlDeviceGetCurrentClocksEventReasons",
        "nvmlDeviceGetTotalEnergyConsumption",
        "nvmlDeviceGetViolationStatus",
        "nvmlDeviceGetCurrPcieLinkGeneration",
    )
    telemetry = cuda(FakeNvml([gpu]))
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    rep = probe.sample
    assert not rep.throttled
    assert rep.gpu.clock_events.unavailable.startswith("not supported on this GPU/driver")
    assert rep.gpu.energy_j.value is None and rep.gpu.energy_j.unavailable.startswith("not supported")
    assert rep.gpu.pcie_generation.n == 0 and rep.gpu.pcie_generation.unavailable.startswith("not supported")
    point = summarize(telemetry, shape, model, [], [rep])
    assert point.energy_per_token_j.unavailable.startswith("not supported")
    assert point.clock_event_samples == 0 and point.throttled_repetitions == 0


def test_energy_per_token_over_a_long_enough_window(fake_nvml, gpu, shape, model):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        time.sleep(0.55)  # the window must exceed 5 × the counter's update period
        gpu.energy_mj += 128_000
    rep = probe.sample
    assert rep.gpu.energy_j.value == 128.0
    assert rep.avg_power_w.value == pytest.approx(128.0 / rep.duration_s)
    point = summarize(telemetry, shape, model, [], [rep])
    assert point.energy_per_token_j.value == 128.0 / (2 * 64)
    assert repetition_metrics([rep], generated_tokens=128)["energy_per_token_j"] == [1.0]


def test_a_gpu_lost_mid_phase_becomes_a_reason(fake_nvml, gpu, shape, model):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.errors["nvmlDeviceGetMemoryInfo"] = pynvml.NVML_ERROR_GPU_IS_LOST
        gpu.errors[LIST] = pynvml.NVML_ERROR_GPU_IS_LOST
        fake_nvml.wait_for(LIST, 1)
    rep = probe.sample
    assert rep.gpu.process_used.unavailable.startswith("process list: GPU is lost")
    assert rep.gpu.device_used.n >= 1  # readings before the loss are kept
    assert "GPU is lost" in rep.vram_peak_mib.unavailable


def test_no_driver_means_unavailable_everywhere_with_the_reason(shape, model):
    telemetry = cuda(FakeNvml(init_error=pynvml.NVML_ERROR_LIBRARY_NOT_FOUND))
    inventory = telemetry.inventory()
    assert not inventory.available
    assert inventory.reason == "NVML library not found: no NVIDIA driver on this machine"
    with telemetry.track_load() as session:
        pass
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    rep = probe.sample
    assert rep.gpu is None and rep.gpu_unavailable.startswith("NVML library not found")
    assert rep.vram_peak_mib.value is None and "no NVIDIA driver" in rep.vram_peak_mib.unavailable
    assert session.sample.vram_weights_mib.value is None and rep.host.rss.ok  # the host still measures
    point = summarize(telemetry, shape, model, [], [rep])
    assert point.roofline.bound_tokens_per_s.value is None
    assert "no NVIDIA driver" in point.roofline.peak_bandwidth_gb_s.unavailable
    assert point.sm_clock_mhz.unavailable.startswith("NVML library not found")


def test_cpu_provider_uses_no_gpu_but_host_telemetry_and_host_bandwidth(fake_nvml, gpu, shape, model):
    telemetry = create_telemetry(provider="cpu", nvml=fake_nvml, host_bandwidth=fixed_bandwidth(40.0))
    assert telemetry.inventory().available  # the inventory still lists the machine's GPUs
    with telemetry.track_load() as session:
        ballast = bytearray(48 * MIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    del ballast
    assert session.sample.vram_weights_mib.unavailable == "provider cpu uses no GPU"
    assert session.sample.host_rss_growth_mib.value >= 40
    assert fake_nvml.calls[LIST] == 0  # no GPU polling for a CPU run
    if linux_peak_rss() is not None:  # the kernel keeps the peak RSS: no sampler thread at all
        assert probe.sample.interval_s is None and probe.sample.samples == 2
    point = summarize(telemetry, shape, model, [], [probe.sample], rate=5.0)
    assert point.vram_peak_mib.unavailable == "provider cpu uses no GPU"
    assert point.host_peak_rss_mib.value > 0 and point.cpu_util_pct.value is not None
    roof = point.roofline
    assert roof.peak_bandwidth_gb_s.value == 40.0 and roof.peak_bandwidth_gb_s.method == "test bandwidth"
    assert roof.efficiency_pct.value == pytest.approx(100 * 5.0 / roof.bound_tokens_per_s.value)


def test_dml_reads_dxgi_per_process_memory_and_flags_a_spill(shape, model):
    gpu = FakeGpu(driver_model=pynvml.NVML_DRIVER_WDDM, persistence_mode=None)
    fake = FakeNvml([gpu])
    reader = FakeVideoMemoryReader(local=100 * MIB, non_local=50 * MIB)
    telemetry = create_telemetry(provider="dml", nvml=fake, dxgi=reader, interval_s=0.001, platform="win32")
    with telemetry.track_load() as session:
        reader.local += 6 * GIB
        gpu.graphics_processes = [(PID, None)]
    s = session.sample
    assert s.device.method == "pci device + subsystem id" and s.device.nvml_index == 0
    assert s.vram_weights_mib.value == 6144 and s.vram_weights_mib.method.startswith("dxgi-local")
    with telemetry.track_phase("generator_setup", point=shape) as setup_probe:
        reader.local += 512 * MIB
    queries = reader.queries
    with telemetry.track_phase("generation", point=shape) as probe:
        reader.non_local += 900 * MIB  # the KV cache no longer fits: WDDM demotes to system memory
        time.sleep(0.05)  # 50 sampler intervals: DXGI must still be read at the two ends only
    assert reader.queries == queries + 2  # DXGI is this process's own: never polled while timed code runs
    rep = probe.sample
    assert rep.dxgi.non_local.peak_mib == 950 and rep.vram_peak_mib.method == "dxgi-local"
    assert rep.gpu.sm_clock_mhz.n > 0  # NVML still gives clocks for the mapped device
    point = summarize(telemetry, shape, model, [setup_probe.sample], [rep])
    assert point.vram_kv_cache_mib.value == 512
    assert point.memory_spill and point.shared_memory_growth_mib.value == 900
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert validity.codes == ["memory_spill"]
    telemetry.close()
    assert reader.closed


def test_dml_over_its_local_budget_is_a_spill_too(shape, model):
    reader = FakeVideoMemoryReader(local=0, budget=4 * GIB)
    telemetry = create_telemetry(provider="dml", nvml=FakeNvml([]), dxgi=reader, interval_s=0.001)
    with telemetry.track_load():
        reader.local = 3 * GIB
    with telemetry.track_phase("generation", point=shape) as probe:
        reader.local = 5 * GIB  # still above its budget when the phase ends
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert point.memory_spill and point.shared_memory_growth_mib.value == 0
    assert point.sm_clock_mhz.unavailable  # no NVIDIA GPU behind this adapter for NVML


def test_dml_off_windows_says_dxgi_is_missing(fake_nvml, gpu, shape, model):
    telemetry = create_telemetry(provider="dml", nvml=fake_nvml, interval_s=0.001, platform="linux")
    with telemetry.track_load() as session:
        pass
    assert session.sample.dxgi is None and session.sample.dxgi_unavailable == "DXGI exists on Windows only"
    assert "DirectML may use another adapter" in session.sample.device.ambiguous


def test_in_a_container_the_process_that_appeared_at_load_is_taken_as_this_one(fake_nvml, gpu, shape, model):
    host_pid = 987654  # NVML lists host pids; ours is a namespace pid
    telemetry = cuda(fake_nvml)
    session = load(telemetry, gpu, weights=2 * GIB, pid=host_pid)
    assert session.gpu.concurrent_processes == []
    assert session.vram_weights_mib.value == 2048
    assert any("taken as this process" in note for note in session.notes)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.compute_processes = [(host_pid, 3 * GIB)]
        fake_nvml.wait_for(LIST, 2)
    rep = probe.sample
    assert rep.gpu.concurrent_processes == []
    assert rep.vram_peak_mib.value == 3072 and "pid inferred" in rep.vram_peak_mib.method


def test_ambiguous_cuda_order_is_noted_on_every_point(shape, model, monkeypatch):
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    gpus = [FakeGpu(name="NVIDIA A100-SXM4-80GB", uuid="GPU-a"), FakeGpu()]
    telemetry = cuda(FakeNvml(gpus), device_id=1)
    load(telemetry, gpus[1], weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert any("CUDA_DEVICE_ORDER=PCI_BUS_ID" in note for note in point.notes)


def test_pcie_below_its_maximum_under_load_is_noted(fake_nvml, gpu, shape, model):
    gpu.pcie_generation, gpu.pcie_width = 3, 8
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert point.notes == ["PCIe link ran at gen3 x8 at best while generating, below the maximum gen4 x16"]


def test_pcie_trained_down_at_the_idle_edge_of_a_phase_is_not_noted(fake_nvml, gpu, shape, model):
    gpu.pcie_generation, gpu.pcie_width = 1, 16  # idle: the link has trained down
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        gpu.pcie_generation = 4  # under load it runs at its maximum
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert not any("PCIe" in note for note in point.notes)


def test_a_phase_that_raises_still_records_its_sample(fake_nvml, gpu, shape):
    telemetry = cuda(fake_nvml)
    with pytest.raises(KeyboardInterrupt), telemetry.track_phase("generation", point=shape) as probe:
        raise KeyboardInterrupt
    assert probe.sample is not None and "phase ended by KeyboardInterrupt" in probe.sample.notes


def test_disabled_telemetry_touches_nothing_and_says_so(shape, model):
    telemetry = create_telemetry(provider="cuda", enabled=False, nvml=FakeNvml(init_error=1))
    assert isinstance(telemetry, DisabledTelemetry)
    assert telemetry.inventory().reason.startswith("telemetry disabled")
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    assert probe.sample is None
    point = summarize(telemetry, shape, model, [None], [None])
    assert point.vram_peak_mib.unavailable == "telemetry disabled (--no-telemetry)"
    assert point.kv_cache_theoretical_mib.value is not None  # pure arithmetic needs no probe


def test_interval_must_be_positive(fake_nvml):
    with pytest.raises(BenchError, match="sample_interval_ms"):
        create_telemetry(provider="cpu", nvml=fake_nvml, interval_s=0)


def test_results_keep_aggregates_not_every_sample(fake_nvml, gpu, shape):
    telemetry = cuda(fake_nvml)
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        fake_nvml.wait_for(LIST, 50)
    rep = probe.sample
    assert rep.samples >= 50
    assert len(rep.model_dump_json()) < 4000  # the same size after 50 readings as after 5


def test_wddm_device_delta_with_other_processes_of_unknown_memory_says_it_is_unverified(shape, model):
    # dwm.exe and browsers are always listed under WDDM, without a memory figure: a change in theirs is
    # invisible, so the device-wide delta keeps its value but says it cannot be verified.
    gpu = FakeGpu(
        driver_model=pynvml.NVML_DRIVER_WDDM, persistence_mode=None, graphics_processes=[(555, None)]
    )
    telemetry = create_telemetry(provider="cuda", nvml=FakeNvml([gpu]), interval_s=0.001, platform="win32")
    session = load(telemetry, gpu, weights=6 * GIB, wddm=True)
    assert session.gpu.unreported_processes == [555]
    assert session.vram_weights_mib.value == 6144
    assert session.vram_weights_mib.method.startswith("nvml-device-delta-unverified")
    s = setup(telemetry, gpu, shape, kv=256 * MIB, wddm=True)
    assert s.vram_end_mib.value == 6144 + 256
    assert (
        "1 other GPU process(es), pid 555, whose memory the driver does not report" in s.vram_end_mib.method
    )


def test_our_pid_without_a_figure_in_the_secondary_list_keeps_the_per_process_figure(fake_nvml, gpu, shape):
    telemetry = cuda(fake_nvml)
    gpu.graphics_processes = [(PID, None)]  # listed in the graphics list too, without memory
    session = load(telemetry, gpu, weights=2 * GIB)
    assert session.gpu.process_used.ok and session.vram_weights_mib.scope == "process"
    assert session.gpu.unreported_processes == []  # our own pid is not "another process"


def test_a_cuda_run_whose_process_never_appears_on_the_mapped_gpu_is_flagged(shape, model):
    # CUDA_VISIBLE_DEVICES / fastest-first order put the run on another GPU: this one only shows a
    # process that was there before the model was loaded, unchanged.
    gpu = FakeGpu(compute_processes=[(4242, GIB)])
    telemetry = cuda(FakeNvml([gpu]))
    with telemetry.track_load() as load:
        gpu.used += 2 * GIB  # someone's memory moved, not ours: nothing in the list says it was us
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    point = summarize(telemetry, shape, model, [], [probe.sample])
    assert load.sample.process_seen is False and load.sample.device.pci_bus_id == "00000000:01:00.0"
    assert "gpu_process_not_seen" in point.flags
    assert "never appeared in the compute-process list of NVML device 0 (PCI 00000000:01:00.0)" in (
        point.gpu_process_not_seen
    )
    validity = assess_point(error=None, token_count_ok=True, metric_cv={}, telemetry=point)
    assert "gpu_process_not_seen" in validity.codes and validity.status == "flagged"


def test_a_cuda_run_seen_on_its_gpu_or_with_no_readable_list_is_not_flagged(shape, model):
    gpu = FakeGpu()
    telemetry = cuda(FakeNvml([gpu]))
    load(telemetry, gpu, weights=GIB)
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    assert "gpu_process_not_seen" not in summarize(telemetry, shape, model, [], [probe.sample]).flags
    hidden = FakeGpu().unsupported(LIST)
    telemetry = cuda(FakeNvml([hidden]))
    with telemetry.track_load() as session:
        pass
    with telemetry.track_phase("generation", point=shape) as probe:
        pass
    assert session.sample.process_seen is None
    assert summarize(telemetry, shape, model, [], [probe.sample]).gpu_process_not_seen is None
