"""Point ids name the model so that comparisons match like with like, and never unlike with like."""

from __future__ import annotations

from bench.models.refs import resolve_model
from bench.results.schema import PointParams
from bench.runner import model_key, point_id

PARAMS = PointParams(prompt_tokens=16, batch_size=1, output_tokens=8)


def test_a_twin_with_default_options_keeps_the_short_stable_key():
    identity = resolve_model("twin:nemotron-mini-4b:tiny").identity
    assert model_key(identity) == "twin:nemotron-mini-4b:tiny"
    assert point_id(identity, "cpu", PARAMS) == "twin:nemotron-mini-4b:tiny|cpu|p16|b1|o8"


def test_twins_built_differently_get_different_ids():
    default = resolve_model("twin:nemotron-mini-4b:tiny").identity
    reseeded = resolve_model("twin:nemotron-mini-4b:tiny:seed=1,block_size=32").identity
    assert model_key(reseeded) == "twin:nemotron-mini-4b:tiny:block_size=32,seed=1"
    assert point_id(reseeded, "cpu", PARAMS) != point_id(default, "cpu", PARAMS)


def test_a_bare_folder_is_named_by_its_content_not_only_its_name():
    twin = resolve_model("twin:nemotron-mini-4b:tiny").identity
    folder = twin.model_copy(update={"kind": "path", "twin": None, "name": "nemotron-mini-4b"})
    key = model_key(folder)
    assert key == f"nemotron-mini-4b@{twin.content_sha256[:12]}"
    assert key != "nemotron-mini-4b"  # never mistaken for the registry model of the same name
