"""A few-minute toy run of the batch-norm measurement: one-shot accuracy of extracted sub-networks with the shared
running statistics, with recalibrated ones and with each evaluation batch's own statistics, on Fashion-MNIST in the
demo space.

    python bench/bn_recalibration.py [--train-images 10000] [--heaviest-epochs 1] [--supernet-epochs 1] [--archs 10]

It trains the heaviest network briefly (w_h), initialises the super-network from it, trains that briefly with
multipath sampling + in-place distillation from the frozen w_h (w*), then calls `bn_recalibration_effect` on the
heaviest, the lightest and random sub-networks: recalibration batches come from the training images, accuracy is
measured on images held out of the training part of the training set. The real measurement belongs to the
training notebook's fully trained w*; this script only shows the mechanism on real data and the size of the effect
after a short training.
"""
import argparse, gzip, shutil, statistics, tempfile, time
from pathlib import Path

import torch
import torch.nn.functional as F
from torchvision.datasets import FashionMNIST

from binas.space import Arch, build_model, demo_space, sample_archs
from binas.supernet import PathSampler, SuperNet, bn_recalibration_effect, inplace_distillation_loss, stage_outputs

DATA = Path('/usr/share/datasets/fashion-mnist')   # Debian's dataset-fashion-mnist package (nbs/02_data.ipynb)


def load_fashion_mnist(root:Path):
    "Training images as a normalised float tensor and labels, read by torchvision from the packaged IDX files."
    raw = root / 'FashionMNIST' / 'raw'
    raw.mkdir(parents=True)
    for f in DATA.glob('*-ubyte.gz'):
        with gzip.open(f) as src, open(raw / f.stem, 'wb') as dst: shutil.copyfileobj(src, dst)
    ds = FashionMNIST(str(root), train=True, download=False)
    x = ds.data.float().div(255.).sub(0.2860).div(0.3530).unsqueeze(1)
    return x, ds.targets


def batches(x, y, bs, shuffle=None):
    idx = torch.randperm(len(x), generator=shuffle) if shuffle is not None else torch.arange(len(x))
    return [(x[i], y[i]) for i in idx.split(bs)]


def train(step, data, epochs, g, bs, label):
    t = time.perf_counter()
    for ep in range(epochs):
        losses = [step(xb, yb) for xb, yb in batches(*data, bs, g)]
        print(f'{label}: epoch {ep + 1}/{epochs}, mean loss {statistics.mean(losses):.3f} ({time.perf_counter() - t:.0f} s)', flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--train-images', type=int, default=10_000)
    p.add_argument('--heldout-images', type=int, default=2_000)
    p.add_argument('--heaviest-epochs', type=int, default=1)
    p.add_argument('--supernet-epochs', type=int, default=1)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--groups', type=int, default=4)
    p.add_argument('--archs', type=int, default=10, help='random sub-networks (plus the heaviest and the lightest)')
    p.add_argument('--calib-batches', type=int, default=4)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    with tempfile.TemporaryDirectory() as d: x, y = load_fashion_mnist(Path(d))
    tr = (x[:args.train_images], y[:args.train_images])
    held = (x[-args.heldout_images:], y[-args.heldout_images:])          # never trained on
    space = demo_space()

    w_h = build_model(Arch.heaviest(space), num_classes=10).train()
    opt = torch.optim.SGD(w_h.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-5)
    def heaviest_step(xb, yb):
        loss = F.cross_entropy(w_h(xb), yb); loss.backward(); opt.step(); opt.zero_grad(); return loss.item()
    train(heaviest_step, tr, args.heaviest_epochs, g, args.batch, 'heaviest (w_h)')

    net = SuperNet(space, num_classes=10).load_heaviest(w_h.state_dict()).train()
    teacher = w_h.eval().requires_grad_(False)
    opt = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9, weight_decay=1e-5)
    sampler = PathSampler(space, args.seed)
    def supernet_step(xb, yb):
        with torch.no_grad(): t_logits, t_feats = stage_outputs(teacher, xb)
        logits, feats = net(xb, sampler.sample(args.groups), features=True)
        loss = F.cross_entropy(logits, yb) + inplace_distillation_loss(logits, feats, t_logits, t_feats)
        loss.backward(); opt.step(); opt.zero_grad(); return loss.item()
    train(supernet_step, tr, args.supernet_epochs, g, args.batch, 'super-network (w*)')

    archs = [Arch.heaviest(space), Arch.lightest(space)] + sample_archs(args.archs, space, seed=args.seed + 1)
    calib = batches(*tr, args.batch, g)[:args.calib_batches]
    res = bn_recalibration_effect(net.eval(), archs, calib, batches(*held, 500))
    print(f'\none-shot top-1 on {args.heldout_images} held-out images (batches of 500); recalibration on {args.calib_batches}x{args.batch} training images')
    print(f'{"sub-network":>14} {"shared BN":>10} {"recalibrated":>13} {"batch stats":>12}')
    for name, r in zip(['heaviest', 'lightest'] + [f'random {i}' for i in range(args.archs)], res):
        print(f'{name:>14} {r.shared:9.2f}% {r.recalibrated:12.2f}% {r.batch_stats:11.2f}%')
    mean = lambda k: statistics.mean(getattr(r, k) for r in res)
    print(f'{"mean":>14} {mean("shared"):9.2f}% {mean("recalibrated"):12.2f}% {mean("batch_stats"):11.2f}%')


if __name__ == '__main__':
    main()
