"Contributions and random samples: kill-and-resume (no decision measured twice, none lost, same result), torchrun (gloo) sharding, one-line errors; binas_fit end to end."
import json, os, re, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

from binas.core import ResultStore, save_checkpoint
from binas.space import demo_space
from binas.supernet import SuperNet, _randomise_bn, supernet_meta

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'PYTHONWARNINGS': 'ignore', 'OMP_NUM_THREADS': '1'}
SMALL = ['--num_iter', 2, '-b', 8, '--device', 'cpu']   # 16 images and 2 path draws per decision


def tiny_supernet(path:Path)->Path:
    "A randomly initialised demo super-network checkpoint (random batch-norm too, so accuracies differ between paths)."
    torch.manual_seed(0)
    sp = demo_space()
    net = _randomise_bn(SuperNet(sp, 10), 0)
    save_checkpoint({**supernet_meta(sp, 10), 'model': net.state_dict()}, path)
    return path


def cli(cmd, *args, module='estimator', **kw):
    return subprocess.run([sys.executable, '-c', f'import sys; from binas.{module} import {cmd}; sys.exit({cmd}())', *map(str, args)],
                          capture_output=True, text=True, env=ENV, **kw)


def measurements(out:Path)->dict:
    return json.loads((out / 'estimator.json').read_text())['meta']['measurements']


def store_lines(p:Path)->list[str]:
    return [l for l in p.read_text().splitlines()[1:] if l.strip()] if p.exists() else []


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    return tiny_supernet(tmp_path_factory.mktemp('ck') / 'supernet.pth.tar')


@pytest.fixture(scope='module')
def reference(ckpt, tmp_path_factory):
    "An uninterrupted single-process run."
    out = tmp_path_factory.mktemp('ref')
    r = cli('binas_contrib', '--checkpoint', ckpt, '--output', out, *SMALL, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'rank 0: 256 decisions to measure (0 cached' in r.stdout
    return measurements(out)


def test_kill_and_resume(ckpt, reference, tmp_path):
    store = tmp_path / 'contributions.jsonl'
    p = subprocess.Popen([sys.executable, '-c', 'import sys; from binas.estimator import binas_contrib; sys.exit(binas_contrib())',
                          '--checkpoint', str(ckpt), '--output', str(tmp_path), *map(str, SMALL)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and len(store_lines(store)) < 30 and p.poll() is None: time.sleep(0.02)
    finally:
        p.send_signal(signal.SIGKILL); p.wait()
    before = len(ResultStore(store, json.loads(store.read_text().splitlines()[0])['__meta__']))
    assert 30 <= before < 256, f'killed at {before} of 256 decisions: the test needs a mid-run kill'
    r = cli('binas_contrib', '--checkpoint', ckpt, '--output', tmp_path, *SMALL, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    todo = int(re.search(r'rank 0: (\d+) decisions to measure', r.stdout).group(1))
    assert todo == 256 - before                       # nothing measured twice, nothing lost
    keys = [json.loads(l)['key'] for l in store_lines(store)]
    assert len(keys) == len(set(keys)) == 256
    assert measurements(tmp_path) == reference        # identical to the uninterrupted run


def test_torchrun_shards_merge(ckpt, reference, tmp_path):
    torchrun = Path(sys.executable).with_name('torchrun')
    r = subprocess.run([str(torchrun), '--nproc_per_node', '2', '--master_port', '29541', str(ROOT / 'tests' / 'run_cmd.py'),
                        'binas.estimator', 'binas_contrib', '--checkpoint', str(ckpt), '--output', str(tmp_path), *map(str, SMALL)],
                       capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'rank 0: 128 decisions to measure' in r.stdout and 'rank 1: 128 decisions to measure' in r.stdout
    assert (tmp_path / 'contributions.rank1.jsonl').exists()
    assert measurements(tmp_path) == reference


def test_samples_resume_and_fit(ckpt, tmp_path):
    args = ['--checkpoint', ckpt, '--num_images', 16, '-b', 8, '--device', 'cpu']
    r = cli('binas_sample', *args, '--num_samples', 40, '--output', tmp_path / 'train.csv', timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    r2 = cli('binas_sample', *args, '--num_samples', 40, '--output', tmp_path / 'train.csv', timeout=300)
    assert 'rank 0: 0 sub-networks to measure (40 cached' in r2.stdout
    r = cli('binas_sample', *args, '--num_samples', 12, '--seed', 1, '--output', tmp_path / 'test.csv', timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    for kind, extra in [('bilinear', ['--closed_form_solution']), ('quadratic', ['--closed_form_solution']), ('mlp', ['--epochs', 5])]:
        out = tmp_path / f'p_{kind}.{"pth" if kind == "mlp" else "json"}'
        r = cli('binas_fit', tmp_path / 'train.csv', '--predictor_type', kind, *extra, '--output', out, '--test_table', tmp_path / 'test.csv',
                module='predictors', timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        assert 'Kendall-τ' in r.stdout and out.exists() and out.with_name(f'{out.stem}_scatter.png').exists()


def _one_line_error(r):
    assert r.returncode == 2, (r.returncode, r.stderr[-1500:])
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and 'error:' in lines[0], r.stderr[-1500:]
    return lines[0]


def test_one_line_errors(ckpt, tmp_path):
    assert 'does not exist' in _one_line_error(cli('binas_contrib', '--checkpoint', tmp_path / 'nope.pth.tar'))
    assert 'required' in _one_line_error(cli('binas_sample'))
    (tmp_path / 'junk.csv').write_text('a,b\n1,2\n')
    assert 'junk.csv' in _one_line_error(cli('binas_fit', tmp_path / 'junk.csv', '--space', 'demo', module='predictors'))
    args = ['--checkpoint', ckpt, '--num_samples', 3, '-b', 8, '--output', tmp_path / 's.csv', '--device', 'cpu']
    assert cli('binas_sample', *args, '--num_images', 8, timeout=300).returncode == 0
    assert 'other settings' in _one_line_error(cli('binas_sample', *args, '--num_images', 16, timeout=300))
