"""The key of one sweep point: ``model|provider|p<prompt>|b<batch>|o<output>``.

Point ids are how runs, baselines (measured and derived), the pytest plugin and the dashboard find the
same point again, so the format is built and read here only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from bench.errors import BenchError

_SHAPE = re.compile(r"^p(\d+)\|b(\d+)\|o(\d+)$")


class _Params(Protocol):
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def batch_size(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...


@dataclass(frozen=True, order=True)
class PointKey:
    model: str  # the model key (bench.models.identity.model_key): registry name, twin:..., name@sha
    provider: str
    prompt_tokens: int
    batch_size: int
    output_tokens: int

    @classmethod
    def of(cls, model: str, provider: str, params: _Params) -> PointKey:
        return cls(model, provider, params.prompt_tokens, params.batch_size, params.output_tokens)

    @property
    def shape(self) -> str:
        return f"p{self.prompt_tokens}|b{self.batch_size}|o{self.output_tokens}"

    @property
    def id(self) -> str:
        return f"{self.model}|{self.provider}|{self.shape}"

    def __str__(self) -> str:
        return self.id

    @classmethod
    def parse(cls, text: str) -> PointKey:
        """The key of a point id; the model key may itself hold ``|``-free ``:`` and ``@`` parts."""
        parts = text.split("|")
        match = _SHAPE.match("|".join(parts[-3:])) if len(parts) >= 5 else None
        if match is None:
            raise BenchError(
                f"not a point id: {text!r}",
                field="point id",
                hint="model|provider|p<prompt>|b<batch>|o<output>",
            )
        prompt, batch, output = (int(g) for g in match.groups())
        return cls("|".join(parts[:-4]), parts[-4], prompt, batch, output)
