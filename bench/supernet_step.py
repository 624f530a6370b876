"""Throughput of one super-network training step (multipath + in-place distillation from a frozen heaviest teacher)
against two baselines measured in the same run:

- the limit: the same step done by plain static networks -- each group's sampled sub-network extracted as a timm
  MobileNetV3 (own weights, own SGD) trained on its slice of the batch with the same loss, plus the frozen teacher's
  forward on the whole batch. Both sides cycle through the same pre-drawn path sets, so they do the same work; a
  ratio (super-network throughput / limit throughput) of 1 means the weight sharing costs nothing;
- one training step of the static heaviest timm network (for scale: sampled paths are lighter than the heaviest).

    python bench/supernet_step.py --device cpu    # demo space, 1x28x28, batch 256, fp32
    python bench/supernet_step.py --device cuda   # ImageNet space, 3x224x224, batch 200, bf16 autocast, channels_last

Both steps are full training steps: forward, backward, SGD update. The super-network step also runs the frozen
teacher's forward (no grad) and the distillation loss. On CPU the two alternate step by step (the machine may be
shared, so both see the same load) and the mean step time of each is reported; on CUDA each runs alone so that its
peak memory is its own.
"""
import argparse, contextlib, itertools, statistics, time

import torch
import torch.nn.functional as F

from binas.space import Arch, SearchSpace, build_model, demo_space
from binas.supernet import PathSampler, SuperNet, inplace_distillation_loss, stage_outputs


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    p.add_argument('--batch', type=int, default=None, help='batch size (default: 256 on cpu, 200 on cuda)')
    p.add_argument('--groups', type=int, default=4, help='multipath groups: sub-networks per batch')
    p.add_argument('--steps', type=int, default=None, help='timed steps per round (default: 5 cpu, 30 cuda)')
    p.add_argument('--warmup', type=int, default=None, help='untimed steps first (default: 2 cpu, 10 cuda)')
    p.add_argument('--rounds', type=int, default=4, help='on cpu: rounds x steps interleaved step pairs')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    p.add_argument('--ikd-dividor', type=float, default=50.)
    p.add_argument('--gamma-knowledge', type=float, default=1.)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--path-sets', type=int, default=8, help='pre-drawn path sets the super-network and the limit cycle through')
    return p.parse_args(argv)


def setup(args):
    "Space, input batch and autocast context for the device."
    cuda = args.device == 'cuda'
    if cuda and not torch.cuda.is_available(): raise SystemExit('supernet_step: --device cuda but no CUDA device is available')
    space = SearchSpace() if cuda else demo_space()
    classes = 1000 if cuda else 10
    batch = args.batch or (200 if cuda else 256)
    dev = torch.device(args.device)
    g = torch.Generator().manual_seed(args.seed)
    x = torch.randn(batch, space.in_chans, space.resolution, space.resolution, generator=g).to(dev)
    y = torch.randint(0, classes, (batch,), generator=g).to(dev)
    if cuda: x = x.contiguous(memory_format=torch.channels_last)
    amp = (lambda: torch.autocast('cuda', dtype=torch.bfloat16)) if cuda else contextlib.nullcontext
    return space, classes, x, y, dev, amp


def prepare(model, dev, cuda):
    model = model.to(dev)
    return model.to(memory_format=torch.channels_last) if cuda else model


def static_step(space, classes, dev, cuda, amp):
    "A training step of the heaviest static timm network."
    model = prepare(build_model(Arch.heaviest(space), num_classes=classes), dev, cuda).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
    def step(x, y):
        with amp(): loss = F.cross_entropy(model(x), y)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step


def path_sets(space, args):
    "The path sets (one sub-network per group) that the super-network step and its limit cycle through, in the same order."
    sampler = PathSampler(space, args.seed)
    return [sampler.sample(args.groups) for _ in range(args.path_sets)]


def _distilled_loss(logits, feats, y, t_logits, t_feats, args):
    return F.cross_entropy(logits, y) + inplace_distillation_loss(logits, feats, t_logits, t_feats,
                                                                  ikd_dividor=args.ikd_dividor, gamma_knowledge=args.gamma_knowledge)


def supernet_step(space, classes, dev, cuda, amp, args, sets):
    "A multipath + in-place distillation step of the super-network, initialised from w_h, teacher = frozen w_h."
    w_h = build_model(Arch.heaviest(space), num_classes=classes)
    net = prepare(SuperNet(space, num_classes=classes).load_heaviest(w_h.state_dict()), dev, cuda).train()
    teacher = prepare(w_h, dev, cuda).eval().requires_grad_(False)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5)
    cycle = itertools.cycle(sets)
    def step(x, y):
        paths = next(cycle)
        with amp():
            with torch.no_grad(): t_logits, t_feats = stage_outputs(teacher, x)
            logits, feats = net(x, paths, features=True)
            loss = _distilled_loss(logits, feats, y, t_logits, t_feats, args)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return step


