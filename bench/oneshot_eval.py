"""Throughput of one-shot evaluation against plain inference of the heaviest static network, in the same run.

    python bench/oneshot_eval.py --checkpoint <w*.pth.tar> [--archs 20] [--num-images 1000] [--batch-size 100]

Prints images/s of (1) the heaviest network as a plain timm MobileNetV3 (extracted, eval mode, channels_last,
inference_mode) — the reference; (2) `binas.estimator.oneshot_accuracy` on the heaviest path; (3) the same on
random paths (the real workload); (4) the same under bf16 autocast (this CPU has AVX-512 BF16; not what binas measures with:
a network's mean top-1 moves by up to ~0.15 points under bf16, as much as its standard error); and the ratios. Both sides see the same images in the same chunks; run it pinned
to one core (`taskset -c 0`), one torch thread.
"""
import argparse, contextlib, time
import torch
from binas.estimator import eval_images, oneshot_accuracy
from binas.space import Arch, sample_archs
from binas.supernet import SuperNet, load_supernet


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--checkpoint', default=None, help='super-network checkpoint (default: random demo super-network)')
    ap.add_argument('--archs', type=int, default=20)
    ap.add_argument('--num-images', type=int, default=1000)
    ap.add_argument('--batch-size', type=int, default=100)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    if a.checkpoint: net = load_supernet(a.checkpoint)
    else:
        from binas.space import demo_space
        net = SuperNet(demo_space(), 10).eval()
    sp = net.space
    x = torch.randn(a.num_images, sp.in_chans, sp.resolution, sp.resolution)
    y = torch.randint(0, net.num_classes, (a.num_images,))
    heavy = net.extract(Arch.heaviest(sp)).eval().to(memory_format=torch.channels_last)
    chunks = [c.contiguous(memory_format=torch.channels_last) for c in x.split(a.batch_size)]
    archs = sample_archs(a.archs, sp, seed=0)

    def static():
        with torch.inference_mode():
            for c in chunks: heavy(c)
        return a.num_images
    def oneshot_heaviest():
        oneshot_accuracy(net, [Arch.heaviest(sp)] * 4, None, batch_size=a.batch_size, images=(x, y)); return 4 * a.num_images
    def oneshot_random(bf16=False):
        with torch.autocast('cpu', dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            oneshot_accuracy(net, archs, None, batch_size=a.batch_size, images=(x, y))
        return len(archs) * a.num_images

    res = {}
    for name, f in [('static heaviest (timm, eval BN)', static), ('one-shot, heaviest path', oneshot_heaviest),
                    ('one-shot, random paths', oneshot_random), ('one-shot, random paths, bf16', lambda: oneshot_random(True))]:
        f()   # warm-up
        best = 0.
        for _ in range(a.repeats):
            t = time.perf_counter(); n = f(); best = max(best, n / (time.perf_counter() - t))
        res[name] = best
        print(f'{name:34s} {best:9.0f} img/s', flush=True)
    ref = res['static heaviest (timm, eval BN)']
    print(f"ratio one-shot heaviest path / static heaviest: {res['one-shot, heaviest path'] / ref:.2f}")
    print(f"ratio one-shot random paths  / static heaviest: {res['one-shot, random paths'] / ref:.2f}")
    print(f"ratio one-shot random paths bf16 / fp32: {res['one-shot, random paths, bf16'] / res['one-shot, random paths']:.2f}")
    return res


if __name__ == '__main__': main()
