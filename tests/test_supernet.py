"Super-network tests too big for the notebook: the ImageNet space at 224×224, other spaces, sampler statistics, gradients, the benchmark scripts."
import hashlib, json, re, runpy, sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import chisquare

from binas.space import Arch, Op, SearchSpace, Stage, build_model, demo_space, sample_archs
from binas.supernet import (PathError, PathSampler, SuperNet, WeightsError, _randomise_bn, decision_counts,
                            inplace_distillation_loss, recalibrate_bn, stage_outputs)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    "Small convolutions on a shared CPU run fastest (and most predictably) on one thread."
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True)
def seeded():
    "Weights that tests do not set explicitly come from torch's global generator: seed it per test."
    torch.manual_seed(0)


def _x(space, n=2, seed=0):
    return torch.randn(n, space.in_chans, space.resolution, space.resolution, generator=torch.Generator().manual_seed(seed))


def _check_extraction(space, archs, classes, x):
    net = _randomise_bn(SuperNet(space, num_classes=classes), seed=5).eval()
    worst = 0.
    for a in archs:
        sub = net.extract(a).eval()
        assert sum(p.numel() for p in sub.parameters()) == sum(p.numel() for p in build_model(a, num_classes=classes).parameters())
        with torch.no_grad(): worst = max(worst, (sub(x) - net(x, a)).abs().max().item())
    assert worst <= 1e-4, worst
    return worst


def test_extract_imagenet_224():
    sp = SearchSpace()
    archs = [Arch.heaviest(sp), Arch.lightest(sp)] + sample_archs(20, sp, seed=3)
    _check_extraction(sp, archs, 1000, _x(sp))


OTHER = SearchSpace(stages=(Stage(16, 2, 're', (1, 2)), Stage(32, 2, 'hs', (2, 3, 5)), Stage(48, 1, 'sw', (1, 3))),
                    expansions=(2, 3, 5), kernels=(3, 5, 7), se_ratio=0.5, stem_channels=16, first_block='ds_r1_k3_s1_e1_c8_nre',
                    last_block='cn_r1_k1_s1_c96', num_features=128, resolution=40, in_chans=2)


def test_extract_other_space():
    "Any space: other menus (k7, e5), depths 1–5, other SE ratio and activations."
    archs = [Arch.heaviest(OTHER), Arch.lightest(OTHER)] + sample_archs(20, OTHER, seed=4)
    _check_extraction(OTHER, archs, 7, _x(OTHER, 3))


@pytest.mark.parametrize('space', [SearchSpace(), demo_space()], ids=['imagenet', 'demo'])
def test_load_heaviest_reproduces_w_h(space):
    w_h = _randomise_bn(build_model(Arch.heaviest(space), num_classes=10), seed=2)
    net = SuperNet(space, num_classes=10).load_heaviest(w_h.state_dict())
    x = _x(space, 4)
    with torch.no_grad():
        for mode in (False, True):
            w_h.train(mode); net.train(mode)
            assert (net(x) - w_h(x)).abs().max().item() <= 1e-4
            assert (net(x, Arch.heaviest(space)) - w_h(x)).abs().max().item() <= 1e-4
    # and the other way round: a super-network's state dict is a heaviest timm network's
    build_model(Arch.heaviest(space), num_classes=10).load_state_dict(net.state_dict(), strict=True)


def test_load_heaviest_errors(tmp_path):
    sp = demo_space()
    net = SuperNet(sp, num_classes=10)
    sd = build_model(Arch.heaviest(sp), num_classes=10).state_dict()
    bad = dict(sd); bad['conv_stem.weight'] = 'not a tensor'
    with pytest.raises(WeightsError, match="'conv_stem.weight' is a str"): net.load_heaviest(bad)
    extra = dict(sd); extra['blocks.9.0.conv.weight'] = torch.zeros(1)
    with pytest.raises(WeightsError, match='1 unexpected'): net.load_heaviest(extra)
    with pytest.raises(ValueError, match='does not exist'): net.load_heaviest(tmp_path / 'missing.pth')
    with pytest.raises(WeightsError, match='expected a state dict'): net.load_heaviest([1, 2])


