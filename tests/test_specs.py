"""Tests of jobs._spec_base and jobs._specs: presets, files, overrides, hashes.

No Ray here: every check is about the spec, which is validated before any
task exists.
"""

import hashlib
import json
import math

import pytest

import jobs
from jobs import EXPERIMENTS, PRESETS, SpecError, load_spec, spec_hash


@pytest.mark.parametrize("name", EXPERIMENTS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_validates(name, preset):
    spec = load_spec(name, preset=preset)
    assert spec.experiment == name
    # Round trip through JSON gives an equal spec and the same hash.
    again = type(spec).model_validate(json.loads(spec.model_dump_json()))
    assert again == spec
    assert spec_hash(again) == spec_hash(spec)


def test_paper_defaults_follow_the_protocol():
    e1 = load_spec("e1", preset=None)
    assert (e1.degree, e1.endpoint_weight, e1.signs, e1.n_points) == (
        5,
        0.1,
        "paper",
        100,
    )
    assert e1.empirical.widths == [2**14] and e1.empirical.n_nets == 16
    e4 = load_spec("e4", preset="paper")
    assert (e4.width, e4.trials, e4.max_epochs, e4.train_mse_tol) == (
        128,
        30,
        10_000,
        1e-3,
    )
    steps = {net.name: net.step_size for net in e4.nets}
    assert steps == {"4hl-relu": 0.1, "1hl-10sin6z": 0.01, "1hl-0.5sin6z": 0.1}
    e2 = load_spec("e2", preset="paper")
    assert math.isclose(e2.W_std, math.sqrt(2)) and e2.b_std == 0.1 and e2.depth == 4


def test_aliases_resolve():
    assert [jobs.resolve_experiment(f"e{i}") for i in range(1, 5)] == list(EXPERIMENTS)
    with pytest.raises(SpecError, match="unknown experiment 'e9'.*kernel_mimicry"):
        jobs.resolve_experiment("e9")


def test_overrides_change_fields_and_parse_yaml():
    spec = load_spec(
        "e3",
        preset="smoke",
        overrides=["sweep.widths=[256, 512]", "curve.seeds=3", "regression=false"],
    )
    assert spec.sweep.widths == [256, 512]
    assert spec.curve.seeds == 3 and spec.regression is False
    # Untouched nested fields keep the preset's values.
    assert spec.curve.width == load_spec("e3", preset="smoke").curve.width


def test_override_sets_a_nested_field_of_a_null_section():
    spec = load_spec("e2", preset="smoke", overrides=["empirical.n_nets=3"])
    assert spec.empirical.n_nets == 3


@pytest.mark.parametrize(
    ("name", "override", "field"),
    [
        ("e3", "datasets=[mnist]", "datasets"),
        ("e3", "sweep.widths=[16, 0]", "sweep.widths.1"),
        ("e3", "curve.width=-4", "curve.width"),
        ("e4", "width=0", "width"),
        ("e1", "empirical.widths=[0]", "empirical.widths.0"),
        ("e1", "targets=['c^3 - 0.5*c']", "targets"),
        ("e1", "signs=+-", "signs"),
        ("e4", "nets=[{name: x, activation: 'nonsense(z)'}]", "nets.0.activation"),
    ],
)
def test_invalid_values_name_the_field(name, override, field):
    with pytest.raises(SpecError) as err:
        load_spec(name, preset="smoke", overrides=[override])
    assert f"`{field}`" in str(err.value)


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(SpecError, match="unknown dataset 'mnist'.*wine-quality-red"):
        load_spec("e3", overrides=["datasets=[mnist]"])


def test_non_psd_target_names_the_coefficient():
    # c^3 - 0.5 c has a_1 = -0.5 < 0: no FCN has this kernel (Schoenberg).
    with pytest.raises(SpecError, match=r"a_1 = -0.5 of c is negative"):
        load_spec("e1", overrides=["targets=['c^3 - 0.5*c']"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("widthz=3", "unknown field `widthz`"),
        ("sweep.widthz=3", "unknown field `sweep.widthz`"),
        ("curve.width.x=3", "field `curve.width` has no sub-fields"),
        ("seeds", "expected FIELD=VALUE"),
        ("datasets=[unclosed", "not valid YAML"),
    ],
)
def test_bad_set_names_the_override(override, message):
    with pytest.raises(SpecError, match=message):
        load_spec("e3", preset="smoke", overrides=[override])


def test_unknown_field_in_a_spec_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("trials: 4\ntrialz: 5\n")
    with pytest.raises(SpecError, match="`trialz`: unknown field"):
        load_spec("e4", spec_file=path)


def test_spec_files_yaml_and_toml_agree(tmp_path):
    yml = tmp_path / "s.yaml"
    yml.write_text("trials: 4\nnets:\n  - {name: relu, activation: relu}\n")
    toml = tmp_path / "s.toml"
    toml.write_text('trials = 4\n[[nets]]\nname = "relu"\nactivation = "relu"\n')
    a = load_spec("e4", preset="smoke", spec_file=yml)
    b = load_spec("e4", preset="smoke", spec_file=toml)
    assert a == b and a.trials == 4 and [n.name for n in a.nets] == ["relu"]
    # The file applies over the preset, the overrides over the file.
    c = load_spec("e4", preset="smoke", spec_file=yml, overrides=["trials=6"])
    assert c.trials == 6 and c.width == a.width


def test_spec_hash_depends_on_values_only():
    a = load_spec("e4", preset="smoke", overrides=["trials=4", "width=8"])
    b = load_spec("e4", preset="smoke", overrides=["width=8", "trials=4"])
    c = load_spec("e4", preset="smoke", overrides=["trials=5", "width=8"])
    assert spec_hash(a) == spec_hash(b) != spec_hash(c)
    assert len(spec_hash(a)) == 64
    # Equal values in two experiments' specs never share a hash.
    assert spec_hash(load_spec("e1")) != spec_hash(load_spec("e2"))


def test_spec_hash_is_sha256_of_canonical_json():
    # Sorted keys and compact separators: any process, any field order.
    spec = load_spec("e4", preset=None)
    text = json.dumps(
        {"experiment": "parity", "spec": spec.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
    )
    assert spec_hash(spec) == hashlib.sha256(text.encode()).hexdigest()


def test_specs_are_frozen():
    spec = load_spec("e4", preset="smoke")
    with pytest.raises(Exception, match="frozen"):
        spec.trials = 3


def test_invalid_spec_starts_no_task(tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a task was scheduled for an invalid spec")

    monkeypatch.setattr(jobs, "run_spec", forbidden)
    monkeypatch.setattr("cluster.connect", forbidden)
    with pytest.raises(SpecError, match="`width`"):
        jobs.run_experiment(
            "parity", preset="smoke", results=tmp_path / "r", overrides=["width=0"]
        )
    assert not (tmp_path / "r").exists()


# --- Required and optional datasets, list items, wording, shared overrides ---


def test_cifar10_is_optional_by_default_and_required_when_listed():
    # The paper protocol and the quick preset list CIFAR-10 as optional (run
    # only when cached); smoke runs exactly its one UCI set.
    for preset in (None, "quick", "paper"):
        spec = load_spec("e3", preset=preset)
        assert spec.optional_datasets == ["cifar10"]
        assert "cifar10" not in spec.datasets
    assert load_spec("e3", preset="smoke").optional_datasets == []
    # Asked for by name, it is required: `datasets` is what the run needs.
    spec = load_spec("e3", preset="quick", overrides=["datasets=[cifar10]"])
    assert spec.datasets == ["cifar10"]
    with pytest.raises(SpecError, match="`optional_datasets`: unknown dataset"):
        load_spec("e3", overrides=["optional_datasets=[mnist]"])


def test_list_item_path_says_to_give_the_whole_list_with_its_current_value():
    import yaml

    with pytest.raises(SpecError) as info:
        load_spec("e4", preset="smoke", overrides=["nets.0.activation=relu"])
    message = str(info.value)
    assert "`nets` is a list" in message and "one by one" in message
    assert "unknown field" not in message
    # The suggested --set holds the current value; pasted back it changes
    # nothing.
    suggestion = message.split("--set '", 1)[1].rstrip("'")
    assert suggestion.startswith("nets=")
    again = load_spec("e4", preset="smoke", overrides=[suggestion])
    assert again == load_spec("e4", preset="smoke")
    shown = yaml.safe_load(suggestion.removeprefix("nets="))
    assert [n["name"] for n in shown] == ["4hl-relu", "1hl-10sin6z", "1hl-0.5sin6z"]
    # Nested lists show the preset's value, not the model default.
    with pytest.raises(SpecError, match=r"--set 'sweep\.widths=\[8, 32\]'"):
        load_spec("e3", preset="smoke", overrides=["sweep.widths.1=3"])


def test_bad_activation_says_activation_and_names_the_field():
    with pytest.raises(SpecError) as info:
        load_spec(
            "e4", preset="smoke", overrides=["nets=[{name: a, activation: foo(z)}]"]
        )
    message = str(info.value)
    assert "`nets.0.activation`: activation not understood: 'foo(z)'" in message
    assert "`spec`" not in message


def test_missing_spec_file_names_the_option(tmp_path):
    path = tmp_path / "nonexist.yaml"
    with pytest.raises(SpecError) as info:
        load_spec("e4", spec_file=path)
    assert f"`--spec {path}`: no such file" in str(info.value)
    assert "`spec_file`" not in str(info.value)


def test_shared_overrides_reach_every_spec_that_has_the_field():
    names = list(EXPERIMENTS)
    specs = jobs.load_specs(
        names, preset="paper", overrides=["resources.num_gpus=0", "trials=4"]
    )
    assert [s.experiment for s in specs] == names
    assert all(s.resources.num_gpus == 0 for s in specs)
    parity = specs[names.index("parity")]
    assert parity.trials == 4
    assert load_spec("e4", preset="paper").resources.num_gpus == 0.25  # was set
    with pytest.raises(SpecError, match="no experiment of this run .* `trialz`"):
        jobs.load_specs(names, preset="paper", overrides=["trialz=4"])
    # trials is a field of parity only: without parity, nobody takes it.
    with pytest.raises(SpecError, match="no experiment of this run"):
        jobs.load_specs(["e1", "e2"], preset="smoke", overrides=["trials=4"])
    with pytest.raises(SpecError, match="`nets` is a list"):
        jobs.load_specs(names, preset="smoke", overrides=["nets.0.name=x"])
