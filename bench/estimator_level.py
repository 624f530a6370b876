"""Where the estimator's level comes from: one-shot top-1 of the same random sub-networks on a demo run's fit images, with the
batch-norm batch of the contributions (64) and of one-shot evaluation (100), on all the fit images and on the first 1,000
(the samples stage's), printed beside the run's a0.

    python bench/estimator_level.py --run outputs/demo/run          # a finished demo run (stage 2 and 4 at least)
"""
import argparse, time

import numpy as np

from binas.core import load_json
from binas.demo import DemoConfig, Run, image_sets
from binas.estimator import eval_images, oneshot_accuracy
from binas.space import sample_archs
from binas.supernet import load_supernet


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='outputs/demo/run', help='a demo run folder with default settings')
    p.add_argument('--archs', type=int, default=24, help='random sub-networks (the same ones in every setting)')
    p.add_argument('--seed', type=int, default=123)
    a = p.parse_args(argv)
    run = Run(a.run, DemoConfig())
    skip, n_fit = image_sets(run)['fit']
    net, (x, y) = load_supernet(run.path('supernet', 'last.pth.tar')), eval_images(run.splits.search, n_fit, run.cfg.seed, skip=skip)
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
