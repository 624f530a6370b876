"Training: kill-and-resume, torchrun (gloo) data parallelism, and one-line errors for bad data and checkpoints."
import os, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

from binas.core import load_checkpoint, save_checkpoint
from binas.space import Arch, build_model, demo_space
from binas.train import heaviest_meta

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'PYTHONWARNINGS': 'ignore'}


def cli(cmd, *args, **kw):
    "Run a command through its installed console script (what users run: `sys.exit(cmd())`) where there is one."
    exe = Path(sys.executable).with_name(cmd)
    argv = [str(exe)] if exe.exists() else [sys.executable, '-c', f'import sys; from binas.train import {cmd}; sys.exit({cmd}())']
    return subprocess.run([*argv, *map(str, args)], **{'capture_output': True, 'text': True, 'env': ENV, **kw})


def test_kill_and_resume(tmp_path):
    args = ['--heaviest_network', '--epochs', 4, '-b', 64, '--lr', 0.05, '--limit_train', 1024, '--limit_valid', 128,
            '--output', tmp_path, '--device', 'cpu']
    p = subprocess.Popen([sys.executable, '-c', 'import sys; from binas.train import binas_train; sys.exit(binas_train())', *map(str, args)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:   # kill it during the epoch after the first checkpoint
        deadline = time.time() + 600
        while time.time() < deadline and not list(tmp_path.glob('*/last.pth.tar')): time.sleep(0.2)
        assert list(tmp_path.glob('*/last.pth.tar')), 'no checkpoint appeared'
        time.sleep(1.5)
    finally:
        p.send_signal(signal.SIGKILL); p.wait()
    run = next(tmp_path.glob('*/last.pth.tar')).parent
    before = load_checkpoint(run / 'last.pth.tar')
    assert 1 <= before['epoch'] < 4, f"killed too late (epoch {before['epoch']}): the test needs a mid-run kill"
    r = cli('binas_train', *args[:-4], '--resume', run, '--device', 'cpu', timeout=900)
    assert r.returncode == 0 and 'MobileNetV3(' not in r.stderr, r.stderr[-2000:]   # success exits 0, printing no result object
    after = load_checkpoint(run / 'last.pth.tar')
    assert after['epoch'] == 4 and [h['epoch'] for h in after['history']] == [1, 2, 3, 4]
    assert after['history'][:before['epoch']] == before['history']           # nothing from before the kill is lost
    best = load_checkpoint(run / 'model_best.pth.tar')
    m = build_model(Arch.from_string(best['arch'], demo_space()), num_classes=10)
    m.load_state_dict(best['model'])
    assert best['best'] == max(h['top1'] for h in after['history'])


def test_piped_output_is_one_line_per_epoch(tmp_path):
    "Output into a file or a pipe (a cluster job's log): fastai's table of epochs without bar fragments; BINAS_PROGRESS forces bars."
    env = {k: v for k, v in ENV.items() if k not in ('PYTHONWARNINGS', 'BINAS_PROGRESS')}   # warnings repeated per batch count too
    args = ['--heaviest_network', '-b', 64, '--limit_train', 128, '--limit_valid', 64, '--device', 'cpu', '--lr', 0.01]
    r = cli('binas_train', *args, '--epochs', 2, '--output', tmp_path / 'lines', env=env, timeout=900, text=False)   # bytes: text would turn '\r' into '\n'
    out = (r.stdout + r.stderr).decode()
    assert r.returncode == 0, out[-2000:]
    lines = out.splitlines()
    assert '\r' not in out and '█' not in out, out[-2000:]
    assert [l.split()[0] for l in lines if l.split() and l.split()[0] in ('epoch', '0', '1')] == ['epoch', '0', '1'], lines
    assert len(lines) <= 5, lines                                                  # header, 2 epochs, the closing 'done' line
    r = cli('binas_train', *args, '--epochs', 1, '--output', tmp_path / 'bars', env={**env, 'BINAS_PROGRESS': 'bar'}, timeout=900, text=False)
    assert r.returncode == 0 and r.stdout.count(b'\r') > 3, r.stdout[-2000:]
    msg = _one_line_error(cli('binas_train', *args, env={**env, 'BINAS_PROGRESS': 'fancy'}))
    assert 'BINAS_PROGRESS' in msg


def test_torchrun_gloo_identical_weights(tmp_path):
    torchrun = Path(sys.executable).with_name('torchrun')
    r = subprocess.run([str(torchrun), '--nproc_per_node=2', '--master_port=29533', str(ROOT / 'tests' / 'ddp_supernet.py'), str(tmp_path)],
                       capture_output=True, text=True, env=ENV, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'backend gloo' in r.stdout
    a, b = (torch.load(tmp_path / f'rank{i}.pt', weights_only=True) for i in (0, 1))
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), k
    w0 = load_checkpoint(tmp_path / 'wh.pth.tar')['model']
    assert any(not torch.equal(a[k], w0[k]) for k in a if a[k].is_floating_point())   # it did train


def _one_line_error(r):
    assert r.returncode == 2, (r.returncode, r.stderr[-1500:])
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and 'error:' in lines[0], r.stderr[-1500:]
    return lines[0]


def test_bad_data_folders(tmp_path):
    (tmp_path / 'text' / 'train' / 'a').mkdir(parents=True); (tmp_path / 'text' / 'val' / 'a').mkdir(parents=True)
    (tmp_path / 'text' / 'train' / 'a' / 'notes.txt').write_text('not an image')
    (tmp_path / 'text' / 'val' / 'a' / 'notes.txt').write_text('not an image')
    (tmp_path / 'empty').mkdir()
    msg = _one_line_error(cli('binas_train', tmp_path / 'text', '--heaviest_network', '--space', 'demo', '--epochs', 1))
    assert 'holds no images' in msg
    msg = _one_line_error(cli('binas_train', tmp_path / 'empty', '--heaviest_network', '--space', 'demo'))
    assert "needs 'train/'" in msg
    assert 'not found' in _one_line_error(cli('binas_validate', tmp_path / 'nope', '--model', 'hardcorenas_a'))


def test_bad_checkpoints(tmp_path):
    sp = demo_space()
    other = Arch.lightest(sp)
    save_checkpoint({**heaviest_meta(sp, 10), 'model': build_model(other, num_classes=10).state_dict()}, tmp_path / 'wrong.pth.tar')
    msg = _one_line_error(cli('binas_train', '--train_elastic_model', '--initial_checkpoint_IKD', tmp_path / 'wrong.pth.tar', '--epochs', 1))
    assert 'another architecture' in msg and 'wrong.pth.tar' in msg
    good = tmp_path / 'good.pth.tar'
    save_checkpoint({**heaviest_meta(sp, 10), 'model': build_model(Arch.heaviest(sp), num_classes=10).state_dict()}, good)
    (tmp_path / 'trunc.pth.tar').write_bytes(good.read_bytes()[:5000])
    msg = _one_line_error(cli('binas_validate', '--checkpoint', tmp_path / 'trunc.pth.tar'))
    assert 'trunc.pth.tar' in msg and 'truncated or corrupt' in msg
    msg = _one_line_error(cli('binas_validate', '--checkpoint', good, '--mobilenet_string', str(Arch.lightest(sp))))
    assert 'another architecture' in msg


@pytest.mark.parametrize('seed', [0, 1, 7, 123456, 2**31, 2**32 - 2])
def test_set_seed_draws_as_seed_everything(seed):
    "fastai's `set_seed` replaced binas's `seed_everything` (random, numpy with seed % 2**32, torch): the same draws for seeds below 2**32 - 1."
    import random
    import numpy as np
    from fastai.torch_core import set_seed
    draws = lambda: (random.random(), float(np.random.rand()), float(torch.rand(1)), int(torch.randint(0, 10**6, (1,))))
    random.seed(seed); np.random.seed(seed % 2**32); torch.manual_seed(seed)   # the body of the former binas.core.seed_everything
    before = draws()
    set_seed(seed)
    assert draws() == before
