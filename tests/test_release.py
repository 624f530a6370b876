"""Importing the original BINAS release: fixtures in its formats, checked against facts recorded from its own code.

`tests/data/release_facts.json` was recorded by running the release's code (Alibaba-MIIL/BINAS 068b66b with its timm fork and a
`torch._six` shim, on CPU): the LUT keys of `mobilenasnet.extract_resolution_stride_dict`, the state-dict keys and shapes of
`_gen_mobilenasnet` (the super-network w*, `heaviest_network=True`, `mobilenet_string=BINAS A`), the layout of
`general_purpose.extract_list_alphas`, one `validate_random.py`-style draw (its key string and logits), and — on the files
`write_release_files(seed=0, n_fit=5, n_test=5)` writes — `extract_expected_latency` and the forward of its `Bilinear`,
`Quadratic` and `MLP` modules (`nas/nas_utils/predictor.py`) for 20 drawn architectures."""
import json, os, pickle, subprocess, sys
from pathlib import Path

import numpy as np
import pytest
import torch

from binas.bilinear import load_form
from binas.core import FileFormatError
from binas.estimator import load_samples
from binas.latency import load_latency_table
from binas.predictors import load_predictor
from binas.release import (UnsafePickleError, logits_arch, op_map, release_encoding, release_menu, safe_load_pickle, safe_load_torch,
                           write_release_files)
from binas.release_import import (binas_import_file, read_release_bilinear, read_release_lut, read_release_network, read_release_samples,
                                  read_release_supernet, release_kind)
from binas.search import frontier
from binas.space import Arch, SearchSpace, named_archs
from binas.supernet import load_heaviest_network, load_supernet
from binas.train import load_network

FACTS = json.loads((Path(__file__).parent / 'data' / 'release_facts.json').read_text())
SP = SearchSpace()
OM = op_map(SP, release_menu(12))


@pytest.fixture(scope='module')
def rel(tmp_path_factory):
    "The release-format files, seed 0 (the predictors and LUT are those the facts were recorded on; networks with 10 classes)."
    return write_release_files(tmp_path_factory.mktemp('release'), seed=0, n_fit=5, n_test=5, num_classes=10)


def release_latency_from_facts(lut:dict, logits:list)->float:
    "mobilenasnet.extract_expected_latency, written against the release's own key list (not binas.release's `lut_key`)."
    keys, t = FACTS['lut_keys_by_block'], lut['general']
    for s in range(5):
        depth = logits[s * 5] + 2
        for b in range(depth): t += lut[keys[f'blocks.{s + 1}.{b}'][logits[s * 5 + 1 + b]]]
    return t


def bilinear_forward(sd:dict, logits:list)->float:
    "nas_utils.predictor.Bilinear.forward on fit_predictors.py's one-hot encoding of `logits` (absent blocks at op 0)."
    xa, xb = [], []
    for s in range(5):
        d = logits[s * 5] + 2
        for b in range(4): oh = [0.] * 12; oh[logits[s * 5 + 1 + b] if b < d else 0] = 1.; xa += oh
        ob = [0.] * 3; ob[logits[s * 5]] = 1.; xb += ob
    a, b = torch.tensor(xa, dtype=torch.float64), torch.tensor(xb, dtype=torch.float64)
    return float(sd['linear.bias'].double() + sd['linear.weight'][0].double() @ torch.cat([a, b]) + a @ sd['bilinear.weight'][0].double() @ b)


def logits_of(arch:Arch)->list:
    "validate_random.py's logits of an architecture (absent blocks drawn as op 0)."
    inv = {str(o): i for i, o in enumerate(release_menu(12))}
    return sum([[len(st) - 2] + [inv[str(SP.ops[o])] for o in st] + [0] * (4 - len(st)) for st in arch.ops], [])


# --- the fixture writers write what the release's code writes --------------------------------------------------------------

