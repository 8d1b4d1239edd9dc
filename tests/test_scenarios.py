from pathlib import Path

import pytest

from experiments.scenarios import (
    DEFAULT_FOLDER,
    Scenario,
    ScenarioError,
    list_scenarios,
    load_scenario,
    scenario_names,
)
from simulation.params import Parameters


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# The shipped scenarios
# --------------------------------------------------------------------------------------------


def test_every_shipped_scenario_validates_and_is_packaged():
    shipped = list_scenarios()
    names = [scenario.name for scenario in shipped]
    assert {"baseline", "punitive", "comprehensive"} <= set(names)
    assert names == sorted(names)
    for scenario in shipped:
        assert isinstance(scenario, Scenario)
        assert isinstance(scenario.params, Parameters)
        assert scenario.description and "\n" not in scenario.description
        assert scenario.path.parent == DEFAULT_FOLDER.resolve()
        assert scenario.chain[-1] == scenario.name
    assert (DEFAULT_FOLDER / "README.md").is_file()


LIBRARY = {
    "strategies across the pillars": {"baseline", "punitive", "comprehensive"},
    "police management": {"hotspot_policing", "community_policing"},
    "prevention of crime and violence": {"youth_prevention"},
    "public-security management": {"prison_reform", "private_security_regulation", "decentralised"},
}
OVERLAYS = {"disaster", "economic_crisis", "election_reversal", "trafficking_surge",
            "regional_cooperation"}


def test_the_library_has_every_strategy_by_pillar_and_the_overlays():
    shipped = {scenario.name: scenario for scenario in list_scenarios()}
    for pillar, names in LIBRARY.items():
        for name in names:
            assert shipped[name].pillar == pillar and not shipped[name].overlay, name
    assert {name for name, scenario in shipped.items() if scenario.overlay} == OVERLAYS
    # Every overlay lies over every strategy.
    for overlay in OVERLAYS:
        for name in ("punitive", "comprehensive"):
            assert load_scenario(f"{name}+{overlay}").chain[-1] == overlay


def test_focused_variants_spend_alike_and_more_than_baseline():
    from simulation.governance import planned_per_resident

    baseline = planned_per_resident(Parameters())
    focused = set().union(*LIBRARY.values()) - LIBRARY["strategies across the pillars"]
    costs = {name: planned_per_resident(load_scenario(name).params) for name in focused}
    assert all(1.15 * baseline < cost < 1.4 * baseline for cost in costs.values()), costs
    assert max(costs.values()) < 1.02 * min(costs.values()), costs


def test_every_shipped_scenario_file_starts_with_a_comment_block_that_gives_its_cost():
    for path in DEFAULT_FOLDER.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("#"), f"{path.name} does not start with a comment block"
        prose = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
        assert "Cost:" in prose, f"{path.name} does not say what it costs"
        assert "Real " in prose, f"{path.name} does not say which real policies it stands for"


def test_baseline_is_the_model_defaults():
    baseline = load_scenario("baseline")
    assert baseline.chain == ["baseline"]
    assert baseline.params == Parameters()


def test_punitive_has_more_police_broader_detention_and_longer_sentences_than_baseline():
    base = load_scenario("baseline").params
    baseline = base.police
    punitive = load_scenario("punitive")
    police, justice = punitive.params.police, punitive.params.justice
    assert punitive.chain == ["baseline", "punitive"]
    assert police.officers_per_100k >= 2 * baseline.officers_per_100k
    assert police.strategy == "mixed" and baseline.strategy == "random"
    assert police.mix.saturation > 0.5 and police.mix.community == 0
    assert police.military_per_100k > baseline.military_per_100k
    assert justice.pretrial.policy == "broad"
    assert justice.pretrial.broad_probability > base.justice.pretrial.broad_probability
    assert justice.sentencing.severity > base.justice.sentencing.severity
    assert justice.sentencing.alternatives < base.justice.sentencing.alternatives
    assert justice.sentencing.adult_age < base.justice.sentencing.adult_age
    # Little else: the punitive answer alone, prevention, integrity, rehabilitation and victim
    # levers at baseline.
    assert {key.split(".")[0] for key in punitive.overrides} == {"police", "justice"}
    assert justice.prison.rehabilitation_places_per_100k == base.justice.prison.rehabilitation_places_per_100k
    assert justice.reintegration == base.justice.reintegration and justice.victims == base.justice.victims
    assert police.training == baseline.training and police.oversight == baseline.oversight


