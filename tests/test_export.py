"""`binas_export`: a binas checkpoint -> a folder timm loads (`timm.create_model('local-dir:…', pretrained=True)`) with outputs
identical to the original network, and an ONNX file whose parity with PyTorch is recorded; bad input is one line, exit status 2."""
import json

import pytest
import timm
import torch

import binas  # registers the timm entrypoint
from binas.cli import run_command
from binas.core import save_checkpoint
from binas.export import export_checkpoint
from binas.space import Arch, build_model, demo_space
from binas.supernet import SuperNet, supernet_meta
from binas.train import finetune_meta

SP = demo_space()


def _perturbed(model:torch.nn.Module, seed:int)->torch.nn.Module:
    "Seeded non-trivial batch-norm statistics, as training leaves them (fresh ones are 0 and 1)."
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    return model.eval()


@pytest.fixture(scope='module')
def ckpts(tmp_path_factory):
    "A fine-tuning checkpoint of the demo space's heaviest network and a super-network checkpoint, seeded weights, 10 classes."
    d = tmp_path_factory.mktemp('export')
    torch.manual_seed(0)
    heavy = Arch.heaviest(SP)
    net = _perturbed(build_model(heavy, num_classes=10), 1)
    save_checkpoint({**finetune_meta(heavy, 10), 'model': net.state_dict()}, d / 'finetuned.pth.tar')
    sn = _perturbed(SuperNet(SP, 10), 2)
    save_checkpoint({**supernet_meta(SP, 10), 'model': sn.state_dict()}, d / 'supernet.pth.tar')
    return d, net, sn


def test_command_roundtrip_is_identical(ckpts, tmp_path):
    d, net, _ = ckpts
    out = tmp_path / 'heavy'
    r = run_command('binas_export', '--checkpoint', str(d / 'finetuned.pth.tar'), '--out', str(out), '-b', '6', timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'max abs difference 0 on a batch of 6 (identical)' in r.stdout, r.stdout
    assert {p.name for p in out.iterdir()} == {'config.json', 'model.safetensors', 'model.onnx', 'parity.json'}
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['architecture'] == 'binas_mobilenetv3' and cfg['model_args']['arch'] == str(Arch.heaviest(SP))
    assert tuple(cfg['pretrained_cfg']['input_size']) == (1, 28, 28) and cfg['num_classes'] == 10
    rec = json.loads((out / 'parity.json').read_text())
    assert rec['timm']['max_abs_diff'] == 0.0 and rec['timm']['identical'] and rec['input'] == [6, 1, 28, 28]
    assert rec['onnx']['max_abs_diff'] < 1e-4 and rec['onnx']['top1_agreement'] == 1.0 and rec['onnx']['batch'] == 6
    # a fresh batch, in this process: timm builds the network from the folder alone, outputs identical to the original's
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(123))
    loaded = timm.create_model(f'local-dir:{out}', pretrained=True).eval()
    unloaded = timm.create_model(f'local-dir:{out}', pretrained=False).eval()
    with torch.no_grad():
        want = net(x)
        assert torch.equal(loaded(x), want)
        assert (loaded(x) - want).abs().max().item() == 0
        assert not torch.equal(unloaded(x), want)   # the weights come from model.safetensors, not from the architecture


def test_supernet_subnetwork(ckpts, tmp_path):
    d, _, sn = ckpts
    pick = Arch.random(SP, rng=5)
    rec = export_checkpoint(d / 'supernet.pth.tar', tmp_path / 'sub', mobilenet_string=str(pick), batch_size=4)
    assert rec['arch'] == str(pick) and rec['timm']['identical']
    x = torch.randn(8, 1, 28, 28, generator=torch.Generator().manual_seed(9))
    loaded = timm.create_model(f"local-dir:{tmp_path / 'sub'}", pretrained=True).eval()
    with torch.no_grad(): assert torch.equal(loaded(x), sn.extract(pick).eval()(x))


def test_bad_input_is_one_line(ckpts, tmp_path):
    d, _, _ = ckpts
    (tmp_path / 'corrupt.pth.tar').write_bytes(b'\x00not a checkpoint')
    cases = [(['--checkpoint', str(tmp_path / 'missing.pth.tar'), '--out', str(tmp_path / 'o')], 'does not exist'),
             (['--checkpoint', str(tmp_path / 'corrupt.pth.tar'), '--out', str(tmp_path / 'o')], 'cannot be read'),
             (['--checkpoint', str(d / 'supernet.pth.tar'), '--out', str(tmp_path / 'o')], '--mobilenet_string'),
             (['--checkpoint', str(d / 'finetuned.pth.tar'), '--out', str(tmp_path / 'o'), '--mobilenet_string', str(Arch.lightest(SP))],
              'another architecture'),
             (['--out', str(tmp_path / 'o')], '--checkpoint')]
    for args, needle in cases:
        r = run_command('binas_export', *args, timeout=600)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], (args, r.returncode, r.stderr[-1500:])
        assert 'Traceback' not in r.stderr
    assert not (tmp_path / 'o').exists()   # nothing written when the input is wrong
