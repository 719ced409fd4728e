"""The sampler process: real processes, real psutil; NVML from the scripted fake, imported by path."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import psutil
import pytest

from bench.telemetry.host import linux_peak_rss
from bench.telemetry.session import create_telemetry
from bench.telemetry.window import PartSpec
from bench.telemetry.worker import SamplerProcess, load_nvml_module
from tests.telemetry.helpers import fixed_bandwidth

FAKE = "tests.telemetry.fake_nvml:gpu_of_parent_process"


def test_continuous_series_are_sampled_in_another_process_and_none_here(shape):
    telemetry = create_telemetry(provider="cuda", nvml_factory=FAKE, interval_s=0.002, platform="linux")
    try:
        sampler = telemetry._sampler
        assert sampler is not None and sampler.pid not in (None, os.getpid())
        with telemetry.track_load() as load:
            pass
        threads = threading.active_count()
        with telemetry.track_phase("generation", point=shape) as probe:
            during = threading.active_count()
            time.sleep(0.15)
        assert during == threads  # no sampler thread in the measuring process
        rep = probe.sample
        assert rep.interval_s == 0.002 and rep.samples > 10  # polled every 2 ms over 150 ms
        assert rep.gpu.sm_clock_mhz.n > 10 and rep.gpu.clock_events.samples > 10
        # The child read the fake GPU's process list, which holds this (its parent) process with 6 GiB.
        assert rep.gpu.process_used.peak_mib == 6144 and rep.vram_peak_mib.method == "nvml-process"
        assert load.sample.gpu.process_used.ok
    finally:
        telemetry.close()
    assert not psutil.pid_exists(sampler.pid) or psutil.Process(sampler.pid).status() == psutil.STATUS_ZOMBIE


@pytest.mark.skipif(linux_peak_rss() is None, reason="needs Linux VmHWM")
def test_the_sampler_process_reads_the_peak_rss_of_the_measuring_process(shape):
    telemetry = create_telemetry(
        provider="cpu", sampling="process", host_bandwidth=fixed_bandwidth(), interval_s=0.005
    )
    try:
        assert telemetry._sampler is not None
        with telemetry.track_phase("generation", point=shape) as probe:
            block = bytearray(300 * 1024 * 1024)  # touched: zero-filled by the allocator
            block[::4096] = b"x" * len(block[::4096])
            del block
        rss = probe.sample.host.rss
        assert rss.method == "linux-vmhwm (reset per phase)"
        assert rss.peak_mib - rss.end_mib > 250  # a peak only the kernel's mark can have seen
        assert probe.sample.host.cpu_util_pct.ok
    finally:
        telemetry.close()


def test_a_dead_sampler_process_costs_the_readings_not_the_run(shape, model):
    telemetry = create_telemetry(provider="cuda", nvml_factory=FAKE, interval_s=0.002, platform="linux")
    try:
        with telemetry.track_phase("generation", point=shape) as probe:
            psutil.Process(telemetry._sampler.pid).kill()
        rep = probe.sample
        assert rep.gpu is None and "sampler process is gone" in rep.gpu_unavailable
        assert rep.host.rss.unavailable and rep.vram_peak_mib.unavailable
        with telemetry.track_phase("generation", point=shape) as later:
            pass
        assert "no background telemetry" in later.sample.gpu_unavailable
    finally:
        telemetry.close()


def test_a_factory_that_cannot_be_imported_leaves_host_readings(shape):
    sampler = SamplerProcess.start(nvml_factory="no_such_module:make")
    try:
        assert "ModuleNotFoundError" in sampler.nvml_reason
        sampler.begin(PartSpec(pid=os.getpid(), kernel_peak=False, nvml_index=0), 0.005)
        report = sampler.end()
        assert report.parts is not None and report.parts.memory is None
        assert any("sampler process has no NVML" in note for note in report.notes)
        assert report.parts.host.result().rss.ok
    finally:
        sampler.close()


def test_nvml_factories_by_path():
    assert load_nvml_module(None) is None
    assert load_nvml_module(FAKE).gpus[0].compute_processes[0][0] == os.getppid()


def test_prefill_and_decode_energy_are_split_at_the_first_token(shape, model):
    # The fake draws 300 W; "prefill" sleeps 0.6 s, "decode" 0.9 s: 180 J and 270 J.
    telemetry = create_telemetry(provider="cuda", nvml_factory=FAKE, interval_s=0.005, platform="linux")
    try:
        with telemetry.track_load():
            pass
        with telemetry.track_phase("generation", point=shape) as probe:
            start = time.perf_counter()
            time.sleep(0.6)
            first_token_s = time.perf_counter() - start
            time.sleep(0.9)
        point = telemetry.summarize_point(
            point=shape,
            model=model,
            setups=[],
            generations=[probe.sample],
            decode_tokens_per_s=[50.0],
            generated_tokens=shape.batch_size * shape.output_tokens,
            first_token_s=[first_token_s],
        )
    finally:
        telemetry.close()
    decoded = shape.batch_size * (shape.output_tokens - 1)
    assert point.prefill_energy_j.value == pytest.approx(180, rel=0.15)
    assert point.decode_energy_per_token_j.value == pytest.approx(270 / decoded, rel=0.15)
    # The whole phase as the sampler saw it: at least the caller's 1.5 s (its edges can be later).
    assert point.energy_per_token_j.value >= 0.85 * 450 / (decoded + shape.batch_size)
    assert "interpolated at the first token" in point.prefill_energy_j.method


@pytest.mark.skipif(sys.platform == "win32", reason="os.kill(SIGINT) is a console event on Windows")
def test_ctrl_c_is_left_to_the_measuring_process(shape):
    telemetry = create_telemetry(provider="cuda", nvml_factory=FAKE, interval_s=0.002, platform="linux")
    try:
        with telemetry.track_phase("generation", point=shape) as probe:
            os.kill(telemetry._sampler.pid, signal.SIGINT)  # what a Ctrl-C sends the whole process group
            time.sleep(0.05)
        assert probe.sample.gpu is not None and probe.sample.gpu.sm_clock_mhz.n > 5
    finally:
        telemetry.close()


def test_a_sweep_through_the_runner_gets_its_series_from_the_sampler_process(tmp_path):
    """The runner's real path on the CPU build, with the GPU probe set over the fake NVML in the child."""
    import onnxruntime_genai as og

    from bench.runner import RunRequest, run_scenario
    from bench.scenarios import parse_scenario

    scenario = parse_scenario(
        {
            "name": "process-sampler",
            "models": ["twin:nemotron-mini-4b:tiny"],
            "providers": ["cpu"],
            "sweep": {"prompt_tokens": [16], "batch_size": [1], "output_tokens": [8]},
            "warmup": 1,
            "repetitions": 3,
            "prompt": {"source": "random"},
        }
    )

    def factory(**kwargs):  # what a CUDA run gets, while the model runs on the CPU build
        return create_telemetry(**{**kwargs, "provider": "cuda", "nvml_factory": FAKE, "platform": "linux"})

    outcome = run_scenario(
        RunRequest(scenario=scenario, out_dir=tmp_path, sample_interval_s=0.002),
        og=og,
        telemetry_factory=factory,
        command=["test"],
    )
    (point,) = outcome.document.points
    assert outcome.document.status == "complete"
    assert all(
        rep.gpu is not None and rep.gpu.clock_events.samples >= 2 for rep in point.repetition_telemetry
    )
    assert outcome.document.sessions[0].telemetry.process_seen is True  # the fake lists the parent: us
    # Prefill and decode of a tiny twin last milliseconds: the split says so instead of a number.
    assert "too short" in point.telemetry.prefill_energy_j.unavailable