def limit_step(space, classes, dev, cuda, amp, args, sets):
    "The same work without weight sharing: each group's sub-network as its own static timm network, plus the teacher's forward."
    w_h = build_model(Arch.heaviest(space), num_classes=classes)
    net = SuperNet(space, num_classes=classes).load_heaviest(w_h.state_dict())
    teacher = prepare(w_h, dev, cuda).eval().requires_grad_(False)
    nets = [[prepare(net.extract(a), dev, cuda).train() for a in paths] for paths in sets]
    opts = [[torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-5) for m in ms] for ms in nets]
    cycle = itertools.cycle(list(zip(nets, opts)))
    def step(x, y):
        ms, os_ = next(cycle)
        with amp():
            with torch.no_grad(): t_logits, t_feats = stage_outputs(teacher, x)
        G = len(ms)   # the super-network's own split of the batch into groups
        for m, o, xg, yg, tl, *tf in zip(ms, os_, x.tensor_split(G), y.tensor_split(G), t_logits.tensor_split(G), *[f.tensor_split(G) for f in t_feats]):
            with amp():
                logits, feats = stage_outputs(m, xg)
                loss = _distilled_loss(logits, feats, yg, tl, tf, args)
            loss.backward(); o.step(); o.zero_grad(set_to_none=True)
    return step


def timed(step, x, y, n, cuda):
    "Seconds per step over `n` steps."
    if cuda: torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n): step(x, y)
    if cuda: torch.cuda.synchronize()
    return (time.perf_counter() - t) / n


def run_cuda(args, space, classes, x, y, dev, amp):
    out, sets = {}, path_sets(space, args)
    for name, make in [('static heaviest', lambda: static_step(space, classes, dev, True, amp)),
                       ('supernet multipath+KD', lambda: supernet_step(space, classes, dev, True, amp, args, sets)),
                       ('limit: static paths+KD', lambda: limit_step(space, classes, dev, True, amp, args, sets))]:
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
        step = make()
        for _ in range(args.warmup or max(10, len(sets))): step(x, y)
        out[name] = (timed(step, x, y, args.steps or 30, True), torch.cuda.max_memory_allocated() / 2**20)
        del step
    return out


def run_cpu(args, space, classes, x, y, dev, amp):
    "Interleave the two steps one by one so that both see the same load on a shared machine; mean time per step."
    sets = path_sets(space, args)
    steps = {'static heaviest': static_step(space, classes, dev, False, amp),
             'supernet multipath+KD': supernet_step(space, classes, dev, False, amp, args, sets),
             'limit: static paths+KD': limit_step(space, classes, dev, False, amp, args, sets)}
    for s in steps.values():
        for _ in range(args.warmup or len(sets)): s(x, y)   # a whole cycle: every extracted network has run once
    times = {k: [] for k in steps}
    for _ in range(args.rounds * (args.steps or 5)):
        for k, s in steps.items(): times[k].append(timed(s, x, y, 1, False))
    return {k: (statistics.mean(v), None) for k, v in times.items()}


def main(argv=None):
    args = parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    space, classes, x, y, dev, amp = setup(args)
    cuda = args.device == 'cuda'
    res = (run_cuda if cuda else run_cpu)(args, space, classes, x, y, dev, amp)
    what = torch.cuda.get_device_name() if cuda else f'cpu, {torch.get_num_threads()} thread(s)'
    print(f'device: {what}; space: {"ImageNet" if cuda else "demo"}; input {tuple(x.shape)}; '
          f'{"bf16 autocast, channels_last" if cuda else "fp32"}; groups={args.groups}')
    for k, (t, mem) in res.items():
        print(f'{k:>24}: {x.shape[0] / t:8.1f} img/s  ({t * 1e3:7.1f} ms/step)' + (f'  peak {mem:8.1f} MiB' if mem is not None else ''))
    (ts, ms), (tn, mn), (tl, ml) = res['static heaviest'], res['supernet multipath+KD'], res['limit: static paths+KD']
    print(f'ratio supernet/limit throughput (same paths, same loss; the issue asks >= 0.8): {tl / tn:.2f}x'
          + (f'; peak memory ratio: {mn / ml:.2f}x' if ml else ''))
    print(f'ratio supernet/static heaviest throughput: {ts / tn:.2f}x' + (f'; peak memory ratio: {mn / ms:.2f}x' if ms else ''))


if __name__ == '__main__':
    main()
