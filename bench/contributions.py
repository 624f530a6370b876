"""Contribution measurements: seconds with and without prefix reuse (same run, same numbers), and how well estimators built
from each per-image outcome, at each number of images, rank held-out sub-networks against two low-noise references.

    python bench/contributions.py --checkpoint outputs/demo/run/supernet/last.pth.tar            # timing A/B only (~2 min)
    python bench/contributions.py --checkpoint W --num_iter 64 --reference 100 --levers levers.csv   # + the outcome table (~12 min)
    python bench/contributions.py --run outputs/demo/run --levers levers.csv     # the table from a finished demo run (seconds)

The reference: `--reference` random sub-networks (the demo's held-out samples: seed 1, the first of 300) measured on the last
`--reference_images` images of the search split's seeded order (the contributions use the first `num_iter × batch_size`),
scored two ways: top-1, and the calibrated log-probability (`cal`); each one's test-retest τ is one half of the images against
the other. The estimators: for every score, shrinkage off/on, and 1/4, 1/2 and all of the `num_iter` chunks (disjoint subsets,
τ averaged over them). `--run` reads both from a finished demo run instead (its contributions in `estimator.json`, its
held-out samples measured on the reporting images in `measured.csv`: the same networks and images as above, no new forward
passes). `--logp_floor` changes where log-probabilities are clipped (binas.estimator.LOGP_FLOOR) for this run.
"""
import argparse, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import stats

import binas.estimator as E
from binas.data import get_data
from binas.estimator import SCORES, Contributions, contribution_form, eval_images, load_estimator, measure_contributions, oneshot_scores
from binas.space import Arch, sample_archs
from binas.supernet import load_supernet


def references(sc:np.ndarray)->dict:
    "The reference scores of each network (top-1 %, calibrated log-probability) and each one's test-retest τ (even vs odd images)."
    j = SCORES.index('cal')
    out = {}
    for name, col in (('top1', 0), ('cal', j)):
        a, b = sc[:, ::2, col].mean(1), sc[:, 1::2, col].mean(1)
        out[name] = (sc[:, :, col].mean(1), stats.kendalltau(a, b).statistic)
    return out


