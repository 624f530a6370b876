"""How well does an anchored chunk bring a network's latency back to the reference speed when the machine's speed drifts?

Times the same networks (random demo-space networks spread over the latency range, plus the table's two anchors: the lightest and
the heaviest network) in many chunks, as the demo's search and measure stages do (`measure_many`, one interleaved run per round),
while the machine's load changes: quiet rounds, rounds beside a busy loop on the other core, rounds beside a memory-streaming
process. The first quiet chunk is the reference speed. Each later chunk's latencies are brought back to it with
  common   the anchors' median speed ratio (what binas does: one speed for the whole chunk), or
  interp   a speed interpolated in log latency between the two anchors' ratios (light networks take the light anchor's slowdown),
and the script prints, per load, the spread (sd of the log ratio, %) of corrected over reference latency: the error the margin
has to cover.

    python bench/latency_drift.py --rounds 4 --out /tmp/drift.csv
"""
import argparse, multiprocessing as mp, os, time
import numpy as np, pandas as pd
from binas.space import Arch, get_space, sample_archs
from binas.latency import measure_many

def _busy(stop):
    while not stop.is_set(): pass

def _stream(stop):
    a = np.ones(64 * 2**20 // 8); b = np.empty_like(a)
    while not stop.is_set(): np.copyto(b, a)

LOADS = {'quiet': None, 'busy': _busy, 'stream': _stream}

def chunk(archs, cache, args):
    return measure_many(archs, args.target, args.batch, args.repeats, 1, cache=cache)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--networks', type=int, default=6); p.add_argument('--rounds', type=int, default=4)
    p.add_argument('--target', default='onnx'); p.add_argument('--batch', type=int, default=32); p.add_argument('--repeats', type=int, default=30)
    p.add_argument('--seed', type=int, default=0); p.add_argument('--out', default=None)
    args = p.parse_args()
    sp = get_space('demo')
    anchors = [Arch.lightest(sp), Arch.heaviest(sp)]
    nets = sample_archs(args.networks, sp, args.seed)
    cache, rows = {}, []
    ref = chunk(nets + anchors, cache, args)   # reference speed (quiet)
    order = [l for _ in range(args.rounds) for l in LOADS]
    for k, load in enumerate(order):
        stop, proc = mp.Event(), None
        if LOADS[load]: proc = mp.Process(target=LOADS[load], args=(stop,), daemon=True); proc.start(); time.sleep(0.5)
        t = chunk(nets + anchors, cache, args)
        if proc: stop.set(); proc.join()
        n, a, ra = t[:-2], t[-2:], ref[-2:]
        s = a / ra
        common = float(np.median(s))
        x = np.log(ref[:-2]); xa = np.log(ra)
        w = np.clip((x - xa[0]) / (xa[1] - xa[0]), 0, 1)
        interp = np.exp((1 - w) * np.log(s[0]) + w * np.log(s[1]))
        for i in range(len(nets)):
            rows.append({'chunk': k, 'load': load, 'net': i, 'ref_ms': ref[i], 'ms': n[i], 'speed_light': s[0], 'speed_heavy': s[1],
                         'err_raw': np.log(n[i] / ref[i]), 'err_common': np.log(n[i] / common / ref[i]), 'err_interp': np.log(n[i] / interp[i] / ref[i])})
        print(f'chunk {k:2d} {load:6s} anchors {s[0]:.3f} {s[1]:.3f}', flush=True)
    d = pd.DataFrame(rows)
    if args.out: d.to_csv(args.out, index=False)
    tab = d.groupby('load')[['err_raw', 'err_common', 'err_interp']].agg(lambda e: 100 * np.sqrt(np.mean(e ** 2)))
    tab.loc['all'] = [100 * np.sqrt(np.mean(d[c] ** 2)) for c in tab.columns]
    print('\nroot-mean-square log error vs the reference, % (raw: no correction)'); print(tab.round(2).to_string())
    print(f"\ncommon / interp rms ratio over all chunks: {tab.loc['all', 'err_common'] / tab.loc['all', 'err_interp']:.2f}x")

if __name__ == '__main__': main()
