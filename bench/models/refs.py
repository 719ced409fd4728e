"""Model references: registry names, folders and twins, resolved to a folder and an identity.

A reference is one of

* a registry name (``mistral-nemo-12b``, ``nemotron-mini-4b``): a local copy of the published
  weights, found through ``BENCH_MODEL_<NAME>`` (e.g. ``BENCH_MODEL_MISTRAL_NEMO_12B=/models/nemo``)
  or ``BENCH_MODELS_DIR`` (a folder holding one sub-folder per registry name);
* a twin, ``twin:FAMILY:SIZE`` with optional ``:key=value,...`` options ``block_size`` (16, 32, 64,
  128, 256), ``quant`` (``sym`` or ``asym``), ``seed`` (integer), ``dtype`` (``float32`` or
  ``float16``) and ``ffn`` (MLP width instead of the preset's: a known amount of extra work), e.g.
  ``twin:mistral-nemo-12b:tiny:block_size=32,quant=sym``. Unset options follow
  the published builds (asymmetric, block 128) and the builder's dtype for the provider;
* any other string is a path to a folder with a ``genai_config.json``.

A registry name wins over a folder of the same name (write ``./mistral-nemo-12b`` for the folder).
Every resolved model carries a ``ModelIdentity`` whose ``kind`` says which of the three it was; a
folder written by the twin writer is recognised as a twin even when given by path.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.architectures import FAMILIES, REAL_MODELS, Family, RealModel
from bench.errors import BenchError
from bench.models.identity import ArchitectureFacts, ModelIdentity, ModelKind, TwinParameters
from bench.models.inspect import InspectedModel, inspect_model, read_genai_config
from bench.twins.spec import IO_DTYPES, QUANT_NAMES, TwinSpec
from bench.twins.writer import Progress

MODELS_DIR_ENV_VAR = "BENCH_MODELS_DIR"
TWIN_PREFIX = "twin:"
TWIN_OPTIONS = ("block_size", "quant", "seed", "dtype", "ffn")
TWIN_GRAMMAR = "twin:FAMILY:SIZE[:block_size=N,quant=sym|asym,seed=N,dtype=float32|float16,ffn=N]"


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready to load: its folder, identity, context limit and the ids safe for prompts.

    ``prompt_token_range`` is ``(low, high)``: draw prompt ids with ``low <= id < high``. It lies inside
    both the tokenizer's and the model's vocabulary and excludes the special tokens (they sit at the
    ends of the vocabulary: ``low`` is one past the last special id in the lower half, ``high`` the
    first special id in the upper half or the vocabulary end). ``special_token_ids`` lists them all.
    """

    identity: ModelIdentity
    path: Path
    context_length: int
    tokenizer_vocab_size: int
    prompt_token_range: tuple[int, int]
    special_token_ids: frozenset[int]
    provider: str


@dataclass(frozen=True)
class ModelDescription:
    """What is known about a reference without building anything (for validating scenarios)."""

    ref: str
    kind: ModelKind
    name: str
    display_name: str
    family: str | None
    size: str | None
    context_length: int
    architecture: ArchitectureFacts
    path: Path | None  # the folder when it exists already (real copy, path, cached twin)


# --- twin references ---


def is_twin_ref(ref: str) -> bool:
    return ref.startswith(TWIN_PREFIX)


def _existing_folder(ref: str) -> Path:
    """``ref`` as a model folder path; it is the last thing a reference can be, so name all three."""
    folder = Path(ref).expanduser()
    if not folder.exists():
        raise BenchError(
            f"{ref!r} is neither a registry name, a twin nor an existing folder",
            field="model",
            hint=f"registry names: {', '.join(REAL_MODELS)}; twins: {TWIN_GRAMMAR}",
        )
    return folder


def parse_twin_ref(ref: str, *, provider: str = "cpu") -> TwinSpec:
    parts = ref[len(TWIN_PREFIX) :].split(":", 2)
    if len(parts) < 2 or not all(parts[:2]):
        raise BenchError(f"malformed twin reference {ref!r}", field="model", hint=f"write {TWIN_GRAMMAR}")
    family, size = parts[0], parts[1]
    options: dict[str, Any] = {}
    for item in parts[2].split(",") if len(parts) == 3 and parts[2] else []:
        key, sep, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in TWIN_OPTIONS:
            raise BenchError(
                f"unknown twin option {item!r} in {ref!r}",
                field="model",
                hint=f"options: {', '.join(TWIN_OPTIONS)}",
            )
        options[key] = value
    try:
        block_size = int(options["block_size"]) if "block_size" in options else None
        seed = int(options.get("seed", 0))
        ffn = int(options["ffn"]) if "ffn" in options else None
    except ValueError as error:
        raise BenchError(
            f"twin option is not an integer in {ref!r}", field="model", hint=str(error)
        ) from error
    quant = options.get("quant")
    if quant is not None and quant not in QUANT_NAMES:
        raise BenchError(f"unknown quant {quant!r} in {ref!r}", field="model", hint="quant=sym or quant=asym")
    dtype = options.get("dtype")
    if dtype is not None and dtype not in IO_DTYPES:
        raise BenchError(
            f"unknown dtype {dtype!r} in {ref!r}", field="model", hint=f"dtype={' or dtype='.join(IO_DTYPES)}"
        )
    return TwinSpec.create(
        family,
        size,
        provider=provider,
        io_dtype=dtype,
        block_size=block_size,
        symmetric=None if quant is None else QUANT_NAMES[quant],
        seed=seed,
        ffn=ffn,
    )


