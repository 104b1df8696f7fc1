"""ray_cluster.yaml passes Ray's own config validation and keeps the
dashboard, jobs API, GCS and client ports private."""

import copy
import pathlib

import pytest
import yaml

pytest.importorskip("jsonschema")
util = pytest.importorskip("ray.autoscaler._private.util")
ray = pytest.importorskip("ray")

CONFIG_PATH = pathlib.Path(__file__).resolve().parents[1] / "ray_cluster.yaml"
#: Dashboard + jobs API, GCS, Ray client: never open to the internet.
PRIVATE_PORTS = (8265, 6379, 10001)


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(CONFIG_PATH.read_text())


def _validate(config: dict) -> dict:
    """What `ray up` does before touching a cloud: merge the provider's
    defaults.yaml and per-type worker bounds (offline, no boto3 call), then
    validate against ray-schema.json plus Ray's extra checks."""
    prepared = util.prepare_config(copy.deepcopy(config))
    util.validate_config(prepared)
    return prepared


def test_passes_ray_validation(config):
    prepared = _validate(config)
    assert prepared["head_node_type"] == "head"
    assert prepared["available_node_types"]["gpu_worker"]["max_workers"] == 8


def test_validation_rejects_a_broken_copy(config):
    """The validator is not vacuous: an unknown field, a mistyped worker
    count or a missing head type fails."""
    import jsonschema

    bad = {**copy.deepcopy(config), "max_wrokers": 3}
    with pytest.raises(jsonschema.ValidationError, match="max_wrokers"):
        _validate(bad)
    bad = copy.deepcopy(config)
    bad["available_node_types"]["gpu_worker"]["min_workers"] = "none"
    with pytest.raises(jsonschema.ValidationError, match="none"):
        _validate(bad)
    bad = {**copy.deepcopy(config), "head_node_type": "gpu_head"}
    with pytest.raises(ValueError, match="`head_node_type` must be one of"):
        _validate(bad)


def test_cpu_head_and_autoscaling_gpu_workers(config):
    types = config["available_node_types"]
    head = types[config["head_node_type"]]
    assert head["resources"]["GPU"] == 0 and head["resources"]["CPU"] > 0
    workers = [t for name, t in types.items() if name != config["head_node_type"]]
    assert len(workers) == 1
    (gpu,) = workers
    assert gpu["min_workers"] == 0 < gpu["max_workers"] <= config["max_workers"]
    assert gpu["resources"]["GPU"] >= 1


def test_installs_full_on_head_and_lean_cuda_on_workers(config):
    head = " ".join(config["head_setup_commands"])
    worker = " ".join(config["worker_setup_commands"])
    assert 'pip install -q -e ".[full]"' in head
    assert 'pip install -q -e . "jax[cuda12]"' in worker
    assert "full" not in worker and "tensorflow" not in worker
    assert any("ray start --head" in c for c in config["head_start_ray_commands"])
    assert any("ray start --address" in c for c in config["worker_start_ray_commands"])


def test_image_ray_version_matches_the_installed_ray(config):
    """Driver and cluster must run the same Ray version."""
    docker = config["docker"]
    for key in ("head_image", "worker_image"):
        assert docker[key].split(":")[1].startswith(f"{ray.__version__}-py311")


def test_dashboard_and_cluster_ports_stay_private(config):
    start = " ".join(config["head_start_ray_commands"])
    assert "--dashboard-host=127.0.0.1" in start
    assert "0.0.0.0" not in CONFIG_PATH.read_text().split("\ncluster_name")[1]
    rules = config["provider"]["security_group"]["IpPermissions"]
    for rule in rules:
        public = any(r.get("CidrIp") == "0.0.0.0/0" for r in rule.get("IpRanges", []))
        ports = range(rule.get("FromPort", 0), rule.get("ToPort", 65535) + 1)
        assert not (public and any(p in ports for p in PRIVATE_PORTS)), rule