def test_writers_match_the_release_code(rel):
    lut = safe_load_pickle(rel['LUT_CPU.pkl'])
    assert set(lut) - {'general'} == {k for ks in FACTS['lut_keys_by_block'].values() for k in ks}
    for name, want in (('w_star.pth', 'wstar_shapes'), ('w_heaviest.pth', 'heaviest_shapes'), ('BINAS_A.pth', 'binas_a_shapes')):
        got = {k: list(v.shape) for k, v in torch.load(rel[name], weights_only=True).items() if not k.startswith('classifier.')}
        assert got == {k: v for k, v in FACTS[want].items() if not k.startswith('classifier.')}, name
    assert FACTS['list_alphas'] == [['beta', 3]] + [['alpha', 12]] * 4 + ([['beta', 3]] + [['alpha', 12]] * 4) * 4
    s = FACTS['random_sample']
    arch = Arch.from_string(s['key'])
    assert str(arch) == s['key']                                    # binas prints the release's arch strings as they are
    assert logits_arch(s['logits'], SP, OM, 'x') == arch          # and reads its logits into the same architecture
    table = safe_load_pickle(rel['fit_accuracy_lut.pkl'])
    for key, rec in table.items():
        assert set(rec) == {'expected_latency', 'accuracy', 'logits'} and len(rec['logits']) == 25
        assert rec['expected_latency'] == pytest.approx(release_latency_from_facts(lut, rec['logits']), rel=1e-12)
    est = torch.load(rel['estimator_ckpt.pth'], weights_only=True)
    assert est['linear.weight'].dtype == torch.float64 and tuple(est['bilinear.weight'].shape) == (1, 240, 15)


def test_imports_match_the_release_formulas(rel, tmp_path):
    "Latency table and predictors imported by binas give the numbers the release's own code computed on the same files."
    lt = read_release_lut(rel['LUT_CPU.pkl'])
    ps = {}
    for name, ext in (('estimator_ckpt.pth', 'json'), ('bilinear_predictor_ckpt.pth', 'json'), ('quadratic_predictor_ckpt.pth', 'json'),
                      ('mlp_predictor_ckpt.pth', 'pth')):
        binas_import_file('auto', rel[name], tmp_path / f'{name}.{ext}')
        ps[name] = load_predictor(tmp_path / f'{name}.{ext}', SP)
    for r in FACTS['formulas']['records']:
        arch = logits_arch(r['logits'], SP, OM, 'x')
        assert lt.predict(arch) == pytest.approx(1000 * r['latency_s'], rel=1e-12)
        for name, p in ps.items():
            assert p.predict(arch) == pytest.approx(r['predictions'][name], abs=1e-4), name
        # the estimator does not look at absent blocks: the release gave the same value with their drawn ops
        assert r['predictions_random_absent_ops']['estimator_ckpt.pth'] == pytest.approx(r['predictions']['estimator_ckpt.pth'], abs=1e-9)


# --- every artifact kind round-trips --------------------------------------------------------------------------------------

def test_lut_round_trip(rel, tmp_path):
    raw = safe_load_pickle(rel['LUT_CPU.pkl'])
    r = binas_import_file('auto', rel['LUT_CPU.pkl'], tmp_path / 'lut.json')
    lt = load_latency_table(tmp_path / 'lut.json', SP)
    assert r['kind'] == 'latency table' and lt.const == pytest.approx(1000 * raw['general'])
    keys = FACTS['lut_keys_by_block']
    # stage 3, block 1 and block 3, op 'e4_k5_se' (release α index 7): binas alpha_index(2, b, 7)
    for b in (0, 2):
        assert lt.form().lin_alpha[SP.alpha_index(2, 0, 7)] == pytest.approx(1000 * raw[keys['blocks.3.0'][7]])
        assert lt.table[2, b, 7] == pytest.approx(1000 * raw[keys[f'blocks.3.{b}'][7]])
    rng = np.random.default_rng(3)
    for _ in range(20):
        lg = [int(rng.integers(3)) if i % 5 == 0 else int(rng.integers(12)) for i in range(25)]
        assert lt.predict(logits_arch(lg, SP, OM, 'x')) == pytest.approx(1000 * release_latency_from_facts(raw, lg), rel=1e-12)


def test_samples_round_trip(rel, tmp_path):
    raw = safe_load_pickle(rel['test_accuracy_lut.pkl'])
    binas_import_file('samples', rel['test_accuracy_lut.pkl'], tmp_path / 's.csv')
    archs, acc, df = load_samples(tmp_path / 's.csv', SP)
    assert list(df.columns) == ['arch', 'alpha_idx', 'beta_idx', 'accuracy', 'latency']
    assert [str(a) for a in archs] == list(raw)
    assert acc.tolist() == [r['accuracy'] for r in raw.values()]
    assert df.latency.tolist() == pytest.approx([1000 * r['expected_latency'] for r in raw.values()])
    bad = dict(raw); k = next(iter(bad)); lg = list(bad[k]['logits']); lg[1] = (lg[1] + 1) % 12   # first block of stage 1
    bad[k] = {**bad[k], 'logits': lg}
    (tmp_path / 'bad.pkl').write_bytes(pickle.dumps(bad))
    with pytest.raises(FileFormatError, match='entry 0: its logits encode another architecture'): read_release_samples(tmp_path / 'bad.pkl')


