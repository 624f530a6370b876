"""The training loader of the demo (Fashion-MNIST, random crop + flip, batch 64): images/s of the per-image path (torchvision
v2 `RandomCrop` + `RandomHorizontalFlip` called per image, the DataLoader collating) against the batched one
(`RandomCropFlip` on the whole batch through `TensorImageDataset.__getitems__`), interleaved in one run.

    python bench/data_pipeline.py [--images 12800] [--repeats 3]

Both run in the training process (the demo's `workers=0`), one torch thread. The saving per epoch is the difference of
the two times per image, times the images of the epoch.
"""
import argparse, time
import torch
from torchvision.transforms import v2
from binas.data import TensorImageDataset, get_data, make_loader


def per_image(ds:TensorImageDataset)->TensorImageDataset:
    "The same images with the per-image v2 pipeline (the previous default)."
    mean, std = ds.transform.transforms[-1].mean, ds.transform.transforms[-1].std
    t = v2.Compose([v2.RandomCrop(28, padding=2), v2.RandomHorizontalFlip(), v2.ToDtype(torch.float32, scale=True), v2.Normalize(mean, std)])
    return TensorImageDataset(ds.images, ds.labels, t, ds.classes, batched=False)


def rate(ds, n:int, bs:int=64)->float:
    "Images/s of one pass over the first `n` images of a shuffled loader."
    t, k = time.perf_counter(), 0
    for x, y in make_loader(ds, bs, True):
        k += len(y)
        if k >= n: break
    return k / (time.perf_counter() - t)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--images', type=int, default=12800)
    ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    fast = get_data('fashion-mnist', 28, 70, 0).train
    slow = per_image(fast)
    res = {'per image (v2)': [], 'batched': []}
    for _ in range(a.repeats):   # interleaved: the machine's speed drifts
        res['per image (v2)'].append(rate(slow, a.images)); res['batched'].append(rate(fast, a.images))
    best = {k: max(v) for k, v in res.items()}
    for k, v in best.items(): print(f'{k:16s} {v:9.0f} img/s  ({1e6 / v:6.1f} µs per image)')
    print(f'batched / per image: {best["batched"] / best["per image (v2)"]:.1f}x; saved per 42,000-image epoch (the demo\'s '
          f'stage 1): {42000 * (1 / best["per image (v2)"] - 1 / best["batched"]):.1f} s')


if __name__ == '__main__': main()
