"""Multi-seed full-batch training against a plain per-epoch reference loop."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from revntk_core.engine import (
    FCN,
    TrainConfig,
    apply_fcn,
    cross_validate_stop_epoch,
    init_params,
    log_spaced_epochs,
    train_multi_seed,
)
from revntk_core.engine._cv import _choose_epoch
from revntk_core.engine._train import _compiled_program

N_TRAIN, N_TEST, D_IN = 32, 16, 4
FCN_1HL = FCN(D_IN, (64,), 1, jax.nn.relu)
FCN_2OUT = FCN(D_IN, (32, 32), 3, jnp.tanh, W_std=1.5, b_std=0.1)
SEEDS = [0, 1, 2]


def _problem(seed=0, n_out=1):
    """Fixed small problem: inputs on the sphere of radius sqrt(d_in)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_TRAIN + N_TEST, D_IN))
    x *= np.sqrt(D_IN) / np.linalg.norm(x, axis=1, keepdims=True)
    if n_out == 1:
        y = np.sign(x[:, 0] * x[:, 1] + 0.3 * x[:, 2])
    else:
        y = np.eye(n_out)[np.argmax(x[:, :n_out], axis=1)]
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def _reference(fcn, seed, x, y, xt, yt, step, epochs, opt=None):
    """Plain GD loop: train MSE of every epoch 0..epochs, and final test MSE."""
    y, yt = jnp.asarray(y).reshape(len(x), -1), jnp.asarray(yt).reshape(len(xt), -1)
    p = init_params(jax.random.PRNGKey(seed), fcn)
    f0, f0t = apply_fcn(p, x, fcn), apply_fcn(p, xt, fcn)
    opt = opt or optax.sgd(step)
    state = opt.init(p)

    def loss(p):
        return jnp.mean(jnp.sum((apply_fcn(p, x, fcn) - f0 - y) ** 2, -1))

    @jax.jit
    def step_fn(p, state):
        value, g = jax.value_and_grad(loss)(p)
        upd, state = opt.update(g, state, p)
        return value, optax.apply_updates(p, upd), state

    losses = []
    for _ in range(epochs):
        value, p, state = step_fn(p, state)
        losses.append(float(value))
    losses.append(float(loss(p)))
    test = float(jnp.mean(jnp.sum((apply_fcn(p, xt, fcn) - f0t - yt) ** 2, -1)))
    return np.array(losses), test


@pytest.mark.parametrize("fcn", [FCN_1HL, FCN_2OUT], ids=["1hl_relu", "2hl_tanh_3out"])
def test_matches_reference_loop(fcn):
    """Epoch indexing, centred model and loss agree with a hand-written loop.

    float32, 200 epochs; both run the same ops, rel. 1e-5 covers fusion order.
    """
    x, y, xt, yt = _problem(n_out=fcn.d_out)
    epochs = 200
    rec = (0, 1, 7, 50, 200)
    res = train_multi_seed(
        fcn,
        SEEDS,
        x,
        y,
        xt,
        yt,
        TrainConfig(epochs=epochs, step_size=0.2, record_epochs=rec),
    )
    for i, seed in enumerate(SEEDS):
        losses, test = _reference(fcn, seed, x, y, xt, yt, 0.2, epochs)
        np.testing.assert_allclose(res.train_mse[i], losses[list(rec)], rtol=1e-5)
        np.testing.assert_allclose(res.final_test_mse[i], test, rtol=1e-5)
    assert np.all(res.status == "ok") and np.all(res.epochs_run == epochs)


def test_centred_model_is_zero_at_init():
    """g(theta_0, x) = 0: epoch-0 MSE is mean |y|^2 = 1 for +-1 targets.

    MSE = 1 - 2 mean(g y) + mean(g^2); f(theta_0, x) is O(1), so an uncentred
    model would be off by O(1). f and f(theta_0) may be computed by different
    XLA fusions, so g is zero only up to float32 rounding (~1e-7): 1e-6.
    """
    x, y, xt, yt = _problem()
    res = train_multi_seed(
        FCN_1HL, SEEDS, x, y, xt, yt, TrainConfig(epochs=0, record_epochs=(0,))
    )
    np.testing.assert_allclose(res.train_mse, 1.0, atol=1e-6)
    np.testing.assert_allclose(res.test_mse, 1.0, atol=1e-6)