def test_comprehensive_prevents_investigates_and_rehabilitates_without_harsher_punishment():
    base = load_scenario("baseline").params
    comprehensive = load_scenario("comprehensive")
    params = comprehensive.params
    punitive = load_scenario("punitive").params
    assert comprehensive.chain == ["baseline", "comprehensive"]

    assert base.police.officers_per_100k < params.police.officers_per_100k
    assert params.police.officers_per_100k < punitive.police.officers_per_100k
    assert params.police.strategy == "mixed"
    assert params.police.mix.community > 0 and params.police.mix.saturation == 0
    assert params.police.training > base.police.training
    assert params.police.oversight > base.police.oversight
    assert params.police.internal_audits > base.police.internal_audits
    assert params.police.detectives_per_100k > base.police.detectives_per_100k
    programmes = params.prevention.programmes
    assert min(programmes.youth_places_per_100k, programmes.renewal_blocks_per_year,
               programmes.interrupters_per_100k, programmes.councils, programmes.dv_places_per_100k) > 0
    assert params.governance.cross_party_agreement and not base.governance.cross_party_agreement
    # Only levers with a cost or a policy choice: the city itself is left as it is.
    assert {key.split(".")[0] for key in comprehensive.overrides} <= {
        "police", "justice", "prevention", "private_security", "governance"}

    justice, before = params.justice, base.justice
    assert justice.pretrial.policy == "restricted" and before.pretrial.policy == "broad"
    assert justice.sentencing.severity <= before.sentencing.severity
    assert justice.sentencing.alternatives > before.sentencing.alternatives
    assert justice.sentencing.adult_age == before.sentencing.adult_age
    assert justice.prison.separation > before.prison.separation
    assert justice.prison.rehabilitation_places_per_100k > before.prison.rehabilitation_places_per_100k
    assert justice.reintegration.places_per_100k > before.reintegration.places_per_100k
    assert justice.victims.assistance_places_per_100k > before.victims.assistance_places_per_100k
    assert justice.court.witness_protection > before.court.witness_protection


# --------------------------------------------------------------------------------------------
# Loading: names, paths, extends
# --------------------------------------------------------------------------------------------


def test_name_defaults_to_the_file_stem_and_can_be_set(tmp_path):
    write(tmp_path, "plain", 'description = "d"\n')
    write(tmp_path, "named", 'name = "Named scenario"\ndescription = "d"\n')
    assert load_scenario("plain", folder=tmp_path).name == "plain"
    assert load_scenario("named", folder=tmp_path).name == "Named scenario"


def test_a_scenario_loads_by_path_as_well_as_by_name(tmp_path):
    path = write(tmp_path, "mine", 'description = "d"\n[police]\nstrategy = "hotspot"\n')
    by_path = load_scenario(path)
    by_string = load_scenario(str(path))
    by_name = load_scenario("mine", folder=tmp_path)
    assert by_path == by_string == by_name
    assert by_path.path == path.resolve()
    assert by_path.params.police.strategy == "hotspot"


def test_extends_merges_the_parent_with_the_child_winning(tmp_path):
    write(tmp_path, "parent", 'description = "p"\n[police]\nofficers_per_100k = 200\n'
                              'strategy = "hotspot"\n')
    write(tmp_path, "child", 'description = "c"\nextends = "parent"\n'
                             '[police]\nofficers_per_100k = 250\n[city]\nlighting_mean = 0.7\n')
    child = load_scenario("child", folder=tmp_path)
    assert child.chain == ["parent", "child"]
    assert child.overrides == {"police.officers_per_100k": 250, "police.strategy": "hotspot",
                               "city.lighting_mean": 0.7}
    assert child.params.police.officers_per_100k == 250
    assert child.params.police.strategy == "hotspot"
    assert child.params.city.lighting_mean == 0.7
    assert child.description == "c"


