"""The measurements behind 06_predictors' equal-compute comparison, from one trained super-network (w*):

    python bench/equal_compute.py --checkpoint outputs/demo/run/supernet/last.pth.tar --out nbs/artifacts/predictors

writes (compact CSV / JSON, no pickle):
- reference100.csv   100 random sub-networks (seed 777), one-shot top-1 and log-probability on the last 7,904 images of the
                     search split's seeded order, and top-1 on its even and odd images (the test-retest pair);
- train2000.csv      2,000 random sub-networks (seed 1000) on the first 256 images (top-1 and log-probability, with errors);
- estimator_16x64.json, estimator_32x64.json  the contributions (16 draws x 64 images, 32 x 64) as estimator files.
About 8 minutes on two cores. Sub-network-image forward passes are the unit of compute of the comparison.
"""
import argparse, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from binas.data import get_data
from binas.estimator import (SUMMARY, eval_images, measure_contributions, oneshot_scores, outcome_summary, sample_accuracies,
                             save_estimator, save_samples)
from binas.space import sample_archs
from binas.supernet import load_supernet


def reference(net, search, n, images):
    archs = sample_archs(n, net.space, 777)
    sc = oneshot_scores(net, archs, images=eval_images(search, images, 0, skip=len(search) - images))
    rows = []
    for a, v in zip(archs, sc):
        ops, depth = a.indices()
        rows.append({'alpha_idx': ' '.join(map(str, ops.reshape(-1))), 'beta_idx': ' '.join(map(str, depth)), **outcome_summary(v),
                     'accuracy_a': 100 * float(v[0::2, 0].mean()), 'accuracy_b': 100 * float(v[1::2, 0].mean())})
    return pd.DataFrame(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--out', default='nbs/artifacts/predictors')
    p.add_argument('--data', default='fashion-mnist')
    p.add_argument('--train', type=int, default=2000)
    p.add_argument('--train_images', type=int, default=256)
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    net = load_supernet(a.checkpoint)
    search = get_data(a.data, net.space.resolution, 80, 0, False).search
    t0 = time.perf_counter()
    reference(net, search, 100, 7904).to_csv(out / 'reference100.csv', index=False)
    print(f'reference: {time.perf_counter() - t0:.0f} s', flush=True)
    df = sample_accuracies(net, a.train, search, seed=1000, num_images=a.train_images, batch_size=64)
    save_samples(df.drop(columns='arch'), out / f'train{a.train}.csv')
    print(f'+ train samples: {time.perf_counter() - t0:.0f} s', flush=True)
    for it in (16, 32):
        c = measure_contributions(net, search, num_iter=it, batch_size=64)
        save_estimator(c, out / f'estimator_{it}x64.json', 'logp', meta={'num_iter': it, 'batch_size': 64})
        print(f'+ contributions {it}x64: {time.perf_counter() - t0:.0f} s', flush=True)


if __name__ == '__main__': main()
