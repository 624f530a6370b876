"""Two torch jobs on one small CPU: the training step of a demo network when another torch job runs beside it.

    python bench/oversubscription.py                     # lightest demo network, batch 32, 20 steps per job
    python bench/oversubscription.py --arch heaviest --batch 64

Three set-ups, one after the other in the same run, each job a fresh process training on the same Fashion-MNIST batches:
- alone        one job with torch's default threads (one per core): the baseline;
- 2 jobs × T   two such jobs at once (2T threads on the cores);
- 2 jobs × 1   two jobs at once, one thread each.
For each it prints every job's median step time and the ratio of the set-up's throughput (images/s of all its jobs together)
to the baseline's (> 1: more work done per second). On a 2-core machine the 2 × T set-up is what `nbdev_test --n_workers 2`
or a test run beside a demo makes; its jobs' threads wait for each other at every parallel region.
"""
import argparse, json, os, statistics, subprocess, sys, time


def worker(arch:str, batch:int, steps:int, threads:int|None):
    "One job: `steps` timed training steps (after 2 untimed) of the demo network; prints its step times as JSON."
    import torch
    import torch.nn.functional as F
    if threads: torch.set_num_threads(threads)
    from binas.data import get_data
    from binas.space import Arch, build_model, demo_space
    sp = demo_space()
    ds = get_data('fashion-mnist', train_percent=80).train
    x = torch.stack([ds[i][0] for i in range(batch)]).contiguous(memory_format=torch.channels_last)
    y = torch.tensor([int(ds[i][1]) for i in range(batch)])
    torch.manual_seed(0)
    m = build_model(getattr(Arch, arch)(sp), num_classes=10).train().to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(m.parameters(), lr=0.002, momentum=0.9)
    ts = []
    for i in range(steps + 2):
        t = time.perf_counter()
        loss = F.cross_entropy(m(x), y); opt.zero_grad(); loss.backward(); opt.step()
        if i >= 2: ts.append(time.perf_counter() - t)
    print(json.dumps({'threads': torch.get_num_threads(), 'steps': ts}))


def run(jobs:int, a, threads:int|None)->list[dict]:
    "Start `jobs` workers at once and wait for all: each one's step times."
    cmd = [sys.executable, __file__, '--worker', '--arch', a.arch, '--batch', str(a.batch), '--steps', str(a.steps)]
    if threads: cmd += ['--threads', str(threads)]
    ps = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(jobs)]
    return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in ps]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--arch', default='lightest', choices=['lightest', 'heaviest'])
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker: return worker(a.arch, a.batch, a.steps, a.threads)
    print(f'{a.arch} demo network, batch {a.batch}, {a.steps} steps per job, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}')
    base = None
    for name, jobs, th in (('alone', 1, None), ('2 jobs x default threads', 2, None), ('2 jobs x 1 thread', 2, 1)):
        rs = run(jobs, a, th)
        med = [statistics.median(r['steps']) for r in rs]
        rate = sum(a.batch / m for m in med)   # images per second, all jobs together
        base = base or rate
        print(f'{name:>26}: threads {[r["threads"] for r in rs]}, median step {", ".join(f"{m * 1e3:.0f}" for m in med)} ms, '
              f'{rate:7.1f} img/s, ratio {rate / base:5.2f}x alone')


if __name__ == '__main__': main()
