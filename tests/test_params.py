from pathlib import Path

import pytest

from simulation.params import (
    TABLE_BEGIN,
    TABLE_END,
    ParameterError,
    Parameters,
    leaf_fields,
    parameter_table,
    parameter_table_markdown,
    replace_parameter_table,
    validate,
    with_overrides,
)


def test_every_parameter_has_unit_source_and_description():
    for key, info in leaf_fields():
        extra = info.json_schema_extra or {}
        assert extra.get("source"), f"{key} has no source"
        assert extra.get("unit"), f"{key} has no unit"
        assert info.description, f"{key} has no description"


def test_overrides_apply_and_parse_strings():
    params = with_overrides(Parameters(), {"police.strategy": "hotspot", "police.guardianship": "0.5",
                                           "population.residents": 1234})
    assert params.police.strategy == "hotspot"
    assert params.police.guardianship == 0.5
    assert params.population.residents == 1234
    assert Parameters().police.strategy == "random"  # the defaults are untouched


def test_unknown_key_names_the_key_and_suggests_the_right_one():
    with pytest.raises(ParameterError, match=r"unknown parameter 'police\.strategi'.*police\.strategy"):
        with_overrides(Parameters(), {"police.strategi": "hotspot"})


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("police.guardianship", 1.5, r"police\.guardianship = 1\.5.*<= 1"),
    ("reporting.base.property", -0.1, r"reporting\.base\.property = -0\.1.*>= 0"),
    ("population.residents", -5, r"population\.residents = -5.*>= 100"),
    ("police.strategy", "helicopter", r"police\.strategy.*one of random, hotspot, community"),
])
def test_invalid_value_names_the_field_and_its_valid_range(key, value, expected):
    with pytest.raises(ParameterError, match=expected):
        with_overrides(Parameters(), {key: value})


def test_unknown_nested_key_in_a_tree_is_an_error_not_ignored():
    tree = Parameters().model_dump()
    tree["police"]["helicopters"] = 3
    with pytest.raises(ParameterError, match=r"unknown parameter 'police\.helicopters'"):
        validate(tree)


def test_age_pyramid_needs_nineteen_bands():
    with pytest.raises(ParameterError, match="19 shares"):
        with_overrides(Parameters(), {"population.age_pyramid": [1, 2, 3]})


def test_parameter_table_has_one_row_per_leaf():
    rows = parameter_table()
    assert len(rows) == len(list(leaf_fields()))
    assert {row["parameter"] for row in rows} >= {"opportunity.eta", "police.clearance.homicide"}
    markdown = parameter_table_markdown()
    assert markdown.count("\n") == len(rows) + 2


def test_replace_parameter_table_needs_markers():
    with pytest.raises(ParameterError, match="markers"):
        replace_parameter_table("no markers here")
    document = f"intro\n{TABLE_BEGIN}\nstale\n{TABLE_END}\noutro\n"
    updated = replace_parameter_table(document)
    assert "stale" not in updated and "`opportunity.eta`" in updated and updated.endswith("outro\n")


def test_odd_parameter_table_is_current():
    odd = Path(__file__).resolve().parent.parent / "docs" / "ODD.md"
    text = odd.read_text()
    assert replace_parameter_table(text) == text, (
        "docs/ODD.md's parameter table is stale: run `crimesim params --update-odd docs/ODD.md`")
