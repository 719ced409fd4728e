"""The ``bench`` command line: thin typer commands over keyword-only core functions."""
