"""BCFW and evolution against the exact optimum on a release-shaped synthetic instance, with the release's numbers beside them.

    nice python bench/release_instance.py                    # seeds 0-4, budgets at 25/50/75 % of the latency range
    nice python bench/release_instance.py --seeds 0,1,2,3,4,5,6,7 --output gaps.json
    nice python bench/release_instance.py --release /path/to/BINAS   # also run the release's own evolution (its
                                                                     # EvolutionFinder, numpy + tqdm) on the same instances

The instance has the shape of the original release's search problem: 5 elastic stages x 4 block positions x 12 ops
(expansion 3/4/6 x kernel 3/5 x SE off/on), depths 2-4, a per-block latency table and a stage-separable bilinear
accuracy predictor (a linear term per block op and per depth, plus op x depth couplings inside a stage). The release
ships no generator for it, so the numbers here are SYNTHETIC: latencies grow with expansion, kernel and SE with
log-normal noise per block; accuracy gains grow with the log of the block's latency, shrink with depth position and
carry Gaussian noise, so that heavier is better on average but not block for block (a knapsack with real trade-offs).

The gap of a solver is exact's predicted accuracy minus its own, in points (exact is the proven optimum). The release's
reference gaps and seconds (REFERENCE below) were measured by an earlier session on this kind of instance on this
machine; with --release the release's own evolution runs here on the very same instances, in the same run (its BCFW
needs cvxopt and the driver loop of its search.py, which imports its whole timm fork; it is not driven from here). Times are
the CPU seconds of the process on one pinned core (the machine is shared: wall time at low priority measures the other
jobs too; the wall-clock median is printed beside them); a solver passes a budget when its worst gap over the seeds is at
most the release's and its slowest CPU time is at least 10x below the release's wall time.
"""
import argparse, json, os, sys, time

for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(v, '1')  # one core, before numpy

import numpy as np

from binas.bilinear import BilinearForm, table_form
from binas.search import min_value, search
from binas.space import Arch, SearchSpace

SHARES = (0.25, 0.50, 0.75)
RAW = {'bcfw': {'polish_size': 0}, 'evo': {'polish_size': 0, 'cycles': 10_000}}   # 'bcfw:raw', 'evo:raw': the solvers before the polish  # budgets: shares of the [lightest, heaviest] latency range
# The release's gap (points) and seconds per budget share, as measured earlier (see the module docstring).
REFERENCE = {'bcfw': {'gap': (4.22, 0.42, 0.00), 'seconds': (27.0, 27.0, 27.0)},
             'evo': {'gap': (0.68, 0.54, 0.27), 'seconds': (8.0, 8.0, 8.0)}}


def op_cost(space:SearchSpace)->np.ndarray:
    "Relative cost of every op of the menu: grows with expansion, kernel size and SE."
    return np.array([o.expansion / 3 * (1.3 if o.kernel == 5 else 1.0) * (1.15 if o.se else 1.0) for o in space.ops])


def release_instance(seed:int, space:SearchSpace|None=None)->tuple[BilinearForm, BilinearForm]:
    "(accuracy form in %, latency form in ms) of one synthetic release-shaped instance."
    sp = space or SearchSpace()
    rng = np.random.default_rng(seed)
    S, D, C, ND = sp.num_stages, sp.max_depth, len(sp.ops), sp.num_depths
    t = rng.uniform(0.6, 1.4, (S, 1, 1)) * op_cost(sp)[None, None] * rng.lognormal(0, 0.15, (S, D, C))
    lat = table_form(sp, t, 5.0)
    gain = rng.uniform(0.5, 1.5, (S, 1, 1)) * np.log(t / t.min(-1, keepdims=True)) / (1 + np.arange(D))[None, :, None]
    acc = table_form(sp, gain + rng.normal(0, 0.15, (S, D, C)), 70.0)
    acc.lin_beta[:] = (np.arange(ND)[None] * rng.uniform(0.2, 0.8, (S, 1))).ravel()
    bil = acc.bil.reshape(S, D, C, S, ND)
    for s, stage in enumerate(sp.stages):   # op x depth couplings of present blocks only (absent blocks count nothing)
        for di, depth in enumerate(stage.depths): bil[s, 1:depth, :, s, di] += rng.normal(0, 0.05, (depth - 1, C))
    return acc, lat


def budgets(lat:BilinearForm)->np.ndarray:
    lo, hi = min_value(lat)[0], float(lat.predict(Arch.heaviest(lat.space)))
    return lo + (hi - lo) * np.array(SHARES)


def timed_search(acc, lat, T, solver, **kw):
    "The search result and the CPU seconds the process spent on it."
    t = time.process_time()
    r = search(acc, lat, T, solver, **kw)
    cpu = time.process_time() - t
    assert r.latency <= T + 1e-9 * max(1.0, T), f'{solver} broke the budget'
    return r, cpu


def run_binas(seeds, solvers, kw):
    "{solver: (seeds, budgets) gaps and seconds} of binas's solvers, and the instances' optima."
    out = {s: {k: np.zeros((len(seeds), len(SHARES))) for k in ('gap', 'seconds', 'wall')} for s in solvers}
    optimum = np.zeros((len(seeds), len(SHARES)))
    for i, seed in enumerate(seeds):
        acc, lat = release_instance(seed)
        for j, T in enumerate(budgets(lat)):
            ex, _ = timed_search(acc, lat, T, 'exact')
            optimum[i, j] = ex.accuracy
            for s in solvers:
                name, _, variant = s.partition(':')
                r, cpu = timed_search(acc, lat, T, name, **kw.get(name, {}), **(RAW[name] if variant == 'raw' else {}))
                out[s]['gap'][i, j], out[s]['seconds'][i, j], out[s]['wall'][i, j] = ex.accuracy - r.accuracy, cpu, r.seconds
    return out, optimum


