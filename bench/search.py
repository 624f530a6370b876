"""Constrained-search benchmark: time per budget and optimality gap of every solver.

    nice python bench/search.py                       # 12 budgets, all solvers, one pinned core
    python bench/search.py --lut_filename LAT.json --predictor_ckpt_filename EST.json
    python bench/search.py --bcfw_steps 1,0.5,0.3,0.2,0.1 --seeds 0,1,2   # BCFW step-size study
    python bench/search.py --correlated 0.99 --solvers exact,iqcp --seeds ''   # adversarial: accuracy ≈ latency

Latency: `--lut_filename` (a latency form JSON, or a latency table once `binas.latency` exists); otherwise the
shipped 224x224 ONNX table of `binas.latency` when this build has it; otherwise the SYNTHETIC measured-like form of
`binas.search` (printed as such). Accuracy: `--predictor_ckpt_filename` (a bilinear form JSON) or the SYNTHETIC
estimator-shaped form of `binas.search` (one per seed). `--correlated RHO` adds the adversarial case for the exact
solver: accuracy = RHO·latency + (1−RHO)·noise, where almost every configuration is Pareto-optimal.

Everything is compared with `exact` measured in the same run: the gap of a solver is exact's predicted accuracy
minus its own (0 = optimal). Times are wall-clock medians over `--repeats` on one pinned core; the machine's load
average is printed with them.
"""
import argparse, json, os, sys, time

for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(v, '1')  # one core, before numpy

import numpy as np

from binas.bilinear import BilinearForm, load_form, resource_form
from binas.search import Constraint, frontier, min_value, search, synthetic_accuracy_form, synthetic_latency_form
from binas.calibrate import load_latency_form
from binas.space import Arch, SearchSpace


def latency_form(path):
    if path: return load_latency_form(path), f'latency form from {path}'
    try:
        from binas.latency import SHIPPED, shipped_table
        return shipped_table('onnx_cpu_224').form(), f"shipped latency table {SHIPPED['onnx_cpu_224'].name!r} (calibrated)"
    except ImportError: pass
    return synthetic_latency_form(SearchSpace()), 'SYNTHETIC measured-like latency form (binas.search.synthetic_latency_form; no shipped ONNX table in this build)'


def correlated_form(lat, rho, seed=0):
    "Adversarial accuracy: rho·latency + (1 − rho)·noise on the same entries (fronts get very large as rho → 1)."
    rng, mask = np.random.default_rng(seed), lat.bil != 0
    n = lambda *s: rng.normal(size=s)
    return BilinearForm(lat.space, 0.0, rho * lat.lin_alpha + (1 - rho) * n(lat.space.num_alpha) * np.abs(lat.lin_alpha).mean(),
                        (1 - rho) * n(lat.space.num_beta), rho * lat.bil + (1 - rho) * n(*lat.bil.shape) * mask * np.abs(lat.bil[mask]).mean())