# --- registry names ---


def _env_hint(model: RealModel) -> str:
    return (
        f"point bench at a local copy of {model.source}: set {model.env_var} to its folder "
        f"(Linux/macOS: export {model.env_var}=/models/{model.name}; Windows: set "
        f"{model.env_var}=C:\\models\\{model.name}), or set {MODELS_DIR_ENV_VAR} to a folder holding a "
        f"'{model.name}' sub-folder; for a synthetic stand-in use twin:{model.family}:full"
    )


def locate_real_model(name: str) -> Path | None:
    """The configured local folder of a registry model, or None when none is configured or present."""
    model = REAL_MODELS[name]
    explicit = os.environ.get(model.env_var)
    if explicit:
        folder = Path(explicit).expanduser()
        if not (folder / "genai_config.json").is_file():
            raise BenchError(
                f"{model.env_var} points at {folder}, which has no genai_config.json",
                field="model",
                hint=f"set {model.env_var} to the folder that holds genai_config.json and model.onnx",
            )
        return folder
    models_dir = os.environ.get(MODELS_DIR_ENV_VAR)
    if models_dir:
        folder = Path(models_dir).expanduser() / name
        if (folder / "genai_config.json").is_file():
            return folder
    return None


def real_model_folder(name: str) -> Path:
    folder = locate_real_model(name)
    if folder is None:
        model = REAL_MODELS[name]
        looked = os.environ.get(MODELS_DIR_ENV_VAR)
        where = f" (looked in {Path(looked) / name})" if looked else ""
        raise BenchError(f"no local copy of {name}{where}", field="model", hint=_env_hint(model))
    return folder


# --- tokenizer facts ---


def _config_special_ids(config: dict[str, Any]) -> set[int]:
    ids: set[int] = set()
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        value = config["model"].get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and item >= 0:
                ids.add(item)
    return ids


def _tokenizer_facts(folder: Path, config: dict[str, Any]) -> tuple[int, set[int]]:
    """(tokenizer vocabulary size, special token ids) from tokenizer.json, else from genai_config."""
    specials = _config_special_ids(config)
    path = folder / "tokenizer.json"
    if path.is_file():
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as error:  # the Rust side raises a bare Exception on a malformed file
            raise BenchError(f"cannot read tokenizer.json: {error}", field=str(path)) from error
        specials |= {
            token_id for token_id, token in tokenizer.get_added_tokens_decoder().items() if token.special
        }
        return tokenizer.get_vocab_size(with_added_tokens=True), specials
    return int(config["model"]["vocab_size"]), specials


def prompt_token_range(vocab_size: int, special_ids: Iterable[int]) -> tuple[int, int]:
    middle = vocab_size // 2
    specials = [token_id for token_id in special_ids if 0 <= token_id < vocab_size]
    low = max((token_id + 1 for token_id in specials if token_id < middle), default=0)
    high = min((token_id for token_id in specials if token_id >= middle), default=vocab_size)
    if high - low < 2:
        raise BenchError(f"no ordinary token ids between the special tokens (range {low}..{high})")
    return low, high


# --- identity ---


def _twin_parameters(metadata: dict[str, Any] | None) -> TwinParameters | None:
    if metadata is None:
        return None
    try:
        return TwinParameters.model_validate(metadata)
    except ValueError:
        return None


def _identity(ref: str, kind: ModelKind, name: str, inspected: InspectedModel, **extra: Any) -> ModelIdentity:
    return ModelIdentity(
        ref=ref,
        kind=kind,
        name=name,
        path=str(inspected.path),
        files=inspected.files,
        content_sha256=inspected.content_sha256,
        architecture=inspected.architecture,
        quantization=inspected.quantization,
        **extra,
    )


def _twin_identity(ref: str, inspected: InspectedModel) -> ModelIdentity | None:
    """A twin stays a twin whatever pointed at it (a path, or a registry variable set to a twin folder)."""
    twin = _twin_parameters(inspected.twin)
    if twin is None:
        return None
    return _identity(ref, "twin", twin.family, inspected, family=twin.family, size=twin.size, twin=twin)


