"""Stage-2 recipes of the demo, side by side: super-network training speed and what it buys in one-shot accuracy.

    binas_demo --only heaviest                        # once: the demo's w_h in outputs/demo/run/heaviest
    python bench/supernet_recipe.py --speed           # ~1 min: stage-2 images/s at each batch size
    python bench/supernet_recipe.py                   # ~20 min: each recipe trained in full, then evaluated

A recipe is `batch/epochs/lr`. Every recipe starts from the same w_h and uses the demo's stage-2 code (multipath
sampling, in-place distillation, sandwich). The full mode reports, per recipe: training seconds, the heaviest
path's test top-1 (batch-norm recalibrated, as the demo's stage reports it), the heaviest path's one-shot accuracy and
the mean one-shot accuracy of random sub-networks on the demo's fit images, and the time ratio to the first recipe,
which is the baseline measured in the same run. The speed mode times `--images` training images per batch size, in
interleaved rounds, and prints images/s and the ratio to the first batch size.
"""
import argparse, json, tempfile, time
from pathlib import Path

import torch

from binas.demo import DemoConfig, Run, heaviest_path_top1, train_cfg
from binas.estimator import eval_images, oneshot_accuracy, sample_accuracies
from binas.supernet import load_supernet
from binas.train import train_supernet


def train(run:Run, batch:int, epochs:int, lr:float, out:Path, limit:int=0)->float:
    "Stage 2 of the demo with this recipe into `out`; returns the seconds it took."
    cfg = train_cfg(run, epochs, lr, batch_size=batch, **({'limit_train': limit, 'limit_valid': 256} if limit else {}))
    t = time.perf_counter()
    train_supernet(run.splits, cfg, run.path('heaviest', 'last.pth.tar'), run.cfg.groups, out_dir=out)
    return time.perf_counter() - t


def evaluate(run:Run, ck:Path, samples:int)->dict:
    "What the demo reports of a super-network: heaviest path test top-1, and one-shot accuracies on the fit images."
    net, c = load_supernet(ck), run.cfg
    df = sample_accuracies(net, samples, run.splits.search, seed=c.seed + 1, num_images=c.sample_images, image_seed=c.seed)
    top = oneshot_accuracy(net, [net.heaviest], None, images=eval_images(run.splits.search, c.sample_images, c.seed))[0]
    return {'heaviest_path_test_top1': heaviest_path_top1(net, run), 'heaviest_path_oneshot': float(top),
            'random_mean': float(df.accuracy.mean()), 'random_std': float(df.accuracy.std()), 'random_mean_first50': float(df.accuracy[:50].mean())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--run', default='outputs/demo/run', help='a demo run folder whose heaviest stage is done')
    p.add_argument('--recipes', nargs='+', default=['128/2/0.02', '64/1/0.02', '64/2/0.02', '128/2/0.03', '128/2/0.04'], help='batch/epochs/lr; the first is the baseline')
    p.add_argument('--samples', type=int, default=300, help='random sub-networks per recipe')
    p.add_argument('--speed', action='store_true', help='only time stage-2 training per batch size')
    p.add_argument('--images', type=int, default=6400, help='--speed: training images per timing')
    p.add_argument('--rounds', type=int, default=2, help='--speed: interleaved rounds')
    p.add_argument('--threads', type=int, default=None)
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    src = Path(a.run).resolve()
    if not (src / 'heaviest' / 'last.pth.tar').exists(): p.error(f'{a.run}: no heaviest checkpoint; run `binas_demo --only heaviest` first')
    cfg = DemoConfig(**{k: v for k, v in json.loads((src / 'config.json').read_text()).items() if k in DemoConfig.__dataclass_fields__})
    recipes = [tuple(t(x) for t, x in zip((int, int, float), r.split('/'))) for r in a.recipes]
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(Path(tmp, 'run'), cfg)   # a scratch run folder that shares the source run's w_h
        run.path('heaviest').symlink_to(src / 'heaviest')
        if a.speed:
            batches = list(dict.fromkeys(b for b, _, _ in recipes))
            secs = {b: [] for b in batches}
            for r in range(a.rounds):
                for b in batches: secs[b].append(train(run, b, 1, 0.02, Path(tmp, f'{b}-{r}'), limit=a.images))
            base = min(secs[batches[0]])
            for b in batches:
                print(f'batch {b:4d}: {a.images / min(secs[b]):7.1f} img/s (best of {a.rounds}, incl. start-up)   {base / min(secs[b]):.2f}x batch {batches[0]}')
            return
        rows = []
        for b, e, lr in recipes:
            out = Path(tmp, f'{b}-{e}-{lr}')
            s = train(run, b, e, lr, out)
            rows.append({'recipe': f'{b}/{e}/{lr}', 'train_s': s, **evaluate(run, out / 'last.pth.tar', a.samples)})
            print(json.dumps(rows[-1]), flush=True)
        st = json.loads((src / 'state.json').read_text()) if (src / 'state.json').exists() else {}
        if 'heaviest' in st: print(f"\nw_h test top-1: {st['heaviest']['test_top1']:.2f}%")
        for r in rows:
            print(f"{r['recipe']:>12}: {r['train_s']:6.0f} s ({r['train_s'] / rows[0]['train_s']:.2f}x baseline)  heaviest path test "
                  f"{r['heaviest_path_test_top1']:.2f}%  one-shot: heaviest {r['heaviest_path_oneshot']:.2f}%, random mean "
                  f"{r['random_mean']:.2f}% ± {r['random_std']:.2f} (first 50: {r['random_mean_first50']:.2f}%)")


if __name__ == '__main__': main()
