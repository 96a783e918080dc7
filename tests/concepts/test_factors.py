"""resynth_lib.concepts.factors: the ratings matrix, ALS updates, monotone fit, rank-2 recovery, exercise."""
import numpy as np
import pytest

from resynth_lib.concepts import factors
from resynth_lib.concepts.factors import RATINGS, als_factorise, als_update_users
from resynth_lib.course.checks import run_check


def test_ratings_matrix_is_the_slides_example():
    assert RATINGS.shape == (len(factors.FILMS), len(factors.VIEWERS)) == (5, 4)
    assert len(factors.GENRES) == 5
    observed = RATINGS[~np.isnan(RATINGS)]
    assert np.isnan(RATINGS).sum() == 1
    assert np.all(observed == np.round(observed)) and observed.min() >= 1 and observed.max() <= 5


def test_user_update_is_the_ridge_solution():
    rng = np.random.default_rng(0)
    R = rng.integers(1, 6, size=(7, 5)).astype(float)
    R[rng.random(R.shape) < 0.3] = np.nan
    V = rng.standard_normal((7, 2))
    U = als_update_users(R, V, lam=0.3)
    for u in range(5):
        o = ~np.isnan(R[:, u])
        # the gradient of |r_o - V_o U[u]|^2 + lam |U[u]|^2 vanishes at the update
        grad = -2 * V[o].T @ (R[o, u] - V[o] @ U[u]) + 2 * 0.3 * U[u]
        assert np.allclose(grad, 0, atol=1e-10)


def test_user_with_no_ratings_gets_zero_factors():
    R = np.array([[1.0, np.nan], [2.0, np.nan]])
    assert np.array_equal(als_update_users(R, np.ones((2, 2)), 0.1)[1], [0.0, 0.0])


@pytest.mark.parametrize("lam", [0.0, 0.1, 1.0])
def test_als_objective_never_increases(lam):
    _, _, history = als_factorise(RATINGS, rank=2, lam=lam, n_iter=60, seed=1)
    assert np.all(np.diff(history["objective"]) <= 1e-10)


def test_without_regularisation_the_observed_error_falls_monotonically():
    _, _, history = als_factorise(RATINGS, rank=2, lam=0.0, n_iter=60, seed=2)
    assert np.all(np.diff(history["rmse"]) <= 1e-10)
    assert history["rmse"][-1] < 0.2


def test_exact_rank_two_matrix_is_recovered():
    rng = np.random.default_rng(3)
    truth = rng.uniform(0.5, 2.0, (8, 2)) @ rng.uniform(0.5, 2.0, (6, 2)).T
    R = truth.copy()
    R[1, 2] = R[5, 0] = R[7, 4] = np.nan                      # a few held back
    V, U, history = als_factorise(R, rank=2, lam=0.0, n_iter=500, seed=0)
    assert history["rmse"][-1] < 1e-4
    assert np.allclose(V @ U.T, truth, atol=1e-3)              # the missing entries too


def test_missing_rating_is_predicted_sensibly():
    V, U, _ = als_factorise(RATINGS, rank=2, lam=0.1, n_iter=100, seed=0)
    P = V @ U.T
    film, viewer = np.argwhere(np.isnan(RATINGS))[0]
    guess = P[film, viewer]
    assert np.isfinite(guess) and 0.5 <= guess <= 5.5
    # Ana loves the romances and hated Die Hard: her guess for the other action film is low
    assert factors.GENRES[film] == "action" and guess < 2.5
    # and the fit of what was observed is close
    assert factors.observed_rmse(RATINGS, V, U) < 0.3


def test_two_factors_separate_romance_from_action():
    V, _, _ = als_factorise(RATINGS, rank=2, lam=0.1, n_iter=100, seed=0)
    romance = [i for i, g in enumerate(factors.GENRES) if g == "romance"]
    action = [i for i, g in enumerate(factors.GENRES) if g == "action"]
    angle = np.arctan2(V[:, 1], V[:, 0])
    # the romances sit on one side of the factor plane, the action films on the other
    assert max(angle[romance]) < min(angle[action]) or max(angle[action]) < min(angle[romance])


def test_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        als_update_users(np.ones(3), np.ones((3, 2)), 0.1)
    with pytest.raises(ValueError, match="n_items, rank"):
        als_update_users(RATINGS, np.ones((4, 2)), 0.1)
    with pytest.raises(ValueError, match="all NaN"):
        als_factorise(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="rank"):
        als_factorise(RATINGS, rank=0)


def test_als_exercise():
    import resynth_lib.course.exercises.nb01  # noqa: F401  (registers the exercises)
    assert run_check("01.als_update", als_update_users).status == "pass"

    def forgot_missing(R, V, lam):               # treats NaN as 0 instead of leaving it out
        return als_update_users(np.nan_to_num(R), V, lam)
    assert run_check("01.als_update", forgot_missing).status == "fail"
