"""``bench models``: the model registry (``list``) and synthetic twins (``synth``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel, ConfigDict
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.architectures import FAMILIES, REAL_MODELS
from bench.console import make_console
from bench.errors import BenchError
from bench.models.identity import ArchitectureFacts
from bench.models.refs import MODELS_DIR_ENV_VAR, family_architecture, locate_real_model
from bench.providers import PROVIDERS
from bench.twins.spec import QUANT_NAMES, TwinSpec
from bench.twins.writer import Progress

app = typer.Typer(help="Registry of real models and synthetic twins.", no_args_is_help=True)


class PublishedBuildEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    quantization: str
    bits: int
    block_size: int
    symmetric: bool
    io_dtype_by_provider: dict[str, str]


class RealModelEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    display_name: str
    family: str
    context_length: int
    architecture: ArchitectureFacts
    published: PublishedBuildEntry
    env_var: str
    local_path: str | None


class SizeEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    note: str
    architecture: ArchitectureFacts
    data_bytes_cpu: int  # model.onnx.data of the default cpu twin


class FamilyEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    display_name: str
    model_type: str
    norm: str
    mlp: str
    rope_theta: float
    partial_rotary_factor: float
    context_length: int
    sizes: dict[str, SizeEntry]


class CachedTwinEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    provider: str
    path: str
    bytes_on_disk: int


class ModelsListing(BaseModel):
    model_config = ConfigDict(frozen=True)

    cache_root: str
    models_dir_env_var: str
    real_models: list[RealModelEntry]
    families: list[FamilyEntry]
    cached_twins: list[CachedTwinEntry]


def list_models(*, cache_root: Path | None = None) -> ModelsListing:
    """The registry: real models (and where their local copies are), twin families, cached twins."""
    from bench.twins.cache import cache_root as default_cache_root
    from bench.twins.cache import cached_twins
    from bench.twins.graph import build_graph

    root = cache_root or default_cache_root()
    real = []
    for model in REAL_MODELS.values():
        try:
            local = locate_real_model(model.name)
        except BenchError:  # misconfigured env var: show it as absent here, resolution says why
            local = None
        family = FAMILIES[model.family]
        real.append(
            RealModelEntry(
                name=model.name,
                display_name=model.display_name,
                family=model.family,
                context_length=family.context_length,
                architecture=family_architecture(family),
                published=PublishedBuildEntry(
                    quantization=model.published.quantization,
                    bits=model.published.bits,
                    block_size=model.published.block_size,
                    symmetric=model.published.symmetric,
                    io_dtype_by_provider=dict(model.published.io_dtype_by_provider),
                ),
                env_var=model.env_var,
                local_path=str(local) if local else None,
            )
        )
    families = [
        FamilyEntry(
            name=family.name,
            display_name=family.display_name,
            model_type=family.model_type,
            norm=family.norm,
            mlp=family.mlp,
            rope_theta=family.rope_theta,
            partial_rotary_factor=family.partial_rotary_factor,
            context_length=family.context_length,
            sizes={
                size: SizeEntry(
                    ref=f"twin:{family.name}:{size}",
                    note=family.size_notes.get(size, ""),
                    architecture=family_architecture(family, size),
                    data_bytes_cpu=build_graph(TwinSpec.create(family.name, size)).data_bytes,
                )
                for size in family.size_names
            },
        )
        for family in FAMILIES.values()
    ]
    cached = [
        CachedTwinEntry(
            ref=twin.spec.ref,
            provider=twin.spec.provider,
            path=str(twin.path),
            bytes_on_disk=twin.bytes_on_disk,
        )
        for twin in cached_twins(root=root)
    ]
    return ModelsListing(
        cache_root=str(root),
        models_dir_env_var=MODELS_DIR_ENV_VAR,
        real_models=real,
        families=families,
        cached_twins=cached,
    )


def synth_twin(
    *,
    family: str,
    size: str,
    out: Path | None = None,
    provider: str = "cpu",
    block_size: int | None = None,
    quant: str | None = None,
    seed: int = 0,
    dtype: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write a twin into ``out`` (must not exist), or into the cache when ``out`` is None."""
    from bench.twins.cache import ensure_twin
    from bench.twins.writer import write_twin

    if quant is not None and quant not in QUANT_NAMES:
        raise BenchError(f"unknown quant {quant!r}", field="--quant", hint="sym or asym")
    spec = TwinSpec.create(
        family,
        size,
        provider=provider,
        io_dtype=dtype,
        block_size=block_size,
        symmetric=None if quant is None else QUANT_NAMES[quant],
        seed=seed,
    )
    if out is None:
        return ensure_twin(spec, progress=progress)
    return write_twin(spec, out, progress=progress)