def test_the_energy_split_is_timed_from_when_the_caller_got_control(shape, model, monkeypatch):
    # The sampler's first reading precedes the caller's clock by the reply's latency (long on a
    # saturated CPU), and its last reading follows the caller's end by as much; here 0.3 s each. The
    # prefill is the caller's first 0.6 s and the decode its last 0.6 s, not 0.9 s.
    from bench.telemetry.window import LocalWindow
    from tests.telemetry.fake_nvml import gpu_of_this_process

    start, finish = LocalWindow.start, LocalWindow.finish

    def late_reply(self):
        start(self)
        time.sleep(0.3)

    def late_last_reading(self):
        time.sleep(0.3)
        return finish(self)

    monkeypatch.setattr(LocalWindow, "start", late_reply)
    monkeypatch.setattr(LocalWindow, "finish", late_last_reading)
    telemetry = create_telemetry(
        provider="cuda", nvml=gpu_of_this_process(), interval_s=0.005, platform="linux"
    )
    with telemetry.track_phase("generation", point=shape) as probe:
        time.sleep(0.6)
        first_token_s = 0.6
        time.sleep(0.6)
    point = telemetry.summarize_point(
        point=shape,
        model=model,
        setups=[],
        generations=[probe.sample],
        decode_tokens_per_s=[50.0],
        generated_tokens=shape.batch_size * shape.output_tokens,
        first_token_s=[first_token_s],
    )
    telemetry.close()
    decoded = shape.batch_size * (shape.output_tokens - 1)
    assert point.prefill_energy_j.value == pytest.approx(180, rel=0.15)
    assert point.decode_energy_per_token_j.value == pytest.approx(180 / decoded, rel=0.15)  # not 270 J
