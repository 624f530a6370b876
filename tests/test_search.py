"Property tests and brute-force comparisons for `binas.search` (too many cases for the notebook)."
import csv, json, os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from binas.bilinear import BilinearForm, block_counts, resource_form, save_form, table_form
from binas.search import (Constraint, InfeasibleBudget, Objective, SearchResult, encode_indices, enumerate_space, frontier,
                          min_value, pareto_indices, random_form, search, synthetic_accuracy_form, synthetic_latency_form, within)
from binas.solvers import polish
from binas.space import Arch, SearchSpace, Stage, named_archs

# Reduced spaces small enough to enumerate: uneven depth menus (one stage with a single depth, so β has an unused entry)
TINY = SearchSpace(stages=(Stage(24, 2, 're', (1, 2)), Stage(40, 2, 're', (2, 3)), Stage(80, 2, 'hs', (1,))),
                   expansions=(3, 6), kernels=(3,), resolution=64)                          # 6,400 networks
SMALL = SearchSpace(stages=(Stage(16, 1, 're', (1, 2, 3)), Stage(32, 2, 'hs', (1, 2))),
                    expansions=(3, 4, 6), kernels=(3,), resolution=32)                      # 6 ops: 258 × 42 = 10,836
SPACES = {'tiny': TINY, 'small': SMALL}
FULL = SearchSpace()
fast = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class RandomQuadratic:
    "xᵀWx + wᵀx + b over x = [α; β]."
    def __init__(self, space, seed=0, scale=1.0):
        rng, n = np.random.default_rng(seed), space.num_alpha + space.num_beta
        self.space, self.W, self.w, self.b = space, scale * rng.normal(size=(n, n)), rng.normal(size=n), 1.0
    def predict_encoded(self, alpha, beta):
        x = np.concatenate([np.atleast_2d(alpha), np.atleast_2d(beta)], 1)
        return ((x @ self.W) * x).sum(1) + x @ self.w + self.b
    def grad(self, alpha, beta):
        x = np.concatenate([alpha, beta]); g = (self.W + self.W.T) @ x + self.w
        return g[:self.space.num_alpha], g[self.space.num_alpha:]