@pytest.mark.parametrize("x64", [False, True])
def test_multi_seed_equals_each_seed_alone(x64):
    """1HL ReLU, 2000 epochs: the group run gives each seed's lone-run losses.

    Seeds never interact, so only float rounding of batched against unbatched
    matmuls differs: float32 1e-4 relative after 2000 steps (GD contracts
    perturbations; measured ~2e-5), float64 1e-10.
    """
    with jax.experimental.enable_x64(x64):
        x, y, xt, yt = _problem()
        cfg = TrainConfig(
            epochs=2000, step_size=0.5, record_epochs=log_spaced_epochs(2000, 8)
        )
        rtol = 1e-10 if x64 else 1e-4
        for seed_batch in (1, 3):
            group = train_multi_seed(
                FCN_1HL, SEEDS, x, y, xt, yt, cfg, seed_batch=seed_batch
            )
            for i, seed in enumerate(SEEDS):
                alone = train_multi_seed(FCN_1HL, [seed], x, y, xt, yt, cfg)
                for name in ("train_mse", "test_mse"):
                    np.testing.assert_allclose(
                        getattr(group, name)[i], getattr(alone, name)[0], rtol=rtol
                    )
        assert group.train_mse[:, -1].max() < 0.3 * group.train_mse[:, 0].min()


def test_diverging_seed_is_reported_and_others_finish():
    """Seed 1 gets step 50 (far above 2/lambda_max), the others 0.5."""
    x, y, xt, yt = _problem()
    cfg = TrainConfig(epochs=300, step_size=0.5, record_epochs=(0, 10, 100, 300))
    res = train_multi_seed(
        FCN_1HL, SEEDS, x, y, xt, yt, cfg, step_sizes=[0.5, 50.0, 0.5]
    )
    assert list(res.status) == ["ok", "diverged", "ok"]
    assert (
        0 < res.diverged_epoch[1] <= 10 and res.epochs_run[1] == res.diverged_epoch[1]
    )
    assert np.all(np.isnan(res.train_mse[1, 1:])) and np.isnan(res.final_test_mse[1])
    assert res.train_mse[1, 0] == 1.0  # epoch 0 precedes the divergence
    ok = train_multi_seed(FCN_1HL, [0, 2], x, y, xt, yt, cfg)
    for name in ("train_mse", "test_mse", "test_accuracy"):
        np.testing.assert_allclose(
            getattr(res, name)[[0, 2]], getattr(ok, name), rtol=1e-5
        )
    assert np.all(np.isfinite(res.final_train_mse[[0, 2]]))
    assert np.all(res.diverged_epoch[[0, 2]] == -1)


def test_divergence_bound():
    """A finite but large loss counts as diverged when above the bound."""
    x, y, xt, yt = _problem()
    cfg = TrainConfig(epochs=5, record_epochs=(0, 5), divergence_bound=0.5)
    res = train_multi_seed(FCN_1HL, [0], x, y, xt, yt, cfg)  # epoch-0 MSE is 1
    assert res.status[0] == "diverged" and res.diverged_epoch[0] == 0


def test_early_stop_epoch_and_frozen_records():
    """Each seed stops at the first epoch whose train MSE is below the
    threshold, found independently from the reference loop's loss curve."""
    x, y, xt, yt = _problem()
    thresh, epochs = 0.3, 1500
    cfg = TrainConfig(
        epochs=epochs, step_size=0.5, record_epochs=(0, 100, 1000, 1500),
        stop_train_mse=thresh,
    )  # fmt: skip
    res = train_multi_seed(FCN_1HL, SEEDS, x, y, xt, yt, cfg)
    for i, seed in enumerate(SEEDS):
        losses, _ = _reference(FCN_1HL, seed, x, y, xt, yt, 0.5, epochs)
        first = int(np.argmax(losses < thresh))
        assert losses[first] < thresh <= losses[first - 1]
        # float32 rounding can move a loss across the threshold by one epoch.
        assert abs(res.epochs_run[i] - first) <= 1
        assert res.stopped[i] and res.status[i] == "ok"
        later = res.record_epochs >= res.epochs_run[i]
        np.testing.assert_array_equal(res.train_mse[i, later], res.final_train_mse[i])
        assert res.final_train_mse[i] < thresh


def test_second_call_does_not_recompile():
    """Changing step, epochs, threshold, seeds and data values reuses the program."""
    x, y, xt, yt = _problem()
    cfg = TrainConfig(epochs=20, record_epochs=(5, 20))
    train_multi_seed(FCN_1HL, [0, 1], x, y, xt, yt, cfg)
    size = _compiled_program._cache_size()
    cfg2 = TrainConfig(
        epochs=40, step_size=0.3, record_epochs=(1, 40), stop_train_mse=0.1
    )
    train_multi_seed(FCN_1HL, [5, 9], x + 0.1, y, xt, yt, cfg2)
    assert _compiled_program._cache_size() == size


def test_deterministic():
    x, y, xt, yt = _problem()
    cfg = TrainConfig(epochs=50, record_epochs=(10, 50))
    a = train_multi_seed(FCN_1HL, SEEDS, x, y, xt, yt, cfg)
    b = train_multi_seed(FCN_1HL, SEEDS, x, y, xt, yt, cfg)
    np.testing.assert_array_equal(a.train_mse, b.train_mse)
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)