def timed(f, repeats):
    ts, out = [], None
    for _ in range(repeats):
        t = time.perf_counter(); out = f(); ts.append(time.perf_counter() - t)
    return out, float(np.median(ts))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--lut_filename', help='latency form JSON (default: shipped 224 ONNX table if present, else synthetic)')
    p.add_argument('--predictor_ckpt_filename', help='accuracy predictor: a bilinear form JSON (default: synthetic estimator)')
    p.add_argument('--budgets', type=int, default=12, help='number of budgets across the feasible range')
    p.add_argument('--solvers', default='exact,iqcp,bcfw,evo')
    p.add_argument('--repeats', type=int, default=5, help='timing repeats for exact and the frontier')
    p.add_argument('--seeds', default='0', help='synthetic estimator seeds (ignored with --predictor_ckpt_filename)')
    p.add_argument('--correlated', default='', help='comma-separated rho: add adversarial predictors rho·latency + (1−rho)·noise')
    p.add_argument('--bcfw_steps', default='', help='comma-separated BCFW step sizes to compare (gap study)')
    p.add_argument('--params_budgets', type=int, default=4, help='budgets of the latency + parameter-count comparison (0: skip)')
    p.add_argument('--core', type=int, default=None, help='CPU core to pin to (default: the last one allowed)')
    p.add_argument('--output', help='write all numbers as JSON here')
    a = p.parse_args()

    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {a.core if a.core is not None else cores[-1]})
    lat, lat_src = latency_form(a.lut_filename)
    space = lat.space
    lo = min_value(lat)[0]; hi = float(lat.predict(Arch.heaviest(space)))
    budgets = lo + (hi - lo) * np.linspace(0.02, 1.0, a.budgets)
    solvers = a.solvers.split(',')
    if a.predictor_ckpt_filename: preds = {a.predictor_ckpt_filename: load_form(a.predictor_ckpt_filename, space=space)[0]}
    else: preds = {f'SYNTHETIC estimator seed {s}': synthetic_accuracy_form(space, seed=int(s)) for s in a.seeds.split(',') if s}
    preds.update({f'ADVERSARIAL rho={r}': correlated_form(lat, float(r)) for r in a.correlated.split(',') if r})
    print(f'latency: {lat_src}')
    print(f'space: {space.size:.3g} networks; latency range {lo:.3f} .. {hi:.3f}; pinned to core {sorted(os.sched_getaffinity(0))}; '
          f'load average {os.getloadavg()[0]:.2f}')
    out = {'latency': lat_src, 'budgets': budgets.tolist(), 'runs': []}
    worst = {'exact_ms': 0.0, 'frontier_s': 0.0, 'iqcp_diff': 0.0}
    for name, acc in preds.items():
        print(f'\n== accuracy predictor: {name}')
        F, tf = timed(lambda: frontier(acc, lat), a.repeats)
        worst['frontier_s'] = max(worst['frontier_s'], tf)
        print(f'whole frontier: {len(F)} points in {tf * 1e3:.1f} ms (median of {a.repeats})')
        print(f"{'T':>8} | {'exact acc':>10} {'ms':>6} | " + ' | '.join(f'{s:>4} gap       s' for s in solvers if s != 'exact'))
        for T in budgets:
            ex, te = timed(lambda: search(acc, lat, T, 'exact'), a.repeats)
            worst['exact_ms'] = max(worst['exact_ms'], te * 1e3)
            assert abs(F.accuracy[F.index(T)] - ex.accuracy) < 1e-9, 'frontier and exact disagree'
            row = {'T': T, 'exact': ex.accuracy, 'exact_s': te, 'arch': str(ex.arch)}
            cells = []
            for s in solvers:
                if s == 'exact': continue
                r = search(acc, lat, T, s)
                assert r.latency <= T + 1e-9 * max(1, T), f'{s} broke the budget'
                gap = ex.accuracy - r.accuracy
                if s == 'iqcp': worst['iqcp_diff'] = max(worst['iqcp_diff'], abs(gap))
                row[s], row[f'{s}_s'] = r.accuracy, r.seconds
                cells.append(f'{gap:+.2e} {r.seconds:6.3f}' if s == 'iqcp' else f'{gap:9.4f} {r.seconds:6.3f}')
            print(f'{T:8.3f} | {ex.accuracy:10.4f} {te * 1e3:6.1f} | ' + ' | '.join(cells))
            out['runs'].append({'predictor': name, **row})
        if a.bcfw_steps:
            print('BCFW step-size study (gap to exact, points):')
            for st in [float(x) for x in a.bcfw_steps.split(',')]:
                gaps = [F.accuracy[F.index(T)] - search(acc, lat, T, 'bcfw', step=st).accuracy for T in budgets]
                print(f'  step {st:4.2f}: mean {np.mean(gaps):.3f}  max {np.max(gaps):.3f}')
                out.setdefault('bcfw_steps', []).append({'predictor': name, 'step': st, 'gaps': gaps})
        if a.params_budgets:
            par = resource_form(space, 'params')
            P = float(np.median(par.predict([Arch.random(space, i) for i in range(200)])))
            print(f'latency + parameter count ≤ {P / 1e6:.3f} M (median of random networks):')
            for T in budgets[np.linspace(1, len(budgets) - 1, a.params_budgets).astype(int)]:
                c = [Constraint(par, P, 'params')]
                ex, te = timed(lambda: search(acc, lat, T, 'exact', constraints=c), 1)
                iq = search(acc, lat, T, 'iqcp', constraints=c)
                worst['iqcp_diff'] = max(worst['iqcp_diff'], abs(ex.accuracy - iq.accuracy))
                print(f'  T {T:8.3f}: exact {ex.accuracy:.4f} ({te:.3f} s, params {ex.resources["params"] / 1e6:.3f} M)  '
                      f'iqcp diff {ex.accuracy - iq.accuracy:+.1e} ({iq.seconds:.3f} s)')
    print(f'\nworst exact time per budget: {worst["exact_ms"]:.1f} ms (target ≤ 50); whole frontier: {worst["frontier_s"]:.3f} s '
          f'(target ≤ 2); max |exact − iqcp|: {worst["iqcp_diff"]:.1e} (target ≤ 1e-6); load average {os.getloadavg()[0]:.2f}')
    out['worst'] = worst
    if a.output:
        with open(a.output, 'w') as f: json.dump(out, f, indent=1)
    return 0 if worst['iqcp_diff'] <= 1e-6 or 'iqcp' not in solvers else 1


if __name__ == '__main__': sys.exit(main())
