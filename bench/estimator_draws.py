"""What more path draws per chunk and the level draws buy the estimator, on a finished demo run measured with one draw per chunk.

The run's stored contributions are draw 0 (`draw_seed(seed, 0)` is the seed itself); this measures the other draws and the
level measurements on the same chunks of images, then compares three estimators built from the same store: the paper's
protocol (one draw), one draw plus the level draws, and all draws plus the level draws. For each: a0 and its standard error,
Kendall-tau and Spearman against the run's reference (100 held-out random sub-networks, calibrated log-probability and top-1
on the reporting images), the estimator's mean excess over those networks' one-shot top-1, and plain BINAS (the estimator's
exact optimum at the run's budgets): predicted and one-shot top-1 on the reporting images, with the z-score of their
difference (networks the run did not measure are measured here).

    python bench/estimator_draws.py --run outputs/demo/run       # ~12 min on two cores for the demo's 96 chunks
"""
import argparse, tempfile, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats

from binas.bilinear import load_form
from binas.core import ResultStore
from binas.demo import DemoConfig, Run, report_images, oneshot_record
from binas.estimator import (Contributions, bootstrap_forms, contribution_form, contribution_meta, decision_keys, draw_key, level_keys,
                             load_estimator, measure_contributions, oneshot_scores, predict_se)
from binas.search import search as solve
from binas.space import Arch
from binas.supernet import load_supernet


def compare(name:str, c:Contributions, run:Run, m:pd.DataFrame, budgets, net, images, cache:dict, cfg:DemoConfig):
    form = contribution_form(c, cfg.estimator_score, cfg.estimator_shrink)
    boot = bootstrap_forms(c, 200, score=cfg.estimator_score, shrink=cfg.estimator_shrink)
    ref = m[m.group.isin(['random', 'reference'])]
    p = form.predict([Arch.from_string(s, run.space) for s in ref.arch])
    se0 = float(np.std([f.const for f in boot], ddof=1))
    print(f'{name}: a0 {form.const:.2f} ± {se0:.2f}; vs the calibrated reference tau {stats.kendalltau(p, ref.cal).statistic:.3f}, '
          f'Spearman {stats.spearmanr(p, ref.cal).statistic:.3f}; vs top-1 tau {stats.kendalltau(p, ref.oneshot).statistic:.3f}; '
          f'estimator - one-shot on those networks {np.mean(p - ref.oneshot):+.2f}', flush=True)
    lat = load_form(run.path('latency_form.json'), 'latency')[0]
    for T in budgets:
        a = solve(form, lat, T, solver='exact').arch
        if str(a) not in cache:
            r = oneshot_record(oneshot_scores(net, [a], None, images=images)[0]); cache[str(a)] = (r['accuracy'], r['accuracy_se'])
        acc, se_o = cache[str(a)]
        pr, se_p = float(form.predict(a)), float(predict_se(boot, [a])[0])
        print(f'  plain BINAS at {T:.2f} ms: predicted {pr:.2f} ± {se_p:.2f}, one-shot {acc:.2f} ± {se_o:.2f}, '
              f'z {(pr - acc) / np.hypot(se_p, se_o):+.2f}', flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='outputs/demo/run', help='a finished demo run measured with one draw per chunk')
    p.add_argument('--draws', type=int, default=2)
    p.add_argument('--level_paths', type=int, default=2, help='level measurements per draw')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = DemoConfig.of_run(a.run)
    if cfg.contrib_draws != 1: raise SystemExit(f'{a.run}: measured with {cfg.contrib_draws} draws per chunk; this compares against one')
    run = Run(a.run, cfg)
    net = load_supernet(run.path('supernet', 'last.pth.tar'))
    _, c1, _ = load_estimator(run.path('estimator.json'))
    n = c1.chunks.shape[1]
    store = Path(tempfile.mkdtemp()) / 'contributions.jsonl'
    old = ResultStore.merged(run.path('contributions.jsonl'))
    md = contribution_meta(net, n, 64, 1, cfg.seed, n * 64, {'draws': a.draws})
    st = ResultStore(store, md)
    for k in decision_keys(run.space): st.add(k, old[k])                     # draw 0: the run's own measurements
    t = time.perf_counter()
    c = measure_contributions(net, run.splits.search, run.space, num_iter=n, batch_size=64, seed=cfg.seed, path=store, draws=a.draws,
                              level_paths=a.level_paths)
    print(f'draws 1-{a.draws - 1} and {a.level_paths} level measurements per draw: {time.perf_counter() - t:.0f} s', flush=True)
    raw = ResultStore.merged(store)
    keys, lk = decision_keys(run.space), level_keys(a.level_paths)
    one = lambda ks: np.array([raw[k] for k in ks], float)
    lv = np.concatenate([one([draw_key(k, j) for k in lk]) for j in range(a.draws)])   # every level draw, on draw 0's terms
    m, budgets = pd.read_csv(run.path('measured.csv')), pd.read_csv(run.path('searched.csv')).budget_ms
    cache = {r.arch: (r.oneshot, r.oneshot_se) for r in m.itertuples()}
    images = report_images(run)
    for name, cc in ((f'the paper\'s protocol: one draw per chunk ({n} chunks of 64 images)', Contributions(run.space, keys, one(keys))),
                     (f'one draw + {len(lv)} level draws', Contributions(run.space, keys + level_keys(len(lv)), np.concatenate([one(keys), lv]))),
                     (f'{a.draws} draws per chunk + {a.level_paths} level measurements per draw', c)):
        compare(name, cc, run, m, budgets, net, images, cache, cfg)


if __name__ == '__main__':
    main()
