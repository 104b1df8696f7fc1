"""Multi-seed full-batch gradient descent on the centred model (SPEC section 5).

Every seed ``s`` starts from ``theta_0 = init_params(jax.random.PRNGKey(s), fcn)``
and trains the centred model ``g(theta, x) = f(theta, x) - f(theta_0, x)`` on

.. math::

    \\mathcal{L}(\\theta) = \\frac{1}{n} \\sum_{i=1}^{n}
        \\lVert g(\\theta, x_i) - y_i \\rVert^2

(mean over samples of the squared error summed over outputs, no 1/2) by
full-batch optax steps. All seeds run in one compiled program: ``vmap`` over
seeds inside a ``lax.scan`` over record epochs, each holding a ``while_loop``
over epochs, so an epoch costs the forward and backward matmuls and nothing
talks to the host until the end. The test set is only evaluated at record
epochs.

Per-seed early stop and divergence freeze that seed's parameters (a select per
epoch) without affecting the others; the loop exits early once every seed is
frozen.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._nets import FCN, apply_fcn, init_params

__all__ = [
    "OPTIMIZERS",
    "TrainConfig",
    "TrainResult",
    "log_spaced_epochs",
    "train_multi_seed",
]

OPTIMIZERS = {
    "sgd": optax.sgd,
    "adam": optax.adam,
    "momentum": lambda lr: optax.sgd(lr, momentum=0.9),
}
"""Named optimizers of :class:`TrainConfig`, each ``step_size -> optax`` rule."""

DEFAULT_DIVERGENCE_BOUND = 1e6
"""Train MSE above which a seed counts as diverged. Targets are one-hot or +-1,
so a sane MSE is O(1); 1e6 is far past any useful fit yet well below float32
overflow of the squared outputs."""

STATUS_OK = "ok"
STATUS_DIVERGED = "diverged"


def log_spaced_epochs(
    max_epoch: int, n: int, *, include_zero: bool = False
) -> tuple[int, ...]:
    """About ``n`` log-spaced epochs from 1 to ``max_epoch`` (both included).

    Rounding merges duplicates at small epochs, so fewer than ``n`` may come
    back. ``include_zero`` prepends epoch 0 (the metrics at initialisation).

    Example:
        >>> log_spaced_epochs(1000, 4)
        (1, 10, 100, 1000)
    """
    if isinstance(max_epoch, bool) or not isinstance(max_epoch, numbers.Integral):
        raise TypeError(f"`max_epoch` must be an int; got {max_epoch!r}")
    if max_epoch < 1 or n < 1:
        raise ValueError(
            f"`max_epoch` and `n` must be >= 1; got max_epoch={max_epoch}, n={n}"
        )
    e = np.unique(np.round(np.geomspace(1, max_epoch, n)).astype(int))
    return ((0,) if include_zero else ()) + tuple(int(v) for v in e)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Full-batch training settings.

    Args:
        epochs: number of gradient steps ``T`` (an epoch is one full-batch step).
        step_size: learning rate ``eta`` (SPEC E3: 0.1).
        record_epochs: sorted distinct epochs in ``[0, epochs]`` at which train
            and test metrics are recorded; epoch ``t`` means after ``t`` steps
            (0 = at initialisation). Empty means only the final metrics.
        stop_train_mse: per-seed early stop: a seed stops at the first epoch
            whose train MSE is below this (SPEC E4: 1e-3); ``None`` never stops.
        divergence_bound: a seed whose train MSE is NaN, inf or above this is
            marked diverged; see :data:`DEFAULT_DIVERGENCE_BOUND`.
        optimizer: a key of :data:`OPTIMIZERS`, built as
            ``OPTIMIZERS[optimizer](step_size)``.
    """

    epochs: int
    step_size: float = 0.1
    record_epochs: tuple[int, ...] = ()
    stop_train_mse: float | None = None
    divergence_bound: float = DEFAULT_DIVERGENCE_BOUND
    optimizer: str = "sgd"

    def __post_init__(self) -> None:
        if isinstance(self.epochs, bool) or not isinstance(
            self.epochs, numbers.Integral
        ):
            raise TypeError(f"`epochs` must be an int; got {self.epochs!r}")
        if self.epochs < 0:
            raise ValueError(f"`epochs` must be >= 0; got {self.epochs}")
        rec = tuple(int(e) for e in self.record_epochs)
        if any(b <= a for a, b in zip(rec[:-1], rec[1:], strict=False)) or (
            rec and (rec[0] < 0 or rec[-1] > self.epochs)
        ):
            raise ValueError(
                f"`record_epochs` must be strictly increasing ints in "
                f"[0, epochs={self.epochs}]; got {self.record_epochs!r}"
            )
        object.__setattr__(self, "record_epochs", rec)
        if not (math.isfinite(self.step_size) and self.step_size > 0):
            raise ValueError(
                f"`step_size` must be finite and > 0; got {self.step_size}"
            )
        if self.stop_train_mse is not None and not self.stop_train_mse > 0:
            raise ValueError(
                f"`stop_train_mse` must be > 0 or None; got {self.stop_train_mse}"
            )
        if not self.divergence_bound > 0:
            raise ValueError(
                f"`divergence_bound` must be > 0; got {self.divergence_bound}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(
                f"`optimizer` must be one of {sorted(OPTIMIZERS)}; "
                f"got {self.optimizer!r}"
            )


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """Metrics of a multi-seed run, NumPy arrays, seeds along axis 0.

    Attributes:
        seeds: ``(S,)`` the seeds.
        record_epochs: ``(R,)`` the record epochs of the config.
        train_mse, test_mse, train_accuracy, test_accuracy: ``(S, R)``.
            After a seed's early stop its parameters are frozen, so later
            records repeat the frozen net's metrics (``epochs_run`` says when it
            stopped). From a seed's divergence epoch on, its records are NaN.
            Accuracy is argmax agreement for several outputs and sign agreement
            (``g(x) y > 0``, so a zero output counts as wrong) for one output.
            At epoch 0 the centred outputs are zero only up to float rounding
            (``f(theta_0, x)`` may be computed by two XLA fusions), so epoch-0
            accuracy is decided by rounding noise; epoch-0 MSE is exact to
            that rounding.
        epochs_run: ``(S,)`` steps taken: the early-stop or divergence epoch,
            else ``config.epochs``.
        stopped: ``(S,)`` bool, whether the seed stopped early on its train MSE.
        status: ``(S,)`` str, ``"ok"`` or ``"diverged"``.
        diverged_epoch: ``(S,)`` int, epoch at which divergence was seen, -1 if
            never.
        final_train_mse, final_test_mse, final_train_accuracy,
        final_test_accuracy: ``(S,)`` metrics of the final (possibly frozen)
            parameters; NaN for diverged seeds.
        final_params: the final parameters stacked over seeds (leading axis
            ``S``), only when requested.
    """

    seeds: np.ndarray
    record_epochs: np.ndarray
    train_mse: np.ndarray
    test_mse: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray
    epochs_run: np.ndarray
    stopped: np.ndarray
    status: np.ndarray
    diverged_epoch: np.ndarray
    final_train_mse: np.ndarray
    final_test_mse: np.ndarray
    final_train_accuracy: np.ndarray
    final_test_accuracy: np.ndarray
    final_params: list | None = None

    def to_rows(self) -> list[dict]:
        """One plain dict per (seed, record epoch), for tables."""
        rows = []
        for i, seed in enumerate(self.seeds):
            for j, epoch in enumerate(self.record_epochs):
                rows.append(
                    {
                        "seed": int(seed),
                        "epoch": int(epoch),
                        "train_mse": float(self.train_mse[i, j]),
                        "test_mse": float(self.test_mse[i, j]),
                        "train_accuracy": float(self.train_accuracy[i, j]),
                        "test_accuracy": float(self.test_accuracy[i, j]),
                        "status": str(self.status[i]),
                        "epochs_run": int(self.epochs_run[i]),
                    }
                )
        return rows