def test_per_image_paths_equal_single_paths():
    sp = demo_space()
    net = _randomise_bn(SuperNet(sp, num_classes=10)).eval()
    x = _x(sp, 6)
    archs = PathSampler(sp, 9).sample(6)
    with torch.no_grad():
        both = net(x, archs)
        for i, a in enumerate(archs): torch.testing.assert_close(both[i], net(x[i:i + 1], a)[0], rtol=1e-4, atol=1e-4)
    assert len({tuple(r.tolist()) for r in both.round(decimals=4)}) == 6


def test_groups_split_contiguously():
    "3 paths on 7 images: groups of 3, 2, 2 (torch.tensor_split)."
    sp = demo_space()
    net = _randomise_bn(SuperNet(sp, num_classes=10)).eval()
    x = _x(sp, 7)
    archs = PathSampler(sp, 1).sample(3)
    with torch.no_grad():
        out = net(x, archs)
        for a, sl in zip(archs, [slice(0, 3), slice(3, 5), slice(5, 7)]): torch.testing.assert_close(out[sl], net(x[sl], a), rtol=1e-4, atol=1e-4)


def test_gradients_reach_only_the_path():
    sp = demo_space()
    net = SuperNet(sp, num_classes=10).train()
    a = Arch.lightest(sp)
    F.cross_entropy(net(_x(sp, 4), a), torch.tensor([0, 1, 2, 3])).backward()
    blk0, blk_last = net.blocks[1][0], net.blocks[1][-1]
    mid = net.slices[0][0][a.ops[0][0]].mid
    g = blk0.conv_pw.weight.grad
    assert g[:mid].abs().sum() > 0 and g[mid:].abs().sum() == 0
    assert blk0.se.conv_reduce.weight.grad is None or blk0.se.conv_reduce.weight.grad.abs().sum() == 0   # lightest: SE off
    assert blk_last.conv_pw.weight.grad is None                                                          # beyond depth 2
    k = blk0.conv_dw.weight.grad[:mid]
    assert k[:, :, 1:4, 1:4].abs().sum() > 0 and k[:, :, 0].abs().sum() == 0                          # k3: centre only


def test_bad_paths():
    sp = demo_space()
    net = SuperNet(sp, num_classes=10)
    with pytest.raises(PathError, match='another search space'): net.extract(Arch.lightest(SearchSpace()))
    with pytest.raises(PathError, match='non-empty'): net(_x(sp), [])
    with pytest.raises(PathError, match='must be an Arch'): net(_x(sp), 3)


# ---- sampler statistics ---------------------------------------------------------------------------------------------

def _chi2_uniform(counts):
    counts = np.asarray(counts)
    return chisquare(counts).pvalue if counts.sum() else 1.0


def test_sampler_uniform_chi2():
    sp = SearchSpace()
    ops, depth, present = decision_counts(PathSampler(sp, 123).sample(20_000))
    for s in range(sp.num_stages):
        assert _chi2_uniform(depth[s]) > 1e-3, (s, depth[s])
        for b in range(sp.max_depth): assert _chi2_uniform(ops[s, b]) > 1e-3, (s, b, ops[s, b])
    # block b of a stage is present when depth > b: 1, 1, 2/3, 1/3 of the draws
    np.testing.assert_allclose(present[:, :] / 20_000, np.broadcast_to([1, 1, 2 / 3, 1 / 3], present.shape), atol=0.02)


def test_sampler_pins_condition_the_rest():
    sp = SearchSpace()
    n = 12_000
    archs = PathSampler(sp, 5, ops={(1, 2): Op(3, 5, True), (3, 0): 11}, depths={4: 3}).sample(n)
    ops, depth, present = decision_counts(archs)
    assert ops[1, 2, sp.ops.index(Op(3, 5, True))] == n and ops[3, 0, 11] == n and depth[4, 1] == n
    assert depth[1, 0] == 0 and _chi2_uniform(depth[1, 1:]) > 1e-3      # stage 1: depth uniform over {3, 4}
    for s in (0, 2, 3):
        assert _chi2_uniform(depth[s]) > 1e-3
        for b in range(4):
            if (s, b) != (3, 0): assert _chi2_uniform(ops[s, b]) > 1e-3