class TinyMLP:
    "A random torch MLP on [α; β], with autograd gradients."
    def __init__(self, space, seed=0):
        torch.manual_seed(seed)
        self.space = space
        self.net = torch.nn.Sequential(torch.nn.Linear(space.num_alpha + space.num_beta, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()
    def predict_encoded(self, alpha, beta):
        x = torch.as_tensor(np.concatenate([np.atleast_2d(alpha), np.atleast_2d(beta)], 1))
        with torch.no_grad(): return self.net(x)[:, 0].numpy()
    def grad(self, alpha, beta):
        x = torch.as_tensor(np.concatenate([alpha, beta])).requires_grad_()
        self.net(x[None])[0, 0].backward()
        g = x.grad.numpy(); return g[:self.space.num_alpha], g[self.space.num_alpha:]


_ALL = {}
def all_encodings(space):
    if space not in _ALL: _ALL[space] = encode_indices(space, *enumerate_space(space))
    return _ALL[space]


def brute(pred, cons, space):
    a, b = all_encodings(space)
    ok = np.all([within(c.form(a, b), c.limit) for c in cons], 0)
    if not ok.any(): return None
    return float(np.where(ok, Objective(pred, space).values(a, b), -np.inf).max())


def quantile_budget(form, q):
    return float(np.quantile(form(*all_encodings(form.space)), q))


# --- exact and iqcp against brute force ------------------------------------------------------------------------------

@pytest.mark.parametrize('space', SPACES.values(), ids=SPACES.keys())
@fast
@given(seed=st.integers(0, 10_000), q=st.floats(0.0, 1.0))
def test_exact_and_iqcp_equal_brute_force(space, seed, q):
    lat = synthetic_latency_form(space, seed=seed % 7)
    acc = random_form(space, seed) if seed % 2 else synthetic_accuracy_form(space, seed)
    T = quantile_budget(lat, q)
    want = brute(acc, [Constraint(lat, T)], space)
    for solver in ('exact', 'iqcp'):
        r = search(acc, lat, T, solver)
        assert abs(r.accuracy - want) < 1e-6, (solver, r.accuracy, want)
        assert lat.predict(r.arch) <= T + 1e-9 * max(1, T)
        assert abs(r.info['objective'] - r.accuracy) < 1e-6   # the solver's own value is predict(arch)


@pytest.mark.parametrize('kind', ['quadratic', 'coupled'])
@pytest.mark.parametrize('space', SPACES.values(), ids=SPACES.keys())
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.floats(0.05, 1.0))
def test_iqcp_quadratic_and_coupled_forms_equal_brute_force(kind, space, seed, q):
    lat = synthetic_latency_form(space, seed=seed % 5)
    pred = RandomQuadratic(space, seed) if kind == 'quadratic' else random_form(space, seed, separable=False)
    T = quantile_budget(lat, q)
    r = search(pred, lat, T, 'iqcp')
    assert abs(r.accuracy - brute(pred, [Constraint(lat, T)], space)) < 1e-6
    assert abs(r.info['objective'] - r.accuracy) < 1e-6


def test_exact_frontier_equals_brute_force_frontier():
    for space in SPACES.values():
        for seed in range(3):
            lat, acc = synthetic_latency_form(space, seed=seed), random_form(space, seed)
            a, b = all_encodings(space)
            L, A = lat(a, b), acc(a, b)
            ids = pareto_indices(L, A)
            F = frontier(acc, lat)
            np.testing.assert_allclose(F.latency, L[ids], rtol=1e-12)
            np.testing.assert_allclose(F.accuracy, A[ids], rtol=1e-12)
            for i in range(0, len(F), max(1, len(F) // 20)):
                assert abs(acc.predict(F.arch(i)) - F.accuracy[i]) < 1e-9


# --- several constraints ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize('space', SPACES.values(), ids=SPACES.keys())
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.tuples(st.floats(0.1, 1.0), st.floats(0.1, 1.0), st.floats(0.1, 1.0)),
       n=st.integers(2, 3))
def test_multi_constraint_exact_and_iqcp_equal_brute_force(space, seed, q, n):
    lat, lat2 = synthetic_latency_form(space, seed=seed % 5), synthetic_latency_form(space, seed=seed % 3 + 10, ms_per_mmac=0.03, block_ms=0.6)
    par, macs = resource_form(space, 'params'), resource_form(space, 'macs')
    acc = random_form(space, seed)
    extra = [Constraint(par, quantile_budget(par, q[1]), 'params'), Constraint(macs, quantile_budget(macs, q[2]), 'macs')][:n - 1]
    lats, Ts = [lat, lat2], [quantile_budget(lat, q[0]), quantile_budget(lat2, q[2])]
    cons = [Constraint(lats[0], Ts[0], 'latency1'), Constraint(lats[1], Ts[1], 'latency2'), *extra]
    want = brute(acc, cons, space)
    for solver in ('exact', 'iqcp'):
        if want is None:
            with pytest.raises(InfeasibleBudget, match='at once'): search(acc, lats, Ts, solver, constraints=extra)
            continue
        r = search(acc, lats, Ts, solver, constraints=extra)
        assert abs(r.accuracy - want) < 1e-6, solver
        for c in cons: assert c.form.predict(r.arch) <= c.limit + 1e-9 * max(1, abs(c.limit))


def test_onnx_like_latency_plus_params_on_reduced_space():
    "The acceptance case: latency + parameter count, exact and iqcp vs brute force, both constraints met."
    for space in SPACES.values():
        lat, par, acc = synthetic_latency_form(space, seed=1), resource_form(space, 'params'), synthetic_accuracy_form(space, 1)
        for q in (0.1, 0.3, 0.6):
            T, P = quantile_budget(lat, q), quantile_budget(par, 1 - q)
            c = [Constraint(par, P, 'params')]
            want = brute(acc, [Constraint(lat, T), *c], space)
            for solver in ('exact', 'iqcp'):
                r = search(acc, lat, T, solver, constraints=c)
                assert abs(r.accuracy - want) < 1e-6 and r.resources['params'] <= P and r.latency <= T + 1e-9 * T


# --- every solver: feasibility, impossible budgets -------------------------------------------------------------------

PREDICTORS = {'bilinear': lambda sp, s: random_form(sp, s), 'quadratic': lambda sp, s: RandomQuadratic(sp, s),
              'mlp': lambda sp, s: TinyMLP(sp, s)}
SOLVERS_FOR = {'bilinear': ('exact', 'iqcp', 'bcfw', 'evo'), 'quadratic': ('iqcp', 'bcfw', 'evo'), 'mlp': ('bcfw', 'evo')}


@pytest.mark.parametrize('kind', PREDICTORS)
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.floats(0.0, 1.0))
def test_every_solver_returns_a_feasible_architecture(kind, seed, q):
    space = TINY
    lat = synthetic_latency_form(space, seed=seed % 5)
    pred = PREDICTORS[kind](space, seed)
    T = quantile_budget(lat, q)
    best = brute(pred, [Constraint(lat, T)], space)
    for solver in SOLVERS_FOR[kind]:
        kw = {'cycles': 600} if solver == 'evo' else {}
        r = search(pred, lat, T, solver, **kw)
        assert lat.predict(r.arch) <= T + 1e-9 * max(1, T), solver
        assert r.accuracy <= best + 1e-6, solver
        assert abs(r.accuracy - Objective(pred, space).value(r.arch)) < 1e-9


@pytest.mark.parametrize('solver', ['exact', 'iqcp', 'bcfw', 'evo'])
def test_feasible_on_the_full_space_under_random_budgets(solver):
    rng = np.random.default_rng(0)
    lat = synthetic_latency_form(FULL, seed=3)
    lo, hi = min_value(lat)[0], lat.predict(Arch.heaviest(FULL))
    for i in range(3):
        acc = random_form(FULL, i, scale=0.1)
        T = float(rng.uniform(lo, hi))
        r = search(acc, lat, T, solver, **({'cycles': 1000} if solver == 'evo' else {}))
        assert lat.predict(r.arch) <= T + 1e-9 * T


@pytest.mark.parametrize('solver', ['exact', 'iqcp', 'bcfw', 'evo', 'brute'])
def test_impossible_budget_states_the_smallest_latency(solver):
    lat, acc = synthetic_latency_form(TINY, seed=2), random_form(TINY, 2)
    lo = float(lat(*all_encodings(TINY)).min())
    assert abs(min_value(lat)[0] - lo) < 1e-12
    with pytest.raises(InfeasibleBudget, match=f'smallest achievable latency in this space is {lo:.6g}'):
        search(acc, lat, lo * 0.999, solver)
    r = search(acc, lat, lo, solver)   # the smallest latency itself is achievable
    assert lat.predict(r.arch) <= lo + 1e-9 * lo


@pytest.mark.parametrize('solver', ['exact', 'iqcp', 'bcfw', 'evo', 'brute'])
def test_jointly_impossible_budgets(solver):
    lat, acc = synthetic_latency_form(TINY, seed=2), random_form(TINY, 2)
    rev = table_form(TINY, block_counts(TINY).macs[..., ::-1] / 1e6)   # heavy ops are cheap here
    with pytest.raises(InfeasibleBudget, match='at once'):
        search(acc, lat, min_value(lat)[0], solver, constraints=[Constraint(rev, min_value(rev)[0], 'reversed')])


def test_min_value_is_exact_on_the_full_space():
    "The minimum by position tables equals a brute-force minimum over each stage (stages are independent)."
    lat = synthetic_latency_form(FULL, seed=4)
    lo, arch = min_value(lat)
    assert abs(lat.predict(arch) - lo) < 1e-9
    rng = np.random.default_rng(0)
    assert lat.predict([Arch.random(FULL, rng) for _ in range(2000)]).min() >= lo - 1e-9


def test_exact_equals_iqcp_on_the_full_space():
    lat = synthetic_latency_form(FULL, seed=0)
    lo, hi = min_value(lat)[0], lat.predict(Arch.heaviest(FULL))
    for seed in range(2):
        acc = synthetic_accuracy_form(FULL, seed)
        for T in np.linspace(lo, hi, 5):
            assert abs(search(acc, lat, T).accuracy - search(acc, lat, T, 'iqcp').accuracy) < 1e-6


# --- fronts ----------------------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), k=st.integers(1, 3), levels=st.integers(2, 50), seed=st.integers(0, 10_000))
def test_pareto_indices_match_the_definition(n, k, levels, seed):
    rng = np.random.default_rng(seed)
    R, A = rng.integers(0, levels, (n, k)).astype(float), rng.integers(0, levels, n).astype(float)
    got = pareto_indices(R, A)
    pts = np.c_[R, A]
    weakly = (R[None] <= R[:, None]).all(-1) & (A[None] >= A[:, None])          # [i, j]: j weakly dominates i
    strictly = weakly & ((R[None] < R[:, None]).any(-1) | (A[None] > A[:, None]))
    want = {tuple(pts[i]) for i in range(n) if not strictly[i].any()}
    assert {tuple(pts[i]) for i in got} == want and len(got) == len(want)    # every non-dominated value, once
    assert np.all(np.diff(R[got, 0]) >= 0)


# --- results, files, named networks ----------------------------------------------------------------------------------

def test_search_result_round_trip(tmp_path):
    lat, acc = synthetic_latency_form(FULL), synthetic_accuracy_form(FULL)
    r = search(acc, lat, 45.0, constraints=[Constraint(resource_form(FULL, 'params'), 6e6, 'params')])
    r2 = SearchResult.load(r.save(tmp_path / 'r.json'))
    assert r2.arch == r.arch and r2.resources == r.resources and r2.limits == r.limits and r2.solver == 'exact'
    (tmp_path / 'bad.json').write_text('[1, 2]')
    with pytest.raises(ValueError, match='bad.json'): SearchResult.load(tmp_path / 'bad.json')


def test_named_networks_never_beat_the_frontier():
    lat, acc = synthetic_latency_form(FULL, seed=5), synthetic_accuracy_form(FULL, 5)
    F = frontier(acc, lat)
    for k, a in named_archs().items():
        assert acc.predict(a) <= F.accuracy[F.index(lat.predict(a))] + 1e-9, k


def test_predictor_and_latency_must_share_the_space():
    with pytest.raises(ValueError, match='different search spaces'):
        search(random_form(SMALL, 0), synthetic_latency_form(TINY), 10.0)


# --- the console command ---------------------------------------------------------------------------------------------

def cli(*args, cwd=None):
    env = {**os.environ, 'PYTHONPATH': str(Path(__file__).resolve().parents[1]), 'MPLBACKEND': 'Agg'}
    return subprocess.run([sys.executable, '-c', 'import sys; from binas.search_cli import binas_search; sys.exit(binas_search())', *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp('cli')
    lat, acc = synthetic_latency_form(FULL, seed=6), synthetic_accuracy_form(FULL, 6)
    save_form(lat, d / 'lat.json', 'latency'); save_form(acc, d / 'est.json', 'estimator')
    save_form(synthetic_latency_form(FULL, seed=7, ms_per_mmac=0.05), d / 'lat2.json', 'latency')
    archs = [Arch.random(FULL, i) for i in range(30)]
    with open(d / 'test.csv', 'w', newline='') as f:
        w = csv.writer(f); w.writerow(['arch', 'accuracy'])
        for a in archs: w.writerow([str(a), acc.predict(a) + np.random.default_rng(len(str(a))).normal(0, 0.1)])
    return d, lat, acc


def test_cli_help_lists_every_flag():
    out = cli('--help')
    assert out.returncode == 0
    for flag in ('--predictor_type', '--predictor_ckpt_filename', '--nas_optimizer', '--inference_time_limit', '--lut_filename',
                 '--test_accuracy_lut_filename', '--pareto', '--output', '--second_lut_filename', '--second_time_limit',
                 '--params_limit', '--macs_limit', '--seed', '--latency_margin', '--validate', '--checkpoint', '--data', '--validate_images',
                 '--validate_skip', '--validate_candidates', '--train_percent', '--split_seed'):
        assert flag in out.stdout, flag


def test_cli_search_prints_saves_and_plots(files, tmp_path):
    d, lat, acc = files
    out = cli('--predictor_ckpt_filename', d / 'est.json', '--lut_filename', d / 'lat.json', '--inference_time_limit', 45,
              '--nas_optimizer', 'iqcp', '--pareto', '--output', tmp_path, '--test_accuracy_lut_filename', d / 'test.csv')
    assert out.returncode == 0, out.stderr
    r = SearchResult.load(tmp_path / 'search_result.json')
    assert f'architecture: {r.arch}' in out.stdout and 'predicted accuracy' in out.stdout and 'predicted latency' in out.stdout
    assert 'Kendall' in out.stdout and 'SYNTHETIC' not in out.stdout
    assert abs(r.accuracy - search(acc, lat, 45.0).accuracy) < 1e-6
    rows = list(csv.DictReader(open(tmp_path / 'frontier.csv')))
    assert len(rows) > 100 and (tmp_path / 'frontier.png').stat().st_size > 10_000


@pytest.mark.parametrize('margin', [0, 4])
def test_cli_several_constraints(files, tmp_path, margin):
    "Every budget holds; --latency_margin P searches under (100 - P)% of both latency budgets and says so."
    d, lat, acc = files
    out = cli('--predictor_ckpt_filename', d / 'est.json', '--lut_filename', d / 'lat.json', '--inference_time_limit', 60,
              '--second_lut_filename', d / 'lat2.json', '--second_time_limit', 25, '--params_limit', 5e6, '--latency_margin', margin,
              '--output', tmp_path)
    assert out.returncode == 0, out.stderr
    r, keep = json.loads((tmp_path / 'search_result.json').read_text()), 1 - margin / 100
    assert r['resources']['params'] <= 5e6 and r['resources']['latency2'] <= 25 * keep and r['resources']['latency'] <= 60 * keep
    assert ('T = 60, searched under 57.6 with a 4% margin' in out.stdout) == bool(margin)


def test_cli_without_latency_says_synthetic(files, tmp_path):
    d, _, _ = files
    out = cli('--predictor_ckpt_filename', d / 'est.json', '--inference_time_limit', 50, '--output', tmp_path, '--nas_optimizer', 'evo')
    assert out.returncode == 0, out.stderr
    assert 'SYNTHETIC latency form' in out.stdout


ERRORS = [
    (['--nas_optimizer', 'cplex', '--inference_time_limit', 40], 'must be one of exact, iqcp, bcfw, evo'),
    (['--inference_time_limit', 10], 'smallest achievable latency in this space is'),
    (['--inference_time_limit', -3], 'must be a positive number'),
    ([], 'give --inference_time_limit'),
    (['--predictor_type', 'mlp', '--inference_time_limit', 40], 'not a mlp predictor'),
    (['--predictor_type', 'quadratic', '--inference_time_limit', 40], 'not a quadratic predictor'),
    (['--lut_filename', 'missing.json', '--inference_time_limit', 40], "'missing.json' does not exist"),
    (['--params_limit', 1e5, '--inference_time_limit', 80], 'smallest achievable params'),
    (['--second_time_limit', 30, '--inference_time_limit', 40], 'go together'),
    (['--latency_margin', -2, '--inference_time_limit', 40], 'percentage in [0, 100)'),
    (['--validate', '--inference_time_limit', 40], '--validate needs --checkpoint'),
    (['--validate', '--checkpoint', 'missing.pth.tar', '--inference_time_limit', 40], "--checkpoint 'missing.pth.tar' does not exist"),
    (['--validate', '--checkpoint', 'missing.pth.tar', '--pareto'], '--validate needs --inference_time_limit'),
]

def _error_args(d, tmp_path, args):
    base = ['--predictor_ckpt_filename', d / 'est.json', '--output', tmp_path]
    return base + ([] if '--lut_filename' in args else ['--lut_filename', d / 'lat.json']) + args


@pytest.mark.parametrize('args, msg', [ERRORS[i] for i in (0, 1, 4, 6)])
def test_cli_errors_are_one_line(files, tmp_path, args, msg):
    "In a real process: exit status ≠ 0, one line on stderr, no traceback."
    out = cli(*_error_args(files[0], tmp_path, args), cwd=tmp_path)
    assert out.returncode != 0
    assert msg in out.stderr, out.stderr
    assert 'Traceback' not in out.stderr and len(out.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize('args, msg', ERRORS)
def test_cli_error_messages(files, tmp_path, args, msg, monkeypatch, capsys):
    "Every bad flag, file or budget, through the same command function in this process (it parses sys.argv the same way)."
    from binas.search_cli import binas_search
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, 'argv', ['binas_search', *map(str, _error_args(files[0], tmp_path, args))])
    with pytest.raises(SystemExit) as e: binas_search()
    err = capsys.readouterr().err.strip()
    assert e.value.code == 2 and err.startswith('binas_search: error: ') and msg in err, err
    assert '\n' not in err


def test_cli_rejects_a_latency_form_as_predictor(files, tmp_path):
    d, _, _ = files
    out = cli('--predictor_ckpt_filename', d / 'lat.json', '--lut_filename', d / 'lat.json', '--inference_time_limit', 40, '--output', tmp_path)
    assert out.returncode != 0 and "holds a 'latency' form" in out.stderr and 'Traceback' not in out.stderr


# --- polish: the exact-move local search that ends bcfw and evo ------------------------------------------------------

@pytest.mark.parametrize('kind', PREDICTORS)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.floats(0.05, 1.0))
def test_polish_keeps_every_constraint_and_never_loses(kind, seed, q):
    "Under latency and parameter budgets at once, from the lightest network: feasible, no worse than the start, no better than brute force."
    lat, par = synthetic_latency_form(TINY, seed=seed % 5), resource_form(TINY, 'params')
    cons = [Constraint(lat, quantile_budget(lat, q)), Constraint(par, quantile_budget(par, 0.8), 'params')]
    start = search(BilinearForm.zeros(TINY), lat, cons[0].limit, 'exact', constraints=cons[1:]).arch   # a feasible vertex
    obj = Objective(PREDICTORS[kind](TINY, seed), TINY)
    got, info = polish(obj, cons, start, size=2)
    assert all(within(c.form.predict(got), c.limit) for c in cons)
    assert obj.value(start) - 1e-12 <= obj.value(got) <= brute(obj.predictor, cons, TINY) + 1e-9
    assert abs(info['value'] - obj.value(got)) < 1e-9


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.floats(0.0, 1.0))
def test_polish_of_all_stages_is_the_optimum_for_separable_predictors(seed, q):
    "A move of every stage at once is the exact knapsack on a stage-separable predictor, with two resources too."
    lat, par = synthetic_latency_form(TINY, seed=seed % 5), resource_form(TINY, 'params')
    cons = [Constraint(lat, quantile_budget(lat, q)), Constraint(par, quantile_budget(par, 0.9), 'params')]
    pred = random_form(TINY, seed) if seed % 2 else synthetic_accuracy_form(TINY, seed)
    want = brute(pred, cons, TINY)
    if want is None: return
    start = search(BilinearForm.zeros(TINY), lat, cons[0].limit, 'exact', constraints=cons[1:]).arch
    got, _ = polish(Objective(pred, TINY), cons, start, size=TINY.num_stages)
    assert abs(pred.predict(got) - want) < 1e-9


@pytest.mark.parametrize('solver', ['bcfw', 'evo'])
def test_polished_solvers_are_deterministic_and_no_worse_than_raw(solver):
    lat = synthetic_latency_form(FULL, seed=1)
    acc = synthetic_accuracy_form(FULL, seed=1)
    T = 0.5 * (min_value(lat)[0] + lat.predict(Arch.heaviest(FULL)))
    a, b = search(acc, lat, T, solver), search(acc, lat, T, solver)
    raw = search(acc, lat, T, solver, polish_size=0)
    assert a.arch == b.arch and a.accuracy >= raw.accuracy - 1e-12
    assert search(acc, lat, T, 'exact').accuracy >= a.accuracy - 1e-9