def _gb(count: int) -> str:
    return f"{count / 1e9:.2f} GB" if count >= 1e8 else f"{count / 1e6:.1f} MB"


def _shape(architecture: ArchitectureFacts) -> str:
    return (
        f"{architecture.num_layers} layers, hidden {architecture.hidden_size}, heads "
        f"{architecture.num_attention_heads}/{architecture.num_kv_heads} kv x {architecture.head_dim}, "
        f"ffn {architecture.intermediate_size}, vocab {architecture.vocab_size}"
    )


def _print_listing(listing: ModelsListing, console: Console) -> None:
    real = Table(title="Real models (registry names)", title_justify="left")
    for column in ("name", "model", "architecture", "context", "published build", "local copy"):
        real.add_column(column, overflow="fold")
    for model in listing.real_models:
        published = model.published
        real.add_row(
            model.name,
            model.display_name,
            _shape(model.architecture),
            f"{model.context_length:,}",
            f"{published.quantization} INT{published.bits} {'sym' if published.symmetric else 'asym'} "
            f"block {published.block_size}, fp16 I/O on GPUs",
            (escape(str(model.local_path)) if model.local_path else None)
            or f"[yellow]not configured[/] (set {model.env_var} or {listing.models_dir_env_var})",
        )
    console.print(real)
    sizes = Table(title="Twin families and sizes (twin:FAMILY:SIZE)", title_justify="left")
    for column in ("ref", "architecture", "context", "weights (cpu)", "note"):
        sizes.add_column(column, overflow="fold")
    for family in listing.families:
        for size in family.sizes.values():
            sizes.add_row(
                size.ref,
                _shape(size.architecture),
                f"{family.context_length:,}",
                _gb(size.data_bytes_cpu),
                size.note,
            )
    console.print(sizes)
    cached = Table(title=escape(f"Cached twins in {listing.cache_root}"), title_justify="left")
    for column in ("ref", "provider", "on disk", "folder"):
        cached.add_column(column, overflow="fold")
    for twin in listing.cached_twins:
        cached.add_row(twin.ref, twin.provider, _gb(twin.bytes_on_disk), escape(str(twin.path)))
    if not listing.cached_twins:
        cached.add_row(
            "(none yet: `bench models synth FAMILY --size SIZE` or any run on a twin builds one)", "", "", ""
        )
    console.print(cached)


@app.command("list")
def list_command(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one machine-readable JSON document on stdout.")
    ] = False,
) -> None:
    """Show the registry: real models with their architecture and context limits, twins, the cache."""
    listing = list_models()
    if json_output:
        typer.echo(listing.model_dump_json(indent=2))
        return
    _print_listing(listing, make_console())


@app.command("synth")
def synth_command(
    family: Annotated[str, typer.Argument(help=f"Model family: {', '.join(FAMILIES)}.")],
    size: Annotated[str, typer.Option("--size", "-s", help="Size preset: tiny, small or full.")] = "tiny",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder to create (must not exist). Default: the twin cache.", file_okay=False
        ),
    ] = None,
    provider: Annotated[
        str, typer.Option(help=f"Shape the graph as the builder does for: {', '.join(PROVIDERS)}.")
    ] = "cpu",
    block_size: Annotated[
        int | None, typer.Option(help="MatMulNBits block size (default 128, as published).")
    ] = None,
    quant: Annotated[
        str | None, typer.Option(help="sym or asym (default asym with zero points, as published).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random weights.")] = 0,
    dtype: Annotated[
        str | None, typer.Option(help="Graph I/O dtype (default float32 on cpu, float16 on GPUs).")
    ] = None,
) -> None:
    """Write a synthetic twin (real architecture, random INT4 weights) and print its folder."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = make_console(stderr=True)
    with Progress(
        TextColumn("[bold]writing twin[/]"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, description=what)

        folder = synth_twin(
            family=family,
            size=size,
            out=out,
            provider=provider,
            block_size=block_size,
            quant=quant,
            seed=seed,
            dtype=dtype,
            progress=progress,
        )
    typer.echo(str(folder))