def _metrics(out: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """MSE and accuracy of centred outputs ``out`` ``(n, k)`` against ``y``."""
    mse = jnp.mean(jnp.sum((out - y) ** 2, axis=-1))
    if y.shape[-1] == 1:
        acc = jnp.mean((out[:, 0] * y[:, 0]) > 0)
    else:
        acc = jnp.mean(jnp.argmax(out, -1) == jnp.argmax(y, -1))
    return mse, acc.astype(out.dtype)


def _train_program(
    seeds, step_sizes, x_tr, y_tr, x_te, y_te, epochs_arr, thresh, bound,
    *, fcn, optimizer, seed_batch, return_params,
):  # fmt: skip
    """The compiled multi-seed program; see :func:`train_multi_seed`."""
    dtype = x_tr.dtype
    if isinstance(optimizer, str):
        make_opt = OPTIMIZERS[optimizer]
    else:
        make_opt = lambda lr: optimizer

    def check(loss, t, st):
        active, stop_ep, div_ep = st
        bad = active & (~jnp.isfinite(loss) | (loss > bound))
        stop = active & ~bad & (loss < thresh)
        return (
            active & ~bad & ~stop,
            jnp.where(stop | bad, t, stop_ep),
            jnp.where(bad, t, div_ep),
        )

    def one_seed(seed_and_lr):
        seed, lr = seed_and_lr
        opt = make_opt(lr)
        params0 = init_params(jax.random.PRNGKey(seed), fcn, dtype=dtype)
        f0_tr = apply_fcn(params0, x_tr, fcn)
        f0_te = apply_fcn(params0, x_te, fcn)

        def loss_fn(p):
            return _metrics(apply_fcn(p, x_tr, fcn) - f0_tr, y_tr)[0]

        def epoch_body(carry):
            t, p, s, st = carry
            loss, g = jax.value_and_grad(loss_fn)(p)
            st = check(loss, t, st)
            upd, s_new = opt.update(g, s, p)
            p_new = optax.apply_updates(p, upd)
            keep = functools.partial(jnp.where, st[0])
            return t + 1, jax.tree.map(keep, p_new, p), jax.tree.map(keep, s_new, s), st

        def segment(carry, target):
            carry = jax.lax.while_loop(
                lambda c: (c[0] < target) & c[3][0], epoch_body, carry
            )
            _, p, s, st = carry
            tr_mse, tr_acc = _metrics(apply_fcn(p, x_tr, fcn) - f0_tr, y_tr)
            te_mse, te_acc = _metrics(apply_fcn(p, x_te, fcn) - f0_te, y_te)
            st = check(tr_mse, target, st)
            rec = jnp.stack([tr_mse, te_mse, tr_acc, te_acc])
            return (target, p, s, st), jnp.where(st[2] >= 0, jnp.nan, rec)

        st0 = (jnp.array(True), epochs_arr[-1], jnp.array(-1, jnp.int32))
        carry = (jnp.array(0, jnp.int32), params0, opt.init(params0), st0)
        (_, p, _, (_, stop_ep, div_ep)), recs = jax.lax.scan(segment, carry, epochs_arr)
        return recs, stop_ep, div_ep, (p if return_params else None)

    if seed_batch >= seeds.shape[0]:
        return jax.vmap(one_seed)((seeds, step_sizes))
    if seed_batch == 1:
        return jax.lax.map(one_seed, (seeds, step_sizes))
    return jax.lax.map(one_seed, (seeds, step_sizes), batch_size=seed_batch)


_compiled_program = jax.jit(
    _train_program, static_argnames=("fcn", "optimizer", "seed_batch", "return_params")
)


def _as_targets(name: str, y, n_out: int, n: int, dtype) -> jax.Array:
    y = jnp.asarray(y, dtype=dtype)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape != (n, n_out):
        raise ValueError(
            f"`{name}` must have shape ({n}, {n_out}) (or ({n},) for one output) "
            f"to match the inputs and `fcn.d_out`; got shape {tuple(y.shape)}"
        )
    return y


def train_multi_seed(
    fcn: FCN,
    seeds: Sequence[int],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    config: TrainConfig,
    *,
    step_sizes: Sequence[float] | None = None,
    optimizer: optax.GradientTransformation | None = None,
    seed_batch: int | None = None,
    return_params: bool = False,
) -> TrainResult:
    """Train one net per seed, all seeds in one compiled program.

    Args:
        fcn: the architecture (must be hashable: it is a static argument).
        seeds: ``S`` distinct ints in ``[0, 2^31)``; seed ``s`` initialises from
            ``jax.random.PRNGKey(s)``, so results are deterministic and a seed
            trained alone gives the same numbers as within a group (up to
            float rounding of batched matmuls).
        x_train: ``(n, d_in)``. y_train: ``(n, d_out)``, or ``(n,)`` when
            ``d_out == 1``. x_test: ``(m, d_in)``. y_test: like ``y_train``.
        config: see :class:`TrainConfig`.
        step_sizes: optional per-seed learning rates ``(S,)`` overriding
            ``config.step_size`` (e.g. a step sweep in one program).
        optimizer: an optax transformation used as given, in place of
            ``config.optimizer``/``step_size``/``step_sizes``. It is a static
            argument: reuse the same object to avoid recompiling.
        seed_batch: how many seeds run side by side (``vmap``); groups of
            this size run one after another inside the same program
            (``lax.map``). ``None`` picks all seeds at once on accelerators and
            one at a time on CPU, where batched matmuls gain nothing and frozen
            (early-stopped) seeds would still cost compute.
        return_params: also return the final parameters.

    Returns:
        A :class:`TrainResult`.

    Calls with the same ``fcn``, optimizer name or object, number of seeds,
    data shapes, dtype and number of record epochs reuse one compiled program;
    step sizes, epochs, thresholds, seeds and data values are runtime values.
    Inputs are cast to JAX's default float (float64 when x64 is enabled).
    """
    seeds_np = np.asarray(seeds)
    if seeds_np.ndim != 1 or seeds_np.size == 0 or seeds_np.dtype.kind not in "iu":
        raise ValueError(f"`seeds` must be a non-empty 1-D list of ints; got {seeds!r}")
    if np.any(seeds_np < 0) or np.any(seeds_np >= 2**31):
        raise ValueError(f"`seeds` must lie in [0, 2**31); got {seeds!r}")
    if len(np.unique(seeds_np)) != seeds_np.size:
        raise ValueError(f"`seeds` must be distinct; got {seeds!r}")
    try:
        hash(fcn)
    except TypeError as err:
        raise TypeError(
            "`fcn` must be hashable (its activation must be a function or a "
            f"frozen activation value); got activation {fcn.activation!r}"
        ) from err
    dtype = jnp.zeros(()).dtype
    x_tr = jnp.asarray(x_train, dtype=dtype)
    x_te = jnp.asarray(x_test, dtype=dtype)
    for name, x in (("x_train", x_tr), ("x_test", x_te)):
        if x.ndim != 2 or x.shape[1] != fcn.d_in:
            raise ValueError(
                f"`{name}` must have shape (n, d_in={fcn.d_in}); "
                f"got shape {tuple(x.shape)}"
            )
    y_tr = _as_targets("y_train", y_train, fcn.d_out, x_tr.shape[0], dtype)
    y_te = _as_targets("y_test", y_test, fcn.d_out, x_te.shape[0], dtype)
    n_seeds = seeds_np.size
    if step_sizes is None:
        lrs = np.full(n_seeds, config.step_size)
    else:
        lrs = np.asarray(step_sizes, dtype=np.float64)
        if lrs.shape != (n_seeds,) or not np.all(np.isfinite(lrs) & (lrs > 0)):
            raise ValueError(
                f"`step_sizes` must hold one finite step > 0 per seed ({n_seeds}); "
                f"got {step_sizes!r}"
            )
    if optimizer is not None and not isinstance(
        optimizer, optax.GradientTransformation
    ):
        raise TypeError(
            f"`optimizer` must be an optax.GradientTransformation; got {optimizer!r}"
        )
    if seed_batch is None:
        seed_batch = 1 if jax.default_backend() == "cpu" else n_seeds
    if isinstance(seed_batch, bool) or not isinstance(seed_batch, numbers.Integral):
        raise TypeError(f"`seed_batch` must be an int or None; got {seed_batch!r}")
    if seed_batch < 1:
        raise ValueError(f"`seed_batch` must be >= 1; got {seed_batch}")
    seed_batch = min(int(seed_batch), n_seeds)
    rec = config.record_epochs
    internal = rec if rec and rec[-1] == config.epochs else (*rec, config.epochs)
    recs, stop_ep, div_ep, params = _compiled_program(
        jnp.asarray(seeds_np, jnp.uint32),
        jnp.asarray(lrs, dtype),
        x_tr,
        y_tr,
        x_te,
        y_te,
        jnp.asarray(internal, jnp.int32),
        jnp.asarray(
            -np.inf if config.stop_train_mse is None else config.stop_train_mse
        ),
        jnp.asarray(config.divergence_bound, dtype),
        fcn=fcn,
        optimizer=config.optimizer if optimizer is None else optimizer,
        seed_batch=seed_batch,
        return_params=return_params,
    )
    recs = np.moveaxis(np.asarray(recs, dtype=np.float64), 0, -1)  # (R', 4, S)
    div_ep = np.asarray(div_ep).astype(np.int64)
    stop_ep = np.asarray(stop_ep).astype(np.int64)
    diverged = div_ep >= 0
    n_rec = len(rec)
    names = ("train_mse", "test_mse", "train_accuracy", "test_accuracy")
    curves = {n: recs[:n_rec, i, :].T.copy() for i, n in enumerate(names)}
    finals = {f"final_{n}": recs[-1, i, :].copy() for i, n in enumerate(names)}
    return TrainResult(
        seeds=seeds_np.astype(np.int64),
        record_epochs=np.asarray(rec, dtype=np.int64),
        **curves,
        epochs_run=stop_ep,
        stopped=~diverged & (stop_ep < config.epochs),
        status=np.where(diverged, STATUS_DIVERGED, STATUS_OK),
        diverged_epoch=div_ep,
        **finals,
        final_params=None if params is None else jax.device_get(params),
    )