def test_sampler_reproduces_arch_random():
    sp = demo_space()
    assert PathSampler(sp, 42).sample(50) == sample_archs(50, sp, seed=42)
    rng = np.random.default_rng(3)
    assert PathSampler(sp, rng).sample() != PathSampler(sp, rng).sample()   # a shared generator advances


def test_sampler_errors():
    sp = SearchSpace()
    with pytest.raises(PathError, match='pinned depth 5'): PathSampler(sp, depths={0: 5})
    with pytest.raises(PathError, match='position 4 out of range'): PathSampler(sp, ops={(0, 4): 0})
    with pytest.raises(PathError, match='must be \\(stage, position\\)'): PathSampler(sp, ops={0: 0})
    with pytest.raises(PathError, match='not in the op menu'): PathSampler(sp, ops={(0, 0): Op(5, 3, False)})



def _ops(paths): return [[list(st) for st in a.ops] for a in paths]


def test_coupled_equals_the_former_coupled_paths():
    "`PathSampler.coupled` returns exactly the paths of the former `estimator.coupled_paths` (fixture written by it at cab54d0): explicit paths, and a digest per decision of the whole contribution protocol of the demo and ImageNet spaces."
    from binas.estimator import _pins, decision_keys
    fx = json.loads((ROOT / 'tests/data/coupled_paths.json').read_text())
    spaces = {'demo': demo_space(), 'imagenet': SearchSpace()}
    for c in fx['explicit']:
        ps = PathSampler(spaces[c['space']], ops={(s, b): o for s, b, o in c['ops']}, depths=dict(c['depths']))
        assert _ops(ps.coupled(c['n'], c['seed'])) == c['paths'], c
    digest = lambda paths: hashlib.sha256(json.dumps(_ops(paths)).encode()).hexdigest()[:16]
    for name, want in fx['protocol'].items():
        sp, (seed, n) = spaces[name.split('/')[0]], map(int, name.split('/')[1:])
        full = {s: max(st.depths) for s, st in enumerate(sp.stages)}
        got = {k: digest(PathSampler(sp, None, *_pins(k)).coupled(n, seed)) for k in decision_keys(sp)}
        got['full'] = digest(PathSampler(sp, depths=full).coupled(n, seed))
        assert got == want, name


@pytest.mark.parametrize('seed', range(6))
def test_coupled_pins_leave_the_other_draws(seed):
    "Two random pin sets on the same table: the same op wherever neither pins one and both paths have the block, the same depth wherever the pins allow the same depths."
    sp, rng = SearchSpace(), np.random.default_rng(seed)
    def pins():
        ops = {(int(s), int(b)): int(rng.integers(len(sp.ops))) for s, b in zip(rng.integers(sp.num_stages, size=3), rng.integers(4, size=3))}
        free = [s for s in range(sp.num_stages) if not any(st == s for st, _ in ops)]
        return ops, {int(s): int(rng.choice(sp.stages[s].depths)) for s in rng.choice(free, min(2, len(free)), replace=False)}
    (oa, da), (ob, db) = pins(), pins()
    a, b = PathSampler(sp, ops=oa, depths=da), PathSampler(sp, ops=ob, depths=db)
    pa, pb = a.coupled(300, seed), b.coupled(300, seed)
    assert pa == a.coupled(300, seed) and pa == PathSampler(sp, 99, oa, da).coupled(300, seed)   # only the seed and the pins matter
    for x, y in zip(pa, pb):
        for s in range(sp.num_stages):
            assert all(x.ops[s][i] == o for (st, i), o in oa.items() if st == s) and (s not in da or x.depths[s] == da[s])
            if a.allowed[s] == b.allowed[s]: assert x.depths[s] == y.depths[s]
            for i in range(min(x.depths[s], y.depths[s])):
                if (s, i) not in oa and (s, i) not in ob: assert x.ops[s][i] == y.ops[s][i]
    # unpinned positions stay uniform, depths uniform over the allowed ones
    ops, depth, present = decision_counts(pa)
    for s in range(sp.num_stages):
        allowed = [sp.stages[s].depths.index(d) for d in a.allowed[s]]
        assert depth[s].sum() == depth[s, allowed].sum() and (len(allowed) == 1 or _chi2_uniform(depth[s, allowed]) > 1e-4)