def table(name, res, ref=None):
    "Printed rows of one solver: worst and mean gap over the seeds, slowest and median time; the reference and PASS/FAIL if given."
    lines, ok_all = [], True
    for j, share in enumerate(SHARES):
        g, t = res['gap'][:, j], res['seconds'][:, j]
        row = (f'{name:>16} {share:5.0%} | gap max {g.max():6.3f} mean {g.mean():6.3f} | cpu s max {t.max():6.3f} med {np.median(t):6.3f}'
               f' | wall med {np.median(res["wall"][:, j]):6.3f}')
        if ref is not None:
            rg, rt = ref['gap'][j], ref['seconds'][j]
            ok = g.max() <= rg + 1e-9 and t.max() * 10 <= rt
            ok_all &= ok
            row += f' | release gap {rg:5.2f} s {rt:5.1f} | {"PASS" if ok else "FAIL"}'
        lines.append(row)
    return lines, ok_all


def run_release_evo(path, seeds, optimum):
    "The release's own evolution (its EvolutionFinder, imported from a checkout at `path`, default settings) on the same instances."
    sys.path.insert(0, str(path))
    import random
    import nas.src.optim.evo_algo as evo_algo
    from nas.src.optim.evo_algo import EvolutionFinder
    evo_algo.tqdm = lambda it, **kw: it   # no progress bars
    EvolutionFinder.valid_constraint_range = {'PyTorch_CPU': [0.0, np.inf]}   # its range check would prompt on stdin otherwise
    out = {**{k: np.zeros((len(seeds), len(SHARES))) for k in ('gap', 'seconds', 'wall')}, 'infeasible': 0}
    for i, seed in enumerate(seeds):
        acc, lat = release_instance(seed)
        sp, na = lat.space, lat.space.num_alpha
        split = lambda x: (np.asarray(x, float)[..., :na], np.asarray(x, float)[..., na:])
        blocks = [len(sp.ops)] * (sp.num_stages * sp.max_depth) + [sp.num_depths] * sp.num_stages   # binas's one-hot groups
        for j, T in enumerate(budgets(lat)):
            np.random.seed(seed); random.seed(seed)
            ef = EvolutionFinder('PyTorch_CPU', T, lambda x: float(lat(*split(x))), lambda xs: acc(*split(np.array(xs))), blocks=blocks)
            t, w = time.process_time(), time.perf_counter()
            x = ef.run_evolution_search()
            out['seconds'][i, j], out['wall'][i, j] = time.process_time() - t, time.perf_counter() - w
            out['gap'][i, j] = optimum[i, j] - float(acc(*split(x)))
            out['infeasible'] += float(lat(*split(x))) > T * (1 + 1e-9)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seeds', default='0,1,2,3,4', help='instance seeds')
    p.add_argument('--solvers', default='bcfw,evo,bcfw:raw,evo:raw', help="binas solvers; ':raw' = as before the polish (no polish; evo with 10,000 children)")
    p.add_argument('--evo_seed', type=int, default=0, help="seed of binas's evolution")
    p.add_argument('--release', help="a checkout of Alibaba-MIIL/BINAS: also run the release's solvers on the same instances")
    p.add_argument('--core', type=int, default=None, help='CPU core to pin to (default: the last one allowed)')
    p.add_argument('--output', help='write all numbers as JSON here')
    a = p.parse_args()
    os.sched_setaffinity(0, {a.core if a.core is not None else sorted(os.sched_getaffinity(0))[-1]})
    seeds, solvers = [int(s) for s in a.seeds.split(',')], a.solvers.split(',')
    print(f'release-shaped SYNTHETIC instances, seeds {seeds}; budgets at {", ".join(f"{s:.0%}" for s in SHARES)} of the latency range; '
          f'core {sorted(os.sched_getaffinity(0))}, load average {os.getloadavg()[0]:.2f}')
    res, optimum = run_binas(seeds, solvers, {'evo': {'seed': a.evo_seed}})
    print(f'optimum (exact) per seed x budget:\n{np.round(optimum, 3)}')
    rows, ok, rel = [], True, {}
    for s in solvers:
        lines, o = table(f'binas {s}', res[s], REFERENCE[s.partition(':')[0]]); rows += lines
        if ':' not in s: ok &= o
    if a.release:
        rel = {'evo': run_release_evo(a.release, seeds, optimum)}
        rows += table('release evo', rel['evo'])[0]
        rows.append(f"release evo returned {rel['evo']['infeasible']} architectures over the budget")
    print('\n'.join(rows))
    print('ALL PASS' if ok else 'SOME FAIL')
    if a.output:
        with open(a.output, 'w') as f:
            json.dump({'seeds': seeds, 'shares': SHARES, 'optimum': optimum.tolist(),
                       'binas': {s: {k: v.tolist() for k, v in r.items()} for s, r in res.items()},
                       'release': {s: {k: np.asarray(v).tolist() for k, v in r.items()} for s, r in rel.items()}}, f, indent=1)
    return 0 if ok else 1


if __name__ == '__main__': sys.exit(main())
