"""The ``bench`` application: registers one module per command and turns user errors into exit 2."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import bench
from bench.errors import BenchError


class BenchGroup(TyperGroup):
    """Catches ``BenchError`` anywhere below: one line on stderr, exit code 2, no traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BenchError as exc:
            typer.echo(f"error: {exc.one_line()}", err=True)
            raise typer.Exit(code=exc.exit_code) from None


app = typer.Typer(
    cls=BenchGroup,
    name="bench",
    help="Performance qualification for LLM inference on ONNX Runtime GenAI.\n\n"
    "Quick start: `bench run smoke` measures tiny synthetic twins of Mistral-Nemo-12B and "
    "Nemotron-Mini-4B on the CPU and writes a result file into results/.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish, PowerShell
    # Help text is plain text: rich markup would turn `twin:FAMILY:SIZE` into an emoji (:family:) and eat
    # `bench[cuda]` as a style tag. Click renders it as written.
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"bench {bench.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print bench's version and exit."
        ),
    ] = False,
) -> None:
    pass  # the options above act eagerly; the help text is the app's


def _register() -> None:
    from bench.cli import run as run_cmd

    app.command("run")(run_cmd.run)

    from bench.cli import export as export_cmd

    app.command("export")(export_cmd.export)

    from bench.cli import models as models_cmd

    app.add_typer(models_cmd.app, name="models")

    from bench.cli import env as env_cmd

    app.command("env")(env_cmd.env)

    from bench.cli import compare as compare_cmd

    app.command("compare")(compare_cmd.compare)

    from bench.cli import gate as gate_cmd

    app.command("gate")(gate_cmd.gate)

    from bench.cli import baseline as baseline_cmd

    app.add_typer(baseline_cmd.app, name="baseline")

    from bench.cli import ab as ab_cmd

    app.command("ab")(ab_cmd.ab)

    from bench.cli import dashboard as dashboard_cmd

    app.command("dashboard")(dashboard_cmd.dashboard)

    from bench.cli import ingest as ingest_cmd

    app.command("ingest")(ingest_cmd.ingest)

    from bench.cli import runs as runs_cmd

    app.command("runs")(runs_cmd.runs)

    from bench.cli import qualify as qualify_cmd

    app.command("qualify")(qualify_cmd.qualify)


_register()


def main() -> None:
    app(prog_name="bench")


if __name__ == "__main__":  # pragma: no cover
    main()
