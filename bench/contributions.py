"""Contribution measurements: seconds with and without prefix reuse (same run, same numbers), and how well estimators built
from each per-image outcome rank held-out sub-networks against a low-noise top-1 reference.

    python bench/contributions.py --checkpoint outputs/demo/run/supernet/last.pth.tar            # timing A/B only (~2 min)
    python bench/contributions.py --checkpoint W --reference 100 --reference_images 7904          # + the outcome comparison

The reference: `--reference` random sub-networks (seed 777) measured on the last `--reference_images` images of the search
split's seeded order (the contributions use the first ones); its own test-retest τ is one half of those images against the other.
"""
import argparse, time

import numpy as np
import torch
from scipy import stats

from binas.data import get_data
from binas.estimator import SCORES, contribution_form, eval_images, measure_contributions, oneshot_scores
from binas.space import sample_archs
from binas.train import load_supernet


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True, help='a trained super-network (w*)')
    p.add_argument('--data', default='fashion-mnist')
    p.add_argument('--num_iter', type=int, default=16, help='chunks (path draws) per decision')
    p.add_argument('--batch_size', type=int, default=64, help='images per chunk')
    p.add_argument('--reference', type=int, default=0, help='random sub-networks in the reference (0: timing only)')
    p.add_argument('--reference_images', type=int, default=7904)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    net = load_supernet(a.checkpoint)
    search = get_data(a.data, net.space.resolution, 80, 0, False).search
    t, res = {}, {}
    for reuse in (False, True, False, True):          # interleaved: the machine's speed drifts
        t0 = time.perf_counter()
        res[reuse] = measure_contributions(net, search, num_iter=a.num_iter, batch_size=a.batch_size, reuse_prefix=reuse)
        t.setdefault(reuse, []).append(time.perf_counter() - t0)
    same = np.abs(res[True].chunks - res[False].chunks).max()
    print(f'256 decisions x {a.num_iter * a.batch_size} images: from the stem {np.median(t[False]):.1f} s, reusing the prefix '
          f'{np.median(t[True]):.1f} s: {np.median(t[False]) / np.median(t[True]):.2f}x (max difference of the numbers {same:.1e})')
    if not a.reference: return
    archs = sample_archs(a.reference, net.space, 777)
    skip = len(search) - a.reference_images
    if skip < a.num_iter * a.batch_size: raise SystemExit('the reference images overlap the contribution images: use fewer')
    sc = oneshot_scores(net, archs, images=eval_images(search, a.reference_images, 0, skip=skip))
    top1 = 100 * sc[..., 0].mean(1)
    print(f'reference: {a.reference} sub-networks on {a.reference_images} images; test-retest τ (halves) '
          f'{stats.kendalltau(sc[:, ::2, 0].mean(1), sc[:, 1::2, 0].mean(1)).statistic:.3f}')
    for score in SCORES:
        for shrink in (False, True):
            e = contribution_form(res[True], score, shrink).predict(archs)
            print(f'estimator from {score:6s} {"shrunk" if shrink else "      "}: Kendall-τ {stats.kendalltau(e, top1).statistic:.3f}, '
                  f'Spearman {stats.spearmanr(e, top1).statistic:.3f}')


if __name__ == '__main__': main()
