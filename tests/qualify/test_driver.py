from __future__ import annotations

import pytest

from bench.qualify.driver import DriverVersion, parse_driver_version


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("565.90", DriverVersion(565, 90)),
        ("572.16", DriverVersion(572, 16)),
        ("560.35.03", DriverVersion(560, 35, 3)),  # Linux
        ("R565", DriverVersion(565)),
        ("32.0.15.6590", DriverVersion(565, 90)),  # Windows driver store: the last five digits
        ("31.0.15.5176", DriverVersion(551, 76)),
        ("32.0.15.7216", DriverVersion(572, 16)),
    ],
)
def test_nvidia_and_windows_forms(text, expected):
    assert parse_driver_version(text) == expected


@pytest.mark.parametrize("text", ["", "latest", "5.1", "565.90.1.2.3"])
def test_anything_else_is_not_a_version(text):
    assert parse_driver_version(text) is None


def test_order_is_numeric_not_textual():
    assert parse_driver_version("551.86") < parse_driver_version("565.00") <= parse_driver_version("565.90")
