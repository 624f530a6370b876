"""One process with every core against one single-thread process per core (DDP, gloo), on the demo's training step.

    python bench/procs.py                  # heaviest demo network, global batch 64, 2 processes on a 2-core CPU
    python bench/procs.py --procs 2 --batch 128 --steps 30 --repeats 3
    python bench/procs.py --eval           # one-shot evaluation (the demo's stages 4, 5 and 8) instead of training

The demo's stages 1, 2 and 9 train with `TrainConfig` through fastai; this times the step they run (forward, cross-entropy,
backward, SGD update, channels_last) on a fixed random batch of `--batch` images, `--steps` timed steps after 3 warm-up ones:
(1) in this process with all threads, (2) in `--procs` fresh processes started by `binas.core.run_local_ranks`, each with its
share of the batch and the threads, gradients averaged by DDP — the same global batch. The two alternate `--repeats` times
so that both see the same load on a shared machine; the ratio of their medians is printed (> 1: the processes are faster).
Process start-up (imports, ~10 s, once per demo run) is not in the timed part. With `--eval` the timed work is one-shot
evaluation instead: `--nets` random sub-networks of a random-weight demo super-network on `--batch` × `--steps` images
(chunks of 100, batch statistics), split among the processes as the demo's stages split them.
"""
import argparse, json, os, statistics, tempfile, time
from pathlib import Path

import torch
import torch.nn.functional as F


def timed_steps(batch:int, steps:int, seed:int, out:str|None=None)->float:
    "Seconds of `steps` training steps of the heaviest demo network on this rank's share of `batch` (DDP when there are ranks)."
    from binas.core import barrier, dist_env
    from binas.space import Arch, build_model, demo_space
    env = dist_env()
    torch.manual_seed(seed)
    model = build_model(Arch.heaviest(demo_space()), num_classes=10).train().to(memory_format=torch.channels_last)
    if env.world > 1: model = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = torch.Generator().manual_seed(seed + env.rank)
    x = torch.randn(batch // env.world, 1, 28, 28, generator=g).to(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch // env.world,), generator=g)
    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(3): step()
    barrier(); t0 = time.perf_counter()
    for _ in range(steps): step()
    barrier(); dt = time.perf_counter() - t0
    if out and env.is_main: Path(out).write_text(json.dumps({'seconds': dt}))
    return dt


def timed_eval(nets:int, images:int, seed:int, out:str|None=None)->float:
    "Seconds of one-shot evaluation of this rank's share of `nets` random sub-networks on `images` images."
    from binas.core import barrier, dist_env, shard
    from binas.estimator import oneshot_scores
    from binas.space import demo_space, sample_archs
    from binas.supernet import SuperNet
    env = dist_env()
    torch.manual_seed(seed)
    net, g = SuperNet(demo_space(), 10), torch.Generator().manual_seed(seed)
    x, y = torch.randn(images, 1, 28, 28, generator=g), torch.randint(0, 10, (images,), generator=g)
    archs = shard(sample_archs(nets, net.space, seed), env.rank, env.world)
    oneshot_scores(net, archs[:1], images=(x[:100], y[:100]))   # warm-up
    barrier(); t0 = time.perf_counter()
    oneshot_scores(net, archs, images=(x, y))
    barrier(); dt = time.perf_counter() - t0
    if out and env.is_main: Path(out).write_text(json.dumps({'seconds': dt}))
    return dt


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--procs', type=int, default=2)
    ap.add_argument('--batch', type=int, default=64, help='global batch (divided among the processes)')
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--eval', action='store_true', help='time one-shot evaluation instead of training')
    ap.add_argument('--nets', type=int, default=16, help='--eval: sub-networks evaluated')
    a = ap.parse_args(argv)
    from binas.core import run_local_ranks
    if a.batch % a.procs: raise SystemExit(f'--batch {a.batch} is not a multiple of --procs {a.procs}')
    threads = os.cpu_count() or 1
    one, many = [], []
    with tempfile.TemporaryDirectory() as d:
        for r in range(a.repeats):
            torch.set_num_threads(threads)
            f, work = Path(d) / f'procs{r}.json', (timed_eval, a.nets, a.batch * a.steps) if a.eval else (timed_steps, a.batch, a.steps)
            one.append(work[0](*work[1:], a.seed))
            run_local_ranks(a.procs, *work, a.seed, str(f))
            many.append(json.loads(f.read_text())['seconds'])
            print(f'repeat {r}: 1 process × {threads} threads {a.batch * a.steps / one[-1]:7.1f} img/s   '
                  f'{a.procs} processes × {max(1, threads // a.procs)} thread(s) {a.batch * a.steps / many[-1]:7.1f} img/s', flush=True)
    ratio = statistics.median(one) / statistics.median(many)
    what = f'one-shot evaluation of {a.nets} sub-networks' if a.eval else f'heaviest demo network training, global batch {a.batch}'
    print(f'{what}: {a.procs} processes / 1 process = {ratio:.2f}x images per second')
    return ratio


if __name__ == '__main__': main()