def levers(c:Contributions, archs, refs:dict, batch_size:int, draws:int=1)->pd.DataFrame:
    "τ and Spearman of every score × shrinkage × number of chunks (disjoint subsets) against both references."
    n, rows = c.chunks.shape[1], []
    for k in sorted({max(1, n // 4), max(1, n // 2), n}):
        for score in SCORES:
            for shrink in (False, True):
                r = []
                for s in range(0, n - k + 1, k):
                    p = contribution_form(c.resample(np.arange(s, s + k)), score, shrink).predict(archs)
                    r.append([stats.kendalltau(p, refs['top1'][0]).statistic, stats.spearmanr(p, refs['top1'][0]).statistic,
                              stats.kendalltau(p, refs['cal'][0]).statistic, stats.spearmanr(p, refs['cal'][0]).statistic])
                r = np.array(r)
                rows.append({'chunks': k, 'images': k * batch_size, 'draws': draws, 'score': score, 'shrink': shrink, 'subsets': len(r),
                             'kendall_tau': r[:, 0].mean(), 'kendall_tau_min': r[:, 0].min(), 'spearman': r[:, 1].mean(),
                             'kendall_tau_cal_ref': r[:, 2].mean(), 'spearman_cal_ref': r[:, 3].mean()})
    return pd.DataFrame(rows).round(3)


def from_run(run:Path, a):
    "The lever table of a finished demo run: its contributions, and its held-out samples on the reporting images as the reference."
    _, c, meta = load_estimator(run / 'estimator.json')
    m = pd.read_csv(run / 'measured.csv')
    ref = m[m.group.isin(['random', 'reference'])]
    archs = [Arch.from_string(s, c.space) for s in ref.arch]
    refs = {'top1': (ref.oneshot.to_numpy(), stats.kendalltau(ref.oneshot_a, ref.oneshot_b).statistic),
            'cal': (ref.cal.to_numpy(), stats.kendalltau(ref.cal_a, ref.cal_b).statistic)}
    print(f'{run}: {c.chunks.shape[1]} chunks; reference {len(ref)} sub-networks, test-retest τ top-1 {refs["top1"][1]:.3f}, '
          f'calibrated log-probability {refs["cal"][1]:.3f}; τ between the two {stats.kendalltau(refs["top1"][0], refs["cal"][0]).statistic:.3f}')
    a.batch_size = meta['images'] // c.chunks.shape[1]   # images per chunk
    a.draws = meta.get('draws', 1)                       # path draws per chunk
    report(c, archs, refs, a)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', help='a trained super-network (w*)')
    p.add_argument('--run', help='a finished demo run folder: its measurements instead of new ones')
    p.add_argument('--data', default='fashion-mnist')
    p.add_argument('--train_percent', type=float, default=70, help='as the super-network was trained with (the demo: 70)')
    p.add_argument('--num_iter', type=int, default=16, help='chunks (path draws) per decision')
    p.add_argument('--batch_size', type=int, default=64, help='images per chunk')
    p.add_argument('--reference', type=int, default=0, help='random sub-networks in the reference (0: timing only)')
    p.add_argument('--reference_images', type=int, default=10904)
    p.add_argument('--logp_floor', type=float, default=None, help='clip log-probabilities here (default: binas.estimator.LOGP_FLOOR)')
    p.add_argument('--levers', default=None, help='write the outcome table to this CSV')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    if a.logp_floor is not None: E.LOGP_FLOOR = a.logp_floor
    if a.run: return from_run(Path(a.run), a)
    if not a.checkpoint: raise SystemExit('--checkpoint or --run is required')
    torch.set_num_threads(a.threads)
    net = load_supernet(a.checkpoint)
    search = get_data(a.data, net.space.resolution, a.train_percent, 0, False).search
    if not a.reference:
        t, res = {}, {}
        modes = (False, 'stage', 'block')
        for reuse in modes + modes:          # interleaved: the machine's speed drifts
            t0 = time.perf_counter()
            res[reuse] = measure_contributions(net, search, num_iter=a.num_iter, batch_size=a.batch_size, reuse_prefix=reuse)
            t.setdefault(reuse, []).append(time.perf_counter() - t0)
        same = max(np.abs(res[m].chunks - res[False].chunks).max() for m in modes)
        med = {m: np.median(t[m]) for m in modes}
        print(f'256 decisions x {a.num_iter * a.batch_size} images: from the stem {med[False]:.1f} s; reusing the stages before '
              f'the pin {med["stage"]:.1f} s ({med[False] / med["stage"]:.2f}x); reusing the blocks before it {med["block"]:.1f} s '
              f'({med[False] / med["block"]:.2f}x; {med["stage"] / med["block"]:.2f}x the stage reuse); max difference of the numbers {same:.1e}')
        return
    skip = len(search) - a.reference_images
    if skip < a.num_iter * a.batch_size: raise SystemExit('the reference images overlap the contribution images: use fewer')
    archs = sample_archs(300, net.space, 1)[:a.reference]
    t0 = time.perf_counter()
    c = measure_contributions(net, search, num_iter=a.num_iter, batch_size=a.batch_size)
    t1 = time.perf_counter()
    refs = references(oneshot_scores(net, archs, images=eval_images(search, a.reference_images, 0, skip=skip)))
    print(f'contributions {t1 - t0:.0f} s; reference {time.perf_counter() - t1:.0f} s: {a.reference} sub-networks on '
          f'{a.reference_images} images, test-retest τ (halves) top-1 {refs["top1"][1]:.3f}, calibrated log-probability '
          f'{refs["cal"][1]:.3f}; τ between the two references {stats.kendalltau(refs["top1"][0], refs["cal"][0]).statistic:.3f}'
          f' (log-probabilities clipped at {E.LOGP_FLOOR:.3f})')
    report(c, archs, refs, a)


def report(c:Contributions, archs, refs:dict, a):
    "Print the lever table (and write it with `--levers`)."
    df = levers(c, archs, refs, a.batch_size, getattr(a, 'draws', 1))
    with pd.option_context('display.width', 200, 'display.max_rows', 200): print(df.to_string(index=False))
    if a.levers: df.assign(logp_floor=round(E.LOGP_FLOOR, 3), ref_retest_top1=round(refs['top1'][1], 3),
                           ref_retest_cal=round(refs['cal'][1], 3)).to_csv(a.levers, index=False)


if __name__ == '__main__': main()