def _resolved(identity: ModelIdentity, inspected: InspectedModel, provider: str) -> ResolvedModel:
    tokenizer_vocab, specials = _tokenizer_facts(inspected.path, inspected.config)
    usable = min(tokenizer_vocab, inspected.architecture.vocab_size)
    return ResolvedModel(
        identity=identity,
        path=inspected.path,
        context_length=inspected.architecture.context_length,
        tokenizer_vocab_size=tokenizer_vocab,
        prompt_token_range=prompt_token_range(usable, specials),
        special_token_ids=frozenset(specials),
        provider=provider,
    )


def resolve_model(
    ref: str, *, provider: str = "cpu", build: bool = True, progress: Progress | None = None
) -> ResolvedModel:
    """Resolve a reference to a folder (building a twin into the cache if needed) and its identity.

    ``build=False`` refuses to write a twin that is not cached yet. ``progress`` receives
    ``(bytes_done, bytes_total, tensor_name)`` while a twin is written.
    """
    from bench.twins.cache import ensure_twin, is_complete, twin_folder

    if not isinstance(ref, str) or not ref.strip():
        raise BenchError(
            "empty model reference", field="model", hint=f"a registry name, a folder or {TWIN_GRAMMAR}"
        )
    if is_twin_ref(ref):
        spec = parse_twin_ref(ref, provider=provider)
        if not build and not is_complete(twin_folder(spec)):
            raise BenchError(
                f"twin {ref} is not built yet",
                field="model",
                hint=f"run: bench models synth {spec.family} --size {spec.size}, or allow building",
            )
        inspected = inspect_model(ensure_twin(spec, progress=progress))
        identity = _identity(
            ref, "twin", spec.family, inspected, family=spec.family, size=spec.size, twin=spec.to_parameters()
        )
        return _resolved(identity, inspected, provider)
    if ref in REAL_MODELS:
        model = REAL_MODELS[ref]
        inspected = inspect_model(real_model_folder(ref))
        identity = _twin_identity(ref, inspected) or _identity(
            ref, "real", model.name, inspected, family=model.family
        )
        return _resolved(identity, inspected, provider)
    folder = _existing_folder(ref)
    inspected = inspect_model(folder)
    identity = _twin_identity(ref, inspected) or _identity(ref, "path", inspected.path.name, inspected)
    return _resolved(identity, inspected, provider)


# --- cheap descriptions ---


def family_architecture(family: Family, size: str = "full") -> ArchitectureFacts:
    shape = family.shape_for(size)
    return ArchitectureFacts(
        model_type=family.model_type,
        num_layers=shape.num_layers,
        hidden_size=shape.hidden_size,
        num_attention_heads=shape.num_attention_heads,
        num_kv_heads=shape.num_kv_heads,
        head_dim=shape.head_dim,
        vocab_size=shape.vocab_size,
        context_length=family.context_length,
        intermediate_size=shape.intermediate_size,
    )


def describe_model(ref: str, provider: str = "cpu") -> ModelDescription:
    """Context length and architecture of a reference without building a twin or loading weights.

    Twins and registry models without a local copy are described from the family data; a real
    local copy or a folder from its genai_config.json.
    """
    from bench.twins.cache import is_complete, twin_folder

    if is_twin_ref(ref):
        spec = parse_twin_ref(ref, provider=provider)
        family = spec.family_data
        cached = twin_folder(spec)
        return ModelDescription(
            ref=ref,
            kind="twin",
            name=family.name,
            display_name=f"{family.display_name} twin ({spec.size})",
            family=family.name,
            size=spec.size,
            context_length=family.context_length,
            architecture=family_architecture(family, spec.size),
            path=cached if is_complete(cached) else None,
        )
    if ref in REAL_MODELS:
        model = REAL_MODELS[ref]
        folder = locate_real_model(ref)
        if folder is None:
            architecture = family_architecture(FAMILIES[model.family])
        else:
            from bench.models.inspect import architecture_facts

            architecture = architecture_facts(read_genai_config(folder))
        return ModelDescription(
            ref=ref,
            kind="real",
            name=model.name,
            display_name=model.display_name,
            family=model.family,
            size=None,
            context_length=architecture.context_length,
            architecture=architecture,
            path=folder,
        )
    folder = _existing_folder(ref)
    from bench.models.inspect import architecture_facts, load_graph, twin_metadata

    config = read_genai_config(folder)
    graph = load_graph(folder, config)  # the graph without weights: small, and says if it is a twin
    architecture = architecture_facts(config, graph)
    twin = _twin_parameters(twin_metadata(graph))
    name = twin.family if twin else folder.resolve().name
    return ModelDescription(
        ref=ref,
        kind="twin" if twin else "path",
        name=name,
        display_name=f"{name} twin ({twin.size})" if twin else name,
        family=twin.family if twin else None,
        size=twin.size if twin else None,
        context_length=architecture.context_length,
        architecture=architecture,
        path=folder.resolve(),
    )