def test_coupled_errors():
    sp = demo_space()
    with pytest.raises(PathError, match='not one of'): PathSampler(sp, ops={(0, 1): 3}, depths={0: 5}).coupled(2)
    with pytest.raises(PathError, match='out of range'): PathSampler(sp, ops={(0, 4): 3}).coupled(2)
    with pytest.raises(PathError, match='not an op index'): PathSampler(sp, ops={(0, 1): 12}).coupled(2)
    with pytest.raises(PathError, match='not an elastic stage'): PathSampler(sp, depths={5: 2}).coupled(2)
    assert PathSampler(sp).coupled(0) == []

# ---- batch norm and distillation ------------------------------------------------------------------------------------

def test_recalibrate_bn_through_supernet_forward():
    sp = demo_space()
    net = _randomise_bn(SuperNet(sp, num_classes=10)).eval()
    a = Arch.random(sp, 1)
    xs = [_x(sp, 32, i) * 3 + 2 for i in range(3)]
    sub = recalibrate_bn(net.extract(a), xs)
    recalibrate_bn(net, xs, forward=lambda z: net(z, a))
    assert not net.training and all(m.momentum == 0.1 for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d))
    with torch.no_grad(): assert (sub(xs[0]) - net(xs[0], a)).abs().max() <= 1e-4


def test_distillation_loss_terms():
    torch.manual_seed(0)
    sl, tl = torch.randn(4, 10), torch.randn(4, 10)
    sf, tf = [torch.randn(4, 3, 5, 5)], [torch.randn(4, 3, 5, 5)]
    feat = F.mse_loss(sf[0], tf[0])
    kl = F.kl_div(F.log_softmax(sl, -1), F.softmax(tl, -1), reduction='batchmean')
    torch.testing.assert_close(inplace_distillation_loss(sl, sf, tl, tf, ikd_dividor=10, gamma_knowledge=2), 2 * (feat / 10 + kl))
    torch.testing.assert_close(inplace_distillation_loss(sl, sf, tl, tf, ikd_dividor=0), kl)
    torch.testing.assert_close(inplace_distillation_loss(sl, sf, tl, tf, ikd_dividor=0, real_kd=False), F.mse_loss(sl, tl))
    with pytest.raises(ValueError, match='feature 0 has shape'): inplace_distillation_loss(sl, sf, tl, [tf[0][:, :2]])


def test_features_match_timm_stage_outputs():
    sp = demo_space()
    net = _randomise_bn(SuperNet(sp, num_classes=10)).eval()
    a = Arch.random(sp, 8)
    x = _x(sp, 3)
    with torch.no_grad():
        logits, feats = net(x, a, features=True)
        t_logits, t_feats = stage_outputs(net.extract(a).eval(), x)
    assert len(feats) == len(t_feats) == 1 + len(net.blocks)
    for f, t in zip(feats, t_feats): assert (f - t).abs().max() <= 1e-4
    assert (logits - t_logits).abs().max() <= 1e-4


# ---- the benchmark scripts run --------------------------------------------------------------------------------------

def _run_script(name, args, capsys):
    old = sys.argv
    sys.argv = [name] + args
    try: runpy.run_path(str(ROOT / 'bench' / name), run_name='__main__')
    finally: sys.argv = old
    return capsys.readouterr().out


def test_bench_supernet_step_smoke(capsys):
    out = _run_script('supernet_step.py', ['--batch', '8', '--steps', '1', '--warmup', '1', '--rounds', '1', '--groups', '2', '--path-sets', '2'], capsys)
    ratios = re.findall(r'ratio supernet/(limit|static heaviest) throughput[^:]*: ([0-9.]+)x', out)
    assert 'static heaviest' in out and 'limit: static paths+KD' in out and [k for k, _ in ratios] == ['limit', 'static heaviest'], out
    assert all(float(v) > 0 for _, v in ratios)


def test_bench_multipath_strategies_smoke(capsys):
    out = _run_script('multipath_strategies.py', ['--batch', '8', '--steps', '1', '--groups', '2'], capsys)
    assert 'masked, per image' in out and 'grouped, G=2' in out
