"""``bench models list`` and ``bench models synth`` through the typer sub-app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.cli.models import app
from bench.errors import BenchError
from bench.twins.writer import MODEL_FILES

runner = CliRunner()


def test_list_json_shows_both_real_models_and_cached_twins(tiny_twins) -> None:
    result = runner.invoke(app, ["list", "--json"])

    assert result.exit_code == 0, result.output
    listing = json.loads(result.output)
    contexts = {model["name"]: model["context_length"] for model in listing["real_models"]}
    assert contexts == {"mistral-nemo-12b": 131072, "nemotron-mini-4b": 4096}
    cached = {twin["path"] for twin in listing["cached_twins"]}
    assert {str(resolved.path) for resolved in tiny_twins.values()} <= cached
    sizes = {family["name"]: list(family["sizes"]) for family in listing["families"]}
    assert sizes == {
        "mistral-nemo-12b": ["tiny", "small", "full"],
        "nemotron-mini-4b": ["tiny", "small", "full"],
    }


def test_list_table_names_the_variables_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_MODELS_DIR", raising=False)
    monkeypatch.delenv("BENCH_MODEL_NEMOTRON_MINI_4B", raising=False)
    monkeypatch.setenv("COLUMNS", "400")  # rich reads the width from the environment

    result = runner.invoke(app, ["list"])

    assert result.exit_code == 0, result.output
    assert "Nemotron-Mini-4B-Instruct ONNX INT4" in result.output
    assert "BENCH_MODEL_NEMOTRON_MINI_4B" in result.output
    assert "twin:mistral-nemo-12b:full" in result.output


def test_synth_writes_a_twin_folder(tmp_path: Path) -> None:
    out = tmp_path / "nemo"

    result = runner.invoke(
        app, ["synth", "nemotron-mini-4b", "--size", "tiny", "--out", str(out), "--quant", "sym"]
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(out)
    assert sorted(path.name for path in out.iterdir()) == sorted(MODEL_FILES)


def test_synth_refuses_an_existing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["synth", "nemotron-mini-4b", "--out", str(tmp_path)])

    assert isinstance(result.exception, BenchError)
    assert "already exists" in str(result.exception)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["synth", "llama-70b"], "unknown model family"),
        (["synth", "mistral-nemo-12b", "--size", "medium"], "unknown size"),
        (["synth", "mistral-nemo-12b", "--quant", "int8"], "unknown quant"),
    ],
)
def test_synth_bad_input_is_a_bench_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)

    assert isinstance(result.exception, BenchError)
    assert message in str(result.exception)
