"""Two ways to run many sub-networks in one batch, timed against the static heaviest network in the same run.

    python bench/multipath_strategies.py [--batch 256] [--threads 1]

- grouped (binas.supernet): the batch is split into G groups and each group runs its own sub-network through
  genuinely sliced (smaller) weights; G = batch is one path per image;
- masked: one path per image by computing the heaviest block for the whole batch and masking, per image, the
  expanded channels (width), the outer ring of the depthwise kernel (both kernels are computed and blended), the SE
  gate and the residual branch (depth) -- the strategy of the original release, without its privatised batch norms.

Each variant runs a training step of the student alone (forward, cross-entropy, backward, SGD update) in the demo
space on CPU; variants alternate step by step so that all see the same load on a shared machine.
"""
import argparse, statistics, time

import numpy as np
import torch
import torch.nn.functional as F

from binas.space import Arch, build_model, demo_space
from binas.supernet import PathSampler, SuperNet


class Masks:
    "Per-image masks of one block for a batch of paths (None where every image uses the full block)."
    def __init__(self, net, archs, s, b):
        sls = net.slices[s][b]
        blk = net.blocks[s + 1][b]
        ops = torch.tensor([a.ops[s][b] if b < len(a.ops[s]) else -1 for a in archs])
        self.active = (ops >= 0).float()[:, None, None, None]
        ops = ops.clamp(min=0)
        mid, rd = blk.conv_pw.out_channels, blk.se.conv_reduce.out_channels
        self.width = (torch.arange(mid)[None] < torch.tensor([sl.mid for sl in sls])[ops][:, None]).float()[:, :, None, None]
        self.rd = (torch.arange(rd)[None] < torch.tensor([max(sl.rd, 1) for sl in sls])[ops][:, None]).float()[:, :, None, None]
        self.big_k = torch.tensor([float(sl.kernel == blk.conv_dw.kernel_size[0]) for sl in sls])[ops][:, None, None, None]
        self.se = torch.tensor([float(sl.rd > 0) for sl in sls])[ops][:, None, None, None]


def masked_block(blk, x, m):
    "The heaviest block's computation, masked per image to the sampled op (and depth)."
    h = blk.bn1(blk.conv_pw(x)) * m.width
    dw, k = blk.conv_dw, blk.conv_dw.kernel_size[0]
    d_big = dw(h)
    d_small = F.conv2d(h, dw.weight[:, :, 1:k - 1, 1:k - 1], None, dw.stride, dw.padding[0] - 1, dw.dilation, dw.groups)
    h = blk.bn2(d_small + m.big_k * (d_big - d_small)) * m.width
    s = blk.se.act1(blk.se.conv_reduce(h.mean((2, 3), keepdim=True))) * m.rd
    h = h * (1 + m.se * (blk.se.gate(blk.se.conv_expand(s)) - 1))
    h = blk.bn3(blk.conv_pwl(h))
    return x + m.active * h if blk.has_skip else h


def masked_forward(net, x, archs):
    x = net.blocks[0](net.bn1(net.conv_stem(x)))
    for s, stage in enumerate(net.blocks[1:-1]):
        for b, blk in enumerate(stage): x = masked_block(blk, x, Masks(net, archs, s, b))
    return net.forward_head(net.blocks[-1](x))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--steps', type=int, default=6, help='timed steps per variant (interleaved)')
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--groups', type=int, nargs='+', default=[1, 2, 4, 8, 16], help='group counts of the grouped variant')
    p.add_argument('--per-image', action='store_true', help='also time grouped with one path per image (slow)')
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    space = demo_space()
    x = torch.randn(args.batch, space.in_chans, space.resolution, space.resolution)
    y = torch.randint(0, 10, (args.batch,))
    static = build_model(Arch.heaviest(space), num_classes=10).train()
    net = SuperNet(space, num_classes=10).train()
    sampler = PathSampler(space, 0)

    def train_step(model, forward):
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        def step():
            F.cross_entropy(forward(), y).backward(); opt.step(); opt.zero_grad(set_to_none=True)
        return step

    variants = {'static heaviest (timm)': train_step(static, lambda: static(x))}
    for g in args.groups + ([args.batch] if args.per_image else []):
        variants[f'grouped, G={g}' + (' (per image)' if g == args.batch else '')] = train_step(net, lambda g=g: net(x, sampler.sample(g)))
    variants['masked, per image'] = train_step(net, lambda: masked_forward(net, x, sampler.sample(args.batch)))

    for v in variants.values(): v()
    times = {k: [] for k in variants}
    for _ in range(args.steps):
        for k, v in variants.items():
            t = time.perf_counter(); v(); times[k].append(time.perf_counter() - t)
    base = statistics.mean(times['static heaviest (timm)'])
    print(f'demo space, batch {args.batch}, cpu {torch.get_num_threads()} thread(s), {args.steps} interleaved steps each; '
          'student training step only (no teacher)')
    for k, ts in times.items():
        t = statistics.mean(ts)
        print(f'{k:>28}: {args.batch / t:8.1f} img/s  ({t * 1e3:7.1f} ms/step)  {base / t:5.2f}x static')


if __name__ == '__main__':
    main()
