"""Which per-image outcome measures one-shot accuracy best: every candidate score computed from the same stored logits.

    python bench/score_study.py --checkpoint W --train_percent 80 --out /tmp/scores     # ~10 min on two cores

Stores the logits of (1) 100 random sub-networks (the demo's held-out samples: seed 1, the first of 300) on the search-split
images after the first 4,096 of its seeded order (batch statistics on chunks of 100), and (2) all 256 contribution decisions
on the first 4,096 images (64 coupled path draws × 64 images, the chunks of `measure_contributions`), then scores both with
top-1, the log-probability of the true class clipped at several floors, the temperature-calibrated log-probability (`cal`,
temperature fitted per chunk) at several floors, soft top-1 σ(margin/T), the clipped margin and the reciprocal rank. It prints
each score's test-retest τ on the reference (even vs odd images), its τ against top-1, and its τ against top-1 on the *other*
half (how well it measures top-1), then the Kendall-τ / Spearman of the estimator built from each score at 1,024 / 2,048 /
4,096 images (disjoint subsets, averaged) against the reference's top-1.
"""
import argparse
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from binas.data import get_data
from binas.estimator import (_pins, key_start, _prepare, calibrated_log_softmax, decision_keys, estimator_form,
                             eval_images)
from binas.space import sample_archs
from binas.supernet import PathSampler, batch_stat_bn, load_supernet

CHUNKS, BATCH = 64, 64


def logits(net, search, out:Path):
    "Store the reference's and the contributions' logits (and labels) under `out` (skipped when there)."
    if (out / 'contrib.npy').exists(): return
    x, y = eval_images(search, len(search), 0)
    n = CHUNKS * BATCH
    with torch.inference_mode(), batch_stat_bn(net):
        feats = net.stem_features(x[n:], 100)
        ref = [torch.cat([net.path_logits(f, a) for f in feats]).float().numpy() for a in sample_archs(300, net.space, 1)[:100]]
        np.save(out / 'ref.npy', np.stack(ref)); np.save(out / 'ref_labels.npy', y[n:].numpy())
        feats, keys = net.stem_features(x[:n], BATCH), decision_keys(net.space)
        cache = [net.stage_inputs(f, a) for f, a in zip(feats, PathSampler(net.space).coupled(CHUNKS, 0))]
        res = []
        for k in keys:
            s0, _ = key_start(k, 'stage')
            res.append(torch.cat([net.path_logits(c[s0], a, s0) for c, a in zip(cache, PathSampler(net.space, None, *_pins(k)).coupled(CHUNKS, 0))]).float().numpy())
        np.save(out / 'contrib.npy', np.stack(res)); np.save(out / 'contrib_labels.npy', y[:n].numpy())


def score(L:torch.Tensor, y:torch.Tensor, name:str)->torch.Tensor:
    "Per-image score `name` of logits (..., chunk, classes), labels (chunk,): calibration is per chunk."
    yy = y.expand(L.shape[:-1])[..., None]
    pick = lambda t: t.gather(-1, yy)[..., 0]
    kind, v = name.split(':') if ':' in name else (name, '0')
    v = float(v)
    if kind == 'top1': return (L.argmax(-1) == y).float() * 100
    if kind == 'lp': return pick(torch.log_softmax(L, -1)).clamp(min=-v)
    if kind == 'cal':
        flat, fy = L.reshape(-1, *L.shape[-2:]), y.expand(L.shape[:-1]).reshape(-1, L.shape[-2])
        lp = torch.stack([calibrated_log_softmax(l, t).gather(1, t[:, None])[:, 0] for l, t in zip(flat, fy)]).reshape(L.shape[:-1])
        return lp.clamp(min=-v)
    other = L.scatter(-1, yy, -1e9).max(-1).values
    m = pick(L) - other
    if kind == 'soft': return 100 * torch.sigmoid(m / v)
    if kind == 'margin': return m.clamp(-v, v)
    if kind == 'rr': return 100 / (1 + (L > pick(L)[..., None]).sum(-1).float())
    raise ValueError(name)


NAMES = ['top1', 'lp:10', 'lp:4.6', 'lp:2.3', 'cal:10', 'cal:4.6', 'cal:2.3', 'soft:0.5', 'soft:1', 'margin:2', 'rr']


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--train_percent', type=float, default=70)
    p.add_argument('--out', default='/tmp/binas_scores')
    p.add_argument('--threads', type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    net = _prepare(load_supernet(a.checkpoint))
    search = get_data('fashion-mnist', net.space.resolution, a.train_percent, 0, False).search
    logits(net, search, out)
    tau = lambda u, v: stats.kendalltau(u, v).statistic
    R, ry = torch.from_numpy(np.load(out / 'ref.npy')), torch.from_numpy(np.load(out / 'ref_labels.npy')).long()
    n = R.shape[1] // 100 * 100
    R, ry = R[:, :n].reshape(len(R), -1, 100, R.shape[-1]), ry[:n].reshape(-1, 100)    # chunks of 100, as evaluated
    T = score(R, ry, 'top1').numpy(); top1 = T.mean((1, 2))
    half = lambda S, h: S[:, h::2].mean((1, 2))                                         # even / odd chunks
    print(f'reference: {len(R)} sub-networks on {n} images; top-1 spread (std) {top1.std():.3f} points')
    for nm in NAMES:
        S = score(R, ry, nm).numpy()
        print(f'{nm:9s} test-retest τ {tau(half(S, 0), half(S, 1)):.3f}   τ vs top-1 {tau(S.mean((1, 2)), top1):.3f}   '
              f'τ vs top-1 on the other half {(tau(half(S, 0), half(T, 1)) + tau(half(S, 1), half(T, 0))) / 2:.3f}', flush=True)
    C, cy = torch.from_numpy(np.load(out / 'contrib.npy')), torch.from_numpy(np.load(out / 'contrib_labels.npy')).long()
    keys, archs = decision_keys(net.space), sample_archs(300, net.space, 1)[:100]
    C, cy = C.reshape(len(keys), CHUNKS, BATCH, -1), cy.reshape(CHUNKS, BATCH)
    for k in (CHUNKS // 4, CHUNKS // 2, CHUNKS):
        for nm in NAMES:
            S = score(C, cy, nm).numpy().mean(2)          # (keys, chunks)
            r = [(tau(f, top1), stats.spearmanr(f, top1).statistic) for s in range(0, CHUNKS, k)
                 for f in [estimator_form(dict(zip(keys, S[:, s:s + k].mean(1))), net.space).predict(archs)]]
            r = np.array(r)
            print(f'{k * BATCH:5d} images {nm:9s}: estimator τ {r[:, 0].mean():.3f} (min {r[:, 0].min():.3f}), Spearman {r[:, 1].mean():.3f}', flush=True)


if __name__ == '__main__': main()