def test_bilinear_forms_round_trip(rel, tmp_path):
    for name, kind in (('estimator_ckpt.pth', 'estimator'), ('bilinear_predictor_ckpt.pth', 'bilinear')):
        sd = torch.load(rel[name], weights_only=True)
        assert binas_import_file('auto', rel[name], tmp_path / 'f.json')['kind'] == f'{kind} form'
        f, meta = load_form(tmp_path / 'f.json', kind, SP)
        assert meta['file'] == name and meta['dropped_nonzero_terms'] == 0
        for a in [Arch.heaviest(), Arch.lightest(), *named_archs().values()]:
            assert f.predict(a) == pytest.approx(bilinear_forward(sd, logits_of(a)), abs=1e-9)


def test_networks_round_trip(rel, tmp_path):
    binas_import_file('auto', rel['BINAS_A.pth'], tmp_path / 'a.pth.tar')
    net = load_network(checkpoint=str(tmp_path / 'a.pth.tar'))            # what binas_validate loads
    sd = torch.load(rel['BINAS_A.pth'], weights_only=True)
    assert all(torch.equal(v, sd[k]) for k, v in net.state_dict().items())
    binas_import_file('network', rel['w_heaviest.pth'], tmp_path / 'h.pth.tar')
    m, ck = load_heaviest_network(tmp_path / 'h.pth.tar')
    assert ck['kind'] == 'heaviest' and ck['num_classes'] == 10
    with pytest.raises(FileFormatError, match='not of the given architecture'):
        read_release_network(rel['BINAS_A.pth'], mobilenet_string=str(named_archs()['BINAS_B']))
    sd2 = dict(sd); sd2['blocks.2.0.conv_dw.weight'] = torch.zeros(sd2['blocks.2.0.conv_dw.weight'].shape[0], 1, 7, 7)
    torch.save(sd2, tmp_path / 'k7.pth')
    with pytest.raises(FileFormatError, match='blocks.2.0 .*kernel 7.* is no op of the space'): read_release_network(tmp_path / 'k7.pth')


def test_supernet_maps_what_it_can(rel, tmp_path):
    star = torch.load(rel['w_star.pth'], weights_only=True)
    with pytest.raises(FileFormatError, match=r"per-op tensors .*'blocks.1.0.conv_dw.0.weight'.*--drop_private"):
        binas_import_file('auto', rel['w_star.pth'], tmp_path / 's.pth.tar')
    assert not (tmp_path / 's.pth.tar').exists()
    r = binas_import_file('supernet', rel['w_star.pth'], tmp_path / 's.pth.tar', drop_private=True)
    assert r['exact'] is False
    net = load_supernet(tmp_path / 's.pth.tar')
    sd = net.state_dict()
    # the heaviest op's tensors, as the release's load_from_supernetwork picks them for e6 k5 SE
    assert torch.equal(sd['blocks.4.2.conv_dw.weight'], star['blocks.4.2.conv_dw.1.weight'])
    assert torch.equal(sd['blocks.4.2.bn2.running_var'], star['blocks.4.2.bn2.1.running_var'])
    assert torch.equal(sd['blocks.4.2.bn3.bias'], star['blocks.4.2.bn3.5.bias'])      # index e6 · 2 + SE on
    assert torch.equal(sd['blocks.4.2.se.conv_reduce.weight'], star['blocks.4.2.se.1.conv_reduce.weight'])
    assert torch.equal(sd['conv_head.weight'], star['conv_head.weight'])
    exact = write_release_files(tmp_path / 'x', seed=1, n_fit=2, n_test=2, num_classes=10, shared_private=True)
    assert binas_import_file('auto', exact['w_star.pth'], tmp_path / 'e.pth.tar')['exact'] is True


# --- untrusted files ------------------------------------------------------------------------------------------------------

class Hostile:
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))


