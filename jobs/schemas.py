"""The Parquet schemas of every result table revntk writes.

Each table lives in its own folder of a results directory, hive-partitioned by
experiment::

    RESULTS/<table>/experiment=<name>/<task_id>.parquet

so one table of every experiment reads as one dataset::

    import pyarrow.dataset as ds
    metrics = ds.dataset("RESULTS/metrics", partitioning="hive").to_table()

The columns below are the science columns; the writer in ``cluster`` appends
the provenance columns of ``cluster.PROVENANCE_SCHEMA`` (run, task, spec hash,
versions, device, wall time) to every row. A column that is empty in one file
(a metric of a diverged run, the width of an infinite-width kernel) keeps its
type: every file of a table has exactly this schema.

Row status values: ``ok``; ``diverged`` (a training run hit NaN/inf or a loss
above its bound: its metrics are null from then on); ``failed`` (the task
crashed; written to the ``failures`` table by the scheduler).
"""

from __future__ import annotations

import pyarrow as pa

STATUS_OK = "ok"
STATUS_DIVERGED = "diverged"
STATUS_FAILED = "failed"


def _field(name: str, type_: pa.DataType, doc: str = "") -> pa.Field:
    """A nullable field whose description travels in the Parquet metadata."""
    return pa.field(name, type_, metadata={"doc": doc} if doc else None)


_f64 = pa.float64()
_i64 = pa.int64()
_str = pa.string()

KERNELS = pa.schema(
    [
        _field("target", _str, doc="Name of the target kernel or net."),
        _field("kind", _str, doc="'nngp' or 'ntk'."),
        _field(
            "source",
            _str,
            doc="'target' (the kernel to mimic), 'fit' (its PSD polynomial), "
            "'exact' (infinite-width kernel of a designed activation), "
            "'empirical' (mean over finite nets).",
        ),
        _field("architecture", _str, doc="Net whose kernel this is, e.g. '1hl'."),
        _field("width", _i64, doc="Hidden width; null for infinite width."),
        _field("n_nets", _i64, doc="Nets averaged; null unless empirical."),
        _field("point", pa.int32(), doc="Index of the input point."),
        _field("c", _f64, doc="Cosine between the point and the reference."),
        _field("value", _f64, doc="Kernel value (mean over nets if empirical)."),
        _field("std", _f64, doc="Std over nets; null unless empirical."),
        _field("status", _str),
    ]
)

KERNEL_SHARDS = pa.schema(
    [
        _field("target", _str),
        _field("kind", _str),
        _field("width", _i64),
        _field("shard", _i64, doc="Index of this group of nets."),
        _field("point", pa.int32()),
        _field("c", _f64),
        _field("count", _i64, doc="Nets in this shard."),
        _field("mean", _f64, doc="Mean kernel over the shard's nets."),
        _field("m2", _f64, doc="Sum of squared deviations from that mean."),
        _field("status", _str),
    ]
)

DESIGNS = pa.schema(
    [
        _field("target", _str),
        _field("kind", _str, doc="Kernel the activation realises: 'nngp'/'ntk'."),
        _field(
            "method",
            _str,
            doc="'hermite' (Thm 3.1), 'ansatz' (fitted phi~), 'paper' (the "
            "paper's phi~), 'series' (power series of a given net's kernel).",
        ),
        _field("degree", pa.int32(), doc="Degree of the fitted polynomial."),
        _field("signs", _str, doc="Signs of h_0..h_n, e.g. '++--++'."),
        _field("fit_coeffs", pa.list_(_f64), doc="a_k of the fitted kernel."),
        _field("hermite_coeffs", pa.list_(_f64), doc="b_k of the activation."),
        _field("monomial_coeffs", pa.list_(_f64), doc="phi in powers of z."),
        _field("ansatz", pa.list_(_f64), doc="alpha..eta of the ansatz."),
        _field("max_error", _f64, doc="max |designed - target| on the grid."),
        _field("rms_error", _f64, doc="RMS of designed - target on the grid."),
        _field("objective", _f64, doc="Optimiser objective at the optimum."),
        _field("n_evals", _i64, doc="Objective evaluations used."),
        _field("seconds", _f64, doc="Time the design took."),
        _field("activation", _str, doc="The activation as JSON."),
        _field("status", _str),
    ]
)

_RUN_KEYS = [
    _field("dataset", _str),
    _field("normalisation", _str, doc="'uniform', 'mean' or 'none'."),
    _field("architecture", _str, doc="e.g. '1hl-relu', '4hl-relu', '1hl-ansatz'."),
    _field("model", _str, doc="'net', 'ntk-regression' or 'nngp-regression'."),
    _field(
        "phase",
        _str,
        doc="'curve', 'sweep' or 'cv' (E3); 'trial' (E4, trained to the stop).",
    ),
    _field("width", _i64, doc="Hidden width; null for kernel regression."),
    _field("n_params", _i64, doc="Trainable parameters; null for regression."),
    _field("seed", _i64, doc="Initialisation seed; null for regression."),
    _field("fold", pa.int32(), doc="Cross-validation fold; null outside 'cv'."),
    _field("split_seed", _i64, doc="Seed of the train/test split."),
    _field("step_size", _f64),
]

_METRICS = [
    _field("train_mse", _f64),
    _field("test_mse", _f64, doc="Validation MSE in phase 'cv'."),
    _field("train_acc", _f64),
    _field("test_acc", _f64, doc="Validation accuracy in phase 'cv'."),
]

CURVES = pa.schema(
    [*_RUN_KEYS, _field("epoch", _i64), *_METRICS, _field("status", _str)]
)

METRICS = pa.schema(
    [
        *_RUN_KEYS,
        _field("stop_epoch", _i64, doc="Epoch budget or chosen stopping epoch."),
        _field("epochs_run", _i64, doc="Epochs actually run (early stop)."),
        _field("diverged_epoch", _i64, doc="First diverged epoch; else null."),
        *_METRICS,
        _field("status", _str),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "kernels": KERNELS,
    "kernel_shards": KERNEL_SHARDS,
    "designs": DESIGNS,
    "curves": CURVES,
    "metrics": METRICS,
}
