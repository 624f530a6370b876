"""CPU training-step levers for the demo's stages, each against the plain fp32 step measured in the same run.

    python bench/train_throughput.py                      # heaviest demo network, batch 64 (stage 1's recipe)
    python bench/train_throughput.py --batch 128 --threads 1 --variants fp32,bf16,channels_last

Variants (each a full training step of the heaviest timm network of the demo space: forward, cross-entropy, backward,
SGD update, on a fixed random batch):
- fp32           the demo's step as it is (the baseline);
- bf16           `torch.autocast('cpu', dtype=torch.bfloat16)` around forward and loss (this CPU has AVX-512 BF16);
- channels_last  weights and input in channels_last memory format;
- bf16+cl        both;
- compile        `torch.compile` of the model (the first steps compile: they are warm-up, not timed);
- cl_b128, cl_b256  channels_last with 2× / 4× the batch (the ratio is per image: what a larger batch buys, before any
                 change of schedule it needs to reach the same accuracy).
The variants alternate step by step so that all see the same load on a shared machine; the mean step time of each is
reported with its ratio to fp32 (> 1: faster). A lever is worth adopting only if it also keeps the demo's accuracy.
"""
import argparse, contextlib, statistics, time

import torch
import torch.nn.functional as F

from binas.space import Arch, build_model, demo_space

VARIANTS = ('fp32', 'bf16', 'channels_last', 'bf16+cl', 'compile', 'cl_b128', 'cl_b256')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--steps', type=int, default=20, help='timed steps per variant (interleaved)')
    p.add_argument('--warmup', type=int, default=3, help='untimed steps per variant first (compile: its compilation)')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    p.add_argument('--variants', default=','.join(VARIANTS))
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def make_step(variant:str, x:torch.Tensor, y:torch.Tensor):
    "A training step of the heaviest demo network with `variant`'s settings, and its own copy of the input."
    model = build_model(Arch.heaviest(demo_space()), num_classes=10).train()
    if variant.startswith('cl_b'):   # the same step on a larger batch (the input repeated: throughput does not depend on the values)
        k = int(variant[4:]) // len(x)
        x, y, variant = x.repeat(k, 1, 1, 1), y.repeat(k), 'channels_last'
    cl = variant in ('channels_last', 'bf16+cl')
    if cl: model, x = model.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
    fwd = torch.compile(model) if variant == 'compile' else model
    amp = (lambda: torch.autocast('cpu', dtype=torch.bfloat16)) if variant.startswith('bf16') else contextlib.nullcontext
    def step():
        with amp(): loss = F.cross_entropy(fwd(x), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step, len(x)


def main(argv=None):
    a = parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    sp = demo_space()
    x, y = torch.randn(a.batch, sp.in_chans, sp.resolution, sp.resolution), torch.randint(0, 10, (a.batch,))
    names = [v for v in a.variants.split(',') if v]
    if 'fp32' not in names: names.insert(0, 'fp32')
    bad = [v for v in names if v not in VARIANTS]
    if bad: raise SystemExit(f'train_throughput: unknown variant {bad[0]!r} (choose from {", ".join(VARIANTS)})')
    steps = {v: make_step(v, x, y) for v in names}
    for s, _ in steps.values():
        for _ in range(a.warmup): s()
    times = {v: [] for v in names}
    for _ in range(a.steps):
        for v, (s, n) in steps.items():
            t = time.perf_counter(); s(); times[v].append((time.perf_counter() - t) / n)   # seconds per image
    base = statistics.mean(times['fp32'])
    print(f'heaviest demo network, batch {a.batch}, cpu {torch.get_num_threads()} thread(s), {a.steps} interleaved steps each')
    for v in names:
        t = statistics.mean(times[v])
        print(f'{v:>14}: {1 / t:8.1f} img/s  ({t * steps[v][1] * 1e3:7.1f} ms/step of {steps[v][1]})  ratio {base / t:5.2f}x fp32')


if __name__ == '__main__':
    main()
