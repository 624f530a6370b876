"""Where the estimator's level comes from: one-shot top-1 of random sub-networks on a demo run's fit images, beside the run's a0.

Part 1 (paired by chunk, the decisive comparison): on each of the contributions' chunks (64 images, batch-norm batch 64) the
chunk's unpinned coupled draw (`base`), a0's parts, and `--paths` further random paths, all on the same images; the paired
differences say whether a0 sits above random sub-networks beyond the noise of its 96 path draws.
Part 2: the same random sub-networks on all fit images and on the first 1,000 (the samples stage's), with the batch-norm
batch of the contributions (64) and of one-shot evaluation (100).

    python bench/estimator_level.py --run outputs/demo/run          # a finished demo run (stage 2 and 4 at least)
"""
import argparse, time

import numpy as np
import torch

from binas.core import load_json
from binas.demo import DemoConfig, Run, image_sets
from binas.estimator import decision_keys, estimator_form, eval_images, oneshot_accuracy, load_estimator, image_scores
from binas.space import sample_archs
from binas.supernet import load_supernet, batch_stat_bn, PathSampler


def a0_parts(c, keys=None)->np.ndarray:
    "Per chunk: the estimator's a0 (`estimator_form`) from that chunk's top-1 alone, of `keys` (default: the coupled decisions only), in %."
    keys = keys or decision_keys(c.space)
    top = 100 * c.column('top1')[[c.keys.index(k) for k in keys]]
    return np.array([estimator_form(dict(zip(keys, col)), c.space).const for col in top.T])


def paired(run:Run, net, paths:int, seed:int):
    "Part 1: per-chunk a0 parts and level keys against `paths` random paths on the same chunk."
    form, c, _ = load_estimator(run.path('estimator.json'))
    n = c.chunks.shape[1]
    x, y = eval_images(run.splits.search, n * 64, run.cfg.seed)
    net.eval().to(memory_format=torch.channels_last)
    feats, ys = net.stem_features(x, 64, True), list(y.split(64))
    rs, rnd, t = PathSampler(net.space, seed=seed), np.zeros((n, paths)), time.time()
    with torch.inference_mode(), batch_stat_bn(net):
        for k, (f, t_) in enumerate(zip(feats, ys)):
            for r in range(paths): rnd[k, r] = 100 * image_scores(net.path_logits(f, rs.sample()), t_)[:, 0].mean().item()
    ref = rnd.mean(1)
    one = rnd[:, 0] - rnd[:, 1:].mean(1)
    print(f'{n} chunks x {paths} random paths on the same images [{time.time() - t:.0f} s]: random mean {ref.mean():.2f}%; '
          f'one path vs the other {paths - 1} on its chunk: sd {one.std(ddof=1) * np.sqrt((paths - 1) / paths):.2f} points per chunk')
    rows = [('base (one coupled draw per chunk)', 100 * c.column('top1')[c.keys.index('base')]), ("a0's coupled parts", a0_parts(c))]
    lv = [k for k in c.keys if k.startswith('level/')]
    if lv: rows.append((f'a0 with its {len(lv)} level measurements', a0_parts(c, c.keys)))
    for name, v in rows:
        d = v - ref
        print(f'{name}: {v.mean():.2f}%, minus the random paths on the same chunks {d.mean():+.2f} '
              f'(se {d.std(ddof=1) / np.sqrt(n):.2f}, paired over {n} chunks)')
    print(f'the run\'s a0: {form.const:.2f}%')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='outputs/demo/run', help='a demo run folder with default settings')
    p.add_argument('--archs', type=int, default=24, help='part 2: random sub-networks (the same ones in every setting)')
    p.add_argument('--paths', type=int, default=8, help='part 1: random paths per chunk')
    p.add_argument('--seed', type=int, default=123)
    p.add_argument('--part', type=int, choices=[0, 1, 2], default=0, help='0: both')
    a = p.parse_args(argv)
    run = Run(a.run, DemoConfig.of_run(a.run))
    net = load_supernet(run.path('supernet', 'last.pth.tar'))
    if a.part in (0, 1): paired(run, net, a.paths, a.seed)
    if a.part == 1: return
    skip, n_fit = image_sets(run)['fit']
    x, y = eval_images(run.splits.search, n_fit, run.cfg.seed, skip=skip)
    archs = sample_archs(a.archs, run.space, seed=a.seed)
    print(f"a0 of the run's estimator: {load_json(run.path('state.json'))['contributions']['a0']:.2f}%")
    for n in (len(y), run.cfg.sample_images):
        for b in (64, 100):
            t = time.time()
            acc = oneshot_accuracy(net, archs, images=(x[:n], y[:n]), batch_size=b)
            print(f'{n} fit images, batch-norm batch {b}: mean top-1 of {len(archs)} random sub-networks {acc.mean():.2f}% '
                  f'(se over the networks {acc.std(ddof=1) / np.sqrt(len(acc)):.2f}) [{time.time() - t:.0f} s]', flush=True)


if __name__ == '__main__':
    main()