def test_multi_level_chains_merge_from_the_root_to_the_leaf(tmp_path):
    write(tmp_path, "root", 'description = "r"\n[police]\nofficers_per_100k = 200\n'
                            'investigation_days = 100\n[police.clearance]\nhomicide = 0.5\n')
    write(tmp_path, "middle", 'description = "m"\nextends = "root"\n'
                              '[police]\nofficers_per_100k = 300\ninvestigation_days = 200\n')
    write(tmp_path, "leaf", 'description = "l"\nextends = "middle"\n[police]\ninvestigation_days = 300\n')
    leaf = load_scenario("leaf", folder=tmp_path)
    assert leaf.chain == ["root", "middle", "leaf"]
    assert leaf.params.police.clearance.homicide == 0.5  # set only by the root
    assert leaf.params.police.officers_per_100k == 300  # the middle wins over the root
    assert leaf.params.police.investigation_days == 300  # the leaf wins over both


def test_extends_accepts_a_relative_path_and_a_shipped_scenario(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "mine").mkdir()
    write(tmp_path / "shared", "base", 'description = "b"\n[police]\nstrategy = "hotspot"\n')
    path = write(tmp_path / "mine", "variant",
                 'description = "v"\nextends = "../shared/base.toml"\n[police]\ninvestigation_days = 30\n')
    variant = load_scenario(path)
    assert variant.chain == ["base", "variant"]
    assert variant.params.police.strategy == "hotspot" and variant.params.police.investigation_days == 30

    shipped = write(tmp_path, "harsher",
                    f'description = "h"\nextends = "{DEFAULT_FOLDER / "punitive.toml"}"\n'
                    "[police]\ninvestigation_days = 1000\n")
    harsher = load_scenario(shipped)
    assert harsher.chain == ["baseline", "punitive", "harsher"]
    assert harsher.params.police.officers_per_100k == load_scenario("punitive").params.police.officers_per_100k
    assert harsher.params.police.investigation_days == 1000


def test_lists_are_values_not_tables(tmp_path):
    pyramid = [5.0] * 19
    write(tmp_path, "young", f'description = "d"\n[population]\nage_pyramid = {pyramid}\n')
    young = load_scenario("young", folder=tmp_path)
    assert young.overrides == {"population.age_pyramid": pyramid}
    assert young.params.population.age_pyramid == tuple(pyramid)


def test_dotted_toml_keys_are_the_same_as_tables(tmp_path):
    write(tmp_path, "dotted", 'description = "d"\npolice.clearance.homicide = 0.6\n')
    assert load_scenario("dotted", folder=tmp_path).overrides == {"police.clearance.homicide": 0.6}


def test_scenario_names_lists_the_folder(tmp_path):
    write(tmp_path, "b", 'description = "d"\n')
    write(tmp_path, "a", 'description = "d"\n')
    assert scenario_names(tmp_path) == ["a", "b"]
    assert [s.name for s in list_scenarios(tmp_path)] == ["a", "b"]


# --------------------------------------------------------------------------------------------
# Malformed files: one ScenarioError naming the file, the key and the fix
# --------------------------------------------------------------------------------------------

