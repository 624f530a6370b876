"""`binas_train` + `binas_validate` on a user's small image folder, against the bare training loop of the same work.

    python bench/user_train.py                 # tests/test_user_data.py's run: 4,000 32×32 RGB digits, 7 epochs, batch 64
    python bench/user_train.py --epochs 2      # shorter

The commands run as a user runs them (two processes: start-up, PNG decoding, fastai's Learner, a checkpoint per epoch,
a validation pass per epoch, then `binas_validate` from the checkpoint). The baseline, timed in the same run on the same
machine, is the same network (the trained checkpoint's, rebuilt) doing the same optimiser steps and validation forward
passes in one plain PyTorch loop on tensors already in memory, in the same memory format and thread count: the compute a
perfect pipeline would pay. The ratio (CPU seconds of the commands / CPU seconds of the loop) is what the commands cost
over that limit; the test keeps only the deterministic part (epochs run, a validation after each, optimiser steps taken).
"""
import argparse, json, math, resource, sys, tempfile, time
from pathlib import Path

import torch
import torch.nn as nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'tests'))
from test_user_data import TRAIN, _cmd, make_digits   # noqa: E402  (the test's data, flags and runner: the bench times what the test runs)

from binas.core import load_checkpoint   # noqa: E402
from binas.supernet import load_heaviest_network   # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--epochs', type=int, default=7)
    p.add_argument('--per_class', type=int, default=400, help='training images per digit (validation: 50)')
    return p.parse_args(argv)


def _cpu(who:int)->float:
    "CPU seconds (user + system) of `resource.RUSAGE_SELF` or `RUSAGE_CHILDREN` so far."
    ru = resource.getrusage(who)
    return ru.ru_utime + ru.ru_stime


def run_commands(data:Path, out:Path, epochs:int)->tuple[float, float, Path]:
    "Run binas_train then binas_validate as subprocesses; (CPU s, wall s, run folder)."
    flags = [epochs if prev == '--epochs' else a for prev, a in zip([None, *TRAIN], TRAIN)]
    c0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.time()
    r = _cmd('binas_train', data, *flags, '--output', out / 'runs')
    if r.returncode: sys.exit(f'binas_train failed:\n{r.stderr[-3000:]}')
    run, = (out / 'runs').iterdir()
    r = _cmd('binas_validate', data, '--checkpoint', run / 'model_best.pth.tar', '--device', 'cpu', '--output', out / 'val.json')
    if r.returncode: sys.exit(f'binas_validate failed:\n{r.stderr[-3000:]}')
    return _cpu(resource.RUSAGE_CHILDREN) - c0, time.time() - t0, run


def bare_loop(run:Path, n_images:int, n_val:int, epochs:int, batch:int)->tuple[float, float]:
    "The same network's optimiser steps (80 % of `n_images`, full batches) and validation passes (the held-out 20 % each epoch, `n_val` at the end) on in-memory tensors; (CPU s, wall s)."
    n_train = n_images * 80 // 100   # binas_train's --train_percent default: the rest is validated after each epoch
    net, _ = load_heaviest_network(run / 'last.pth.tar')
    net = net.to(memory_format=torch.channels_last).train()
    opt = torch.optim.AdamW(net.parameters(), lr=0.005, weight_decay=0.05)
    loss_fn = nn.CrossEntropyLoss()
    chans, side = (int(TRAIN[TRAIN.index(f) + 1]) for f in ('--in_chans', '--resolution'))
    x = torch.randn(batch, chans, side, side).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch,))
    c0, t0 = _cpu(resource.RUSAGE_SELF), time.time()
    for _ in range(epochs):
        net.train()
        for _ in range(n_train // batch):   # the training loader drops the last partial batch
            opt.zero_grad(); loss_fn(net(x), y).backward(); opt.step()
        net.eval()
        with torch.no_grad():
            for _ in range(math.ceil((n_images - n_train) / batch)): net(x)
    net.eval()
    with torch.no_grad():   # binas_validate's pass
        for _ in range(math.ceil(n_val / batch)): net(x)
    return _cpu(resource.RUSAGE_SELF) - c0, time.time() - t0


def main(argv=None):
    a = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = make_digits(tmp / 'digits', {'train': a.per_class, 'val': 50}, seed=0)
        cpu, wall, run = run_commands(data, tmp, a.epochs)
        hist = load_checkpoint(run / 'last.pth.tar')['history']
        batch = int(TRAIN[TRAIN.index('-b') + 1])
        bcpu, bwall = bare_loop(run, 10 * a.per_class, 500, a.epochs, batch)
        res = json.loads((tmp / 'val.json').read_text())
    print(f'binas_train + binas_validate: {cpu:.1f} CPU s, {wall:.1f} s wall ({len(hist)} epochs, val top-1 {res["top1"]:.2f}%)')
    print(f'bare PyTorch loop of the same steps and passes: {bcpu:.1f} CPU s, {bwall:.1f} s wall')
    print(f'ratio commands / bare loop: {cpu / bcpu:.2f}x CPU, {wall / bwall:.2f}x wall')


if __name__ == '__main__':
    main()
