"""What the demo's reference resolves, and what the estimator's shrinkage costs: measured on a finished demo run folder.

    python bench/reference_study.py --run outputs/demo/run            # ~15 min on two cores for a run measured without the
                                                                      # test split (the 100 reference networks on 10,000 images)

The demo judges its estimator against 100 held-out random sub-networks (the reference), measured on the reporting images.
For a run whose measure stage used the search split's reporting images alone (`report_test_images=0`, versions before it
existed), this measures the same networks on the test split's images too and prints, for the calibrated log-probability
(`cal`) and for top-1:
- the split-half test-retest τ (even vs odd images) on the reporting images, on the test images, and on both together (the
  halves of both sets joined, as `report_test_images` does);
- τ between the full reporting set and the full test set (two independent measurements of ~10k images each);
- the estimator's Kendall-τ / Spearman against each reference, with the estimator built from the run's stored contributions
  with and without empirical-Bayes shrinkage;
- for plain BINAS (the estimator's exact optimum under each of the run's budgets, shrunk and not), its predicted accuracy
  ± se against its one-shot top-1 on both image sets: how many standard errors apart (the demo's verdict asks ≤ 2).
The test split's per-image outcomes are kept in `--cache` (a .npy file), so a second call prints at once.
For a run measured with the test split already, the numbers are in its `state.json` and report; this says so and stops.
"""
import argparse, json
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats

from binas.bilinear import load_form
from binas.data import get_data
from binas.estimator import (Contributions, bootstrap_forms, contribution_form, eval_images, oneshot_scores, predict_se,
                             score_index)
from binas.search import search
from binas.space import Arch
from binas.supernet import load_supernet


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', required=True, help='a finished demo run folder (measured.csv, estimator.json, supernet/)')
    p.add_argument('--cache', default=None, help='where to keep the test split outcomes (default: <run>/reference_test_scores.npy)')
    p.add_argument('--limit', type=int, default=0, help='only this many reference networks and test images (a smoke test)')
    p.add_argument('--threads', type=int, default=None)
    return p.parse_args(argv)


def tau(a, b)->float: return float(stats.kendalltau(a, b)[0])


def halves(stored_a, stored_b, n_stored:int, v:np.ndarray)->tuple[np.ndarray, np.ndarray]:
    "Even- and odd-image means of the stored halves (`n_stored` images in all) joined with those of `v` (networks, images)."
    va, vb = v[:, 0::2], v[:, 1::2]
    na, nb = (n_stored + 1) // 2, n_stored // 2
    return ((np.asarray(stored_a) * na + va.sum(1)) / (na + va.shape[1]), (np.asarray(stored_b) * nb + vb.sum(1)) / (nb + vb.shape[1]))


def main(argv=None):
    a = parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    run = Path(a.run)
    cfg, st = json.loads((run / 'config.json').read_text()), json.loads((run / 'state.json').read_text())
    if cfg.get('report_test_images', 0):
        raise SystemExit(f'{run} was measured with {cfg["report_test_images"]} test-split images already: its reference numbers are in '
                         f"state.json (measure.reference) and report.md")
    net = load_supernet(run / 'supernet' / 'last.pth.tar')
    sp = net.space
    m = pd.read_csv(run / 'measured.csv')
    ref = m[m.group.isin(['random', 'reference'])].reset_index(drop=True)
    if a.limit: ref = ref.iloc[:a.limit]
    n_rep = int(st['measure']['report_images'])
    data = get_data(cfg['data'], sp.resolution, cfg['train_percent'], cfg['seed'], False)
    n_test = min(a.limit, len(data.test)) if a.limit else len(data.test)
    x, y = eval_images(data.test, n_test, cfg['seed'])
    cache = Path(a.cache) if a.cache else run / 'reference_test_scores.npy'
    v = np.load(cache) if cache.exists() and not a.limit else None
    if v is None or v.shape[:2] != (len(ref), n_test):
        v = oneshot_scores(net, [Arch.from_string(s, sp) for s in ref.arch], None, images=(x, y))
        if not a.limit: np.save(cache, v)
    j = score_index('cal')
    refs = {}
    for name, col, ca, cb, scale in (('cal', j, 'cal_a', 'cal_b', 1.), ('top-1', 0, 'oneshot_a', 'oneshot_b', 100.)):
        t = scale * v[..., col]
        A, B = halves(ref[ca], ref[cb], n_rep, t)
        full_rep = (ref[ca] + ref[cb]) / 2
        print(f'{name:>5} test-retest tau: reporting halves {tau(ref[ca], ref[cb]):.3f} | test halves {tau(t[:, 0::2].mean(1), t[:, 1::2].mean(1)):.3f}'
              f' | joined halves {tau(A, B):.3f} | reporting set vs test set {tau(full_rep, t.mean(1)):.3f}')
        refs[f'{name} reporting'], refs[f'{name} joined'] = full_rep.to_numpy(), (A + B) / 2
    c = Contributions.from_dict(load_form(run / 'estimator.json', 'estimator')[1]['contributions'], sp)
    archs = [Arch.from_string(s, sp) for s in ref.arch]
    for shrink in (True, False):
        p = contribution_form(c, cfg['estimator_score'], shrink).predict(archs)
        print(f'estimator (shrink={shrink}): ' + ', '.join(f'vs {k} tau {tau(p, r):.3f} rho {stats.spearmanr(p, r)[0]:.3f}' for k, r in refs.items()))
    lat = load_form(run / 'latency_form.json', 'latency')[0]
    xr, yr = eval_images(data.search, n_rep, cfg['seed'], skip=len(data.search) - n_rep)
    if a.limit: xr, yr = xr[:a.limit], yr[:a.limit]
    imgs = (torch.cat([xr, x]), torch.cat([yr, y]))
    for shrink in (True, False):
        f, boots = contribution_form(c, cfg['estimator_score'], shrink), bootstrap_forms(c, 200, score=cfg['estimator_score'], shrink=shrink)
        found = [search(f, lat, T, solver='exact').arch for T in st['search']['budgets']]
        o = 100 * oneshot_scores(net, found, None, images=imgs)[..., 0]
        acc, se = o.mean(1), o.std(1, ddof=1) / np.sqrt(o.shape[1])
        pred, pse = f.predict(found), predict_se(boots, found)
        z = (pred - acc) / np.hypot(pse, se)
        print(f'plain BINAS (shrink={shrink}): ' + '; '.join(f'{T:.2f} ms: predicted {p_:.2f} ± {ps:.2f}, one-shot {a_:.2f} ± {s_:.2f}, z {z_:+.2f}'
              for T, p_, ps, a_, s_, z_ in zip(st['search']['budgets'], pred, pse, acc, se, z)) + f'  (|z| ≤ 2 at {int((abs(z) <= 2).sum())} of {len(z)})')


if __name__ == '__main__':
    main()