@pytest.mark.parametrize('fmt', ['pkl', 'pth'])
def test_hostile_pickle_is_refused_without_side_effect(tmp_path, fmt):
    marker = tmp_path / 'pwned'
    f = tmp_path / f'LUT_CPU.{fmt}'
    obj = {'general': 1e-3, 'in_channels_16_out_channels_24_stride_2_resolution_112_er_3_k_3_se_0_act_1': Hostile(marker)}
    if fmt == 'pkl': f.write_bytes(pickle.dumps(obj))
    else: torch.save(obj, f)
    with pytest.raises(UnsafePickleError, match=r'global (posix|nt|os)\.system is not on the allow-list'):
        safe_load_pickle(f) if fmt == 'pkl' else safe_load_torch(f)
    out = tmp_path / 'lut.json'
    p = subprocess.run([sys.executable, '-c', "import sys; sys.argv[0] = 'binas_import'; from binas.release_import import binas_import; sys.exit(binas_import())",
                        'auto', str(f), '--output', str(out)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.count('\n') == 1, p.stderr
    assert p.stderr.startswith('binas_import: error: ') and 'system is not on the allow-list' in p.stderr and 'nothing in it was run' in p.stderr
    assert not marker.exists() and not out.exists()


def test_allowed_pickles_and_clear_errors(tmp_path):
    (tmp_path / 'trunc.pkl').write_bytes(pickle.dumps({'general': 1.0})[:-3])
    with pytest.raises(FileFormatError, match='cannot be read'): safe_load_pickle(tmp_path / 'trunc.pkl')
    (tmp_path / 'g.pkl').write_bytes(pickle.dumps({'f': getattr}))
    with pytest.raises(UnsafePickleError, match='builtins.getattr'): safe_load_pickle(tmp_path / 'g.pkl')
    (tmp_path / 'ok.pkl').write_bytes(pickle.dumps({'a': np.float32(1.5), 't': torch.nn.Parameter(torch.ones(2)), 'b': b'xy'}, protocol=2))
    d = safe_load_pickle(tmp_path / 'ok.pkl')
    assert d['a'] == 1.5 and torch.equal(d['t'], torch.ones(2)) and d['b'] == b'xy'


def test_wrong_kind_is_one_line(rel, tmp_path):
    with pytest.raises(FileFormatError, match='not a release latency LUT'): read_release_lut(rel['test_accuracy_lut.pkl'])
    with pytest.raises(FileFormatError, match="missing 'linear.weight'"): read_release_bilinear(rel['mlp_predictor_ckpt.pth'])
    with pytest.raises(FileFormatError, match='a plain network'): read_release_supernet(rel['BINAS_A.pth'])
    binas_import_file('auto', rel['BINAS_A.pth'], tmp_path / 'a.pth.tar')
    with pytest.raises(FileFormatError, match='already a binas file'): release_kind(tmp_path / 'a.pth.tar')


# --- an imported estimator's frontier is the release formula's optimum ------------------------------------------------------

def test_frontier_matches_the_release_formula(rel, tmp_path):
    binas_import_file('auto', rel['estimator_ckpt.pth'], tmp_path / 'est.json')
    binas_import_file('auto', rel['LUT_CPU.pkl'], tmp_path / 'lut.json')
    est = load_form(tmp_path / 'est.json', 'estimator', SP)[0]
    F = frontier(est, load_latency_table(tmp_path / 'lut.json').form())
    sd, raw = torch.load(rel['estimator_ckpt.pth'], weights_only=True), safe_load_pickle(rel['LUT_CPU.pkl'])
    for q in (0.05, 0.3, 0.6, 0.95):
        T = float(np.quantile(F.latency, q)); i = F.index(T); a = F.arch(i)
        lg = logits_of(a)
        assert F.accuracy[i] == pytest.approx(bilinear_forward(sd, lg), abs=1e-9)
        assert F.latency[i] == pytest.approx(1000 * release_latency_from_facts(raw, lg), rel=1e-12) and F.latency[i] <= T
    # and nothing among many random architectures within the budget scores higher under the release's own formula
    T = float(np.quantile(F.latency, 0.3)); best = F.accuracy[F.index(T)]
    lt = read_release_lut(rel['LUT_CPU.pkl'])
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = Arch.random(SP, rng)
        if lt.predict(a) <= T: assert bilinear_forward(sd, logits_of(a)) <= best + 1e-9
    assert np.allclose(np.concatenate(release_encoding(Arch.heaviest())), np.concatenate(Arch.heaviest().encode()))