def test_custom_optimizer_matches_reference():
    """An optax transformation passed in is used as given (Adam, 30 epochs)."""
    x, y, xt, yt = _problem()
    opt = optax.adam(1e-2)
    res = train_multi_seed(
        FCN_1HL, [4], x, y, xt, yt, TrainConfig(epochs=30, record_epochs=(30,)),
        optimizer=opt,
    )  # fmt: skip
    losses, _ = _reference(FCN_1HL, 4, x, y, xt, yt, None, 30, opt=opt)
    np.testing.assert_allclose(res.train_mse[0, 0], losses[30], rtol=1e-5)


def test_accuracy_definitions():
    """Argmax for one-hot targets, recomputed by hand from returned params."""
    x, y, xt, yt = _problem(n_out=3)
    res = train_multi_seed(
        FCN_2OUT, [0], x, y, xt, yt, TrainConfig(epochs=100, step_size=0.2),
        return_params=True,
    )  # fmt: skip
    p = jax.tree.map(lambda a: a[0], res.final_params)
    p0 = init_params(jax.random.PRNGKey(0), FCN_2OUT)
    g = apply_fcn(p, jnp.asarray(xt, jnp.float32), FCN_2OUT) - apply_fcn(
        p0, jnp.asarray(xt, jnp.float32), FCN_2OUT
    )
    acc = np.mean(np.argmax(g, 1) == np.argmax(yt, 1))
    assert res.final_test_accuracy[0] == pytest.approx(acc)


def test_choose_epoch_earliest_on_ties_and_nan():
    epochs = np.array([1, 10, 100, 1000])
    assert _choose_epoch(np.array([0.5, 0.8, 0.8, 0.7]), epochs) == 10
    assert _choose_epoch(np.array([np.nan, 0.6, np.nan, 0.9]), epochs) == 1000
    assert _choose_epoch(np.full(4, np.nan), epochs) is None


def test_cross_validation_constructed_case():
    """Epoch 1 at a tiny step is barely trained, a trained net on a linearly
    separable target scores ~1, and two long runs that both fit the folds tie:
    the earliest of the tied epochs is chosen. The curves equal a manual
    retraining on the same folds."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, D_IN))
    x *= np.sqrt(D_IN) / np.linalg.norm(x, axis=1, keepdims=True)
    y = np.sign(x[:, 0] + 1e-3)
    cfg = TrainConfig(epochs=600, step_size=0.5, record_epochs=(1, 300, 600))
    cv = cross_validate_stop_epoch(FCN_1HL, [0, 1], x, y, folds=3, config=cfg, seed=7)
    assert cv.val_accuracy.shape == (3, 2, 3)
    best = cv.mean_val_accuracy.max()
    assert best > 0.8 and cv.chosen_epoch > 1
    tied = cv.record_epochs[cv.mean_val_accuracy == best]
    assert cv.chosen_epoch == tied.min()
    np.testing.assert_array_equal(np.bincount(cv.fold_of), [10, 10, 10])
    k = 1
    tr, va = cv.fold_of != k, cv.fold_of == k
    manual = train_multi_seed(FCN_1HL, [0, 1], x[tr], y[tr], x[va], y[va], cfg)
    np.testing.assert_array_equal(cv.val_accuracy[k], manual.test_accuracy)


def test_log_spaced_epochs():
    assert log_spaced_epochs(1000, 4) == (1, 10, 100, 1000)
    e = log_spaced_epochs(2**16, 30, include_zero=True)
    assert e[0] == 0 and e[1] == 1 and e[-1] == 2**16
    assert all(b > a for a, b in zip(e[:-1], e[1:], strict=False))


def test_bad_input_messages():
    x, y, xt, yt = _problem()
    with pytest.raises(
        ValueError, match=r"`record_epochs` must be strictly increasing"
    ):
        TrainConfig(epochs=10, record_epochs=(5, 3))
    with pytest.raises(ValueError, match=r"`record_epochs` .* got \(20,\)"):
        TrainConfig(epochs=10, record_epochs=(20,))
    with pytest.raises(ValueError, match=r"`optimizer` must be one of"):
        TrainConfig(epochs=10, optimizer="lbfgs")
    with pytest.raises(ValueError, match=r"`step_size` must be finite and > 0; got -1"):
        TrainConfig(epochs=10, step_size=-1.0)
    cfg = TrainConfig(epochs=1)
    with pytest.raises(ValueError, match=r"`seeds` must be distinct"):
        train_multi_seed(FCN_1HL, [1, 1], x, y, xt, yt, cfg)
    with pytest.raises(ValueError, match=r"`y_train` must have shape \(32, 1\)"):
        train_multi_seed(FCN_1HL, [1], x, np.ones((32, 2)), xt, yt, cfg)
    with pytest.raises(ValueError, match=r"`x_test` must have shape \(n, d_in=4\)"):
        train_multi_seed(FCN_1HL, [1], x, y, xt[:, :2], yt, cfg)
    with pytest.raises(ValueError, match=r"`step_sizes` must hold one finite step"):
        train_multi_seed(FCN_1HL, [1, 2], x, y, xt, yt, cfg, step_sizes=[0.1])