MALFORMED = {
    "unknown lever": (
        'description = "d"\n[police]\noficers_per_100k = 300\n',
        ["police.oficers_per_100k", "police.officers_per_100k", "crimesim params"]),
    "lever in the wrong table": (
        'description = "d"\n[police]\nlighting_mean = 0.9\n',
        ["police.lighting_mean", "city.lighting_mean"]),
    "unknown top-level key": (
        'description = "d"\n[polise]\nstrategy = "hotspot"\n',
        ["top-level key 'polise'", "police", "extends", "crimesim params"]),
    "value out of range": (
        'description = "d"\n[police]\narrest_on_scene = 1.5\n',
        ["police.arrest_on_scene", "1.5", "<= 1"]),
    "bad choice for police.strategy": (
        'description = "d"\n[police]\nstrategy = "helicopter"\n',
        ["police.strategy", "helicopter", "random, hotspot"]),
    "wrong type": (
        'description = "d"\nyears = "ten"\n',
        ["years", "ten", "<= 100"]),
    "missing extends target": (
        'description = "d"\nextends = "basline"\n',
        ["extends", "basline", "Available: other"]),
    "missing extends path": (
        'description = "d"\nextends = "../nowhere/base.toml"\n',
        ["extends", "nowhere/base.toml", "no such file"]),
    "extends itself": (
        'description = "d"\nextends = "bad"\n',
        ["cycle", "bad -> bad"]),
    "TOML syntax error": (
        'description = "d"\n[police\nstrategy = "hotspot"\n',
        ["TOML syntax error", "line 2"]),
    "missing description": (
        '[police]\nstrategy = "hotspot"\n',
        ["missing `description`"]),
    "multi-line description": (
        'description = """one\ntwo"""\n',
        ["description", "one-line"]),
    "table where a value belongs": (
        'description = "d"\n[police.strategy]\nkind = "hotspot"\n',
        ["police.strategy", "not a table", "random, hotspot"]),
    "value where a table belongs": (
        'description = "d"\n[police]\nclearance = 0.5\n',
        ["police.clearance", "not a single value", "[police.clearance]", "homicide"]),
    "array of tables where a table belongs": (
        'description = "d"\n[[police]]\nstrategy = "hotspot"\n',
        ["'police'", "not a single value", "[police]"]),
    "inline table for a leaf": (
        'description = "d"\n[police]\ninvestigation_days = {days = 30}\n',
        ["police.investigation_days", "not a table"]),
    "extends is not a string": (
        'description = "d"\nextends = 3\n',
        ["extends = 3", "name of a scenario"]),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_file_raises_one_error_naming_the_file_and_the_key(tmp_path, case):
    text, expected = MALFORMED[case]
    write(tmp_path, "other", 'description = "a valid neighbour"\n')
    path = write(tmp_path, "bad", text)
    with pytest.raises(ScenarioError) as error:
        load_scenario("bad", folder=tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}: "), message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_scenario_error_is_a_value_error():
    assert issubclass(ScenarioError, ValueError)


def test_an_extends_cycle_lists_the_cycle(tmp_path):
    write(tmp_path, "a", 'description = "a"\nextends = "c"\n')
    write(tmp_path, "b", 'description = "b"\nextends = "a"\n')
    write(tmp_path, "c", 'description = "c"\nextends = "b"\n')
    with pytest.raises(ScenarioError, match=r"cycle: b -> a -> c -> b \(each extends the next\)") as error:
        load_scenario("b", folder=tmp_path)
    assert str(tmp_path) in str(error.value)


def test_a_bad_value_in_a_parent_is_reported_against_the_parent_file(tmp_path):
    parent = write(tmp_path, "parent", 'description = "p"\n[police]\ninvestigation_days = 0\n')
    write(tmp_path, "child", 'description = "c"\nextends = "parent"\n')
    with pytest.raises(ScenarioError) as error:
        load_scenario("child", folder=tmp_path)
    assert str(error.value).startswith(f"{parent}: police.investigation_days = 0")
    assert "> 0" in str(error.value)


def test_an_unknown_scenario_name_lists_the_available_ones(tmp_path):
    write(tmp_path, "alpha", 'description = "d"\n')
    write(tmp_path, "beta", 'description = "d"\n')
    with pytest.raises(ScenarioError, match=r"no scenario 'gamma'.*Available: alpha, beta"):
        load_scenario("gamma", folder=tmp_path)
    with pytest.raises(ScenarioError, match=r"no scenario 'punitiv'.*punitive"):
        load_scenario("punitiv")


def test_a_missing_path_is_named_in_the_error(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioError, match=r"nowhere\.toml: no such scenario file"):
        load_scenario(missing)


def test_list_scenarios_stops_at_an_invalid_file(tmp_path):
    write(tmp_path, "good", 'description = "d"\n')
    write(tmp_path, "typo", 'description = "d"\n[police]\nstrategi = "hotspot"\n')
    with pytest.raises(ScenarioError, match=r"typo\.toml: unknown parameter 'police\.strategi'"):
        list_scenarios(tmp_path)
