"""Commands whose flags come from settings dataclasses: `binas_train`'s training flags are `TrainConfig`'s fields and
`binas_demo`'s are `DemoConfig`'s (`binas.core.config_flags`). The command line maps into the dataclass with the defaults the
hand-written flags had, the release's flag names and spellings still work, and `--help` documents every flag."""
import re
from dataclasses import asdict, fields

import pytest

from binas.cli import run_command
from binas.demo import DemoConfig, binas_demo
from binas.train import TrainConfig, binas_train

# binas_train's defaults when its flags were written by hand (before issue 19). They equal TrainConfig's own defaults, so
# binas_train needs no override map; should a TrainConfig default change, this test says that the command's default changed too.
CLI_DEFAULTS = dict(epochs=3, batch_size=128, lr=0.1, opt='sgd', momentum=0.9, weight_decay=1e-5, sched='cosine', decay_epochs=2.4,
                    decay_rate=0.97, warmup_epochs=0.0, warmup_lr=1e-6, min_lr=0.0, drop=0.0, drop_path=0.0, smoothing=0.0, clip_grad=0.0,
                    amp='auto', seed=0, workers=0, limit_train=0, limit_valid=0, device='auto',
                    channels_last=True)   # no flag before: now --no-channels_last
# the flags of the original train.py that select and feed the stages, with their defaults
RELEASE = {'heaviest_network': False, 'train_elastic_model': False, 'initial_checkpoint_IKD': None, 'transform_model_to_mobilenet': False,
           'mobilenet_string': None, 'initial_checkpoint': None, 'use_KD': False, 'gamma_knowledge': 1.0, 'ikd_dividor': 50.0,
           'real_KD': True, 'groups': 4, 'sandwich': True}


def train_cfg(argv:list)->tuple[dict, TrainConfig]:
    "What `binas_train` would get from `argv`: all its arguments, and the TrainConfig it builds from them."
    kw = binas_train.parse([str(a) for a in argv], prog='binas_train')
    return kw, TrainConfig(**{f.name: kw[f.name] for f in fields(TrainConfig)})


def test_train_defaults():
    kw, cfg = train_cfg([])
    assert asdict(cfg) == CLI_DEFAULTS
    assert {k: kw[k] for k in RELEASE} == RELEASE
    assert (kw['data'], kw['train_percent'], kw['augment'], kw['output'], kw['resume']) == ('fashion-mnist', 80, True, 'outputs/train', None)


def test_train_flags_map_into_trainconfig():
    kw, cfg = train_cfg(['digits', '--heaviest_network', '--epochs', 5, '-b', 32, '--lr=0.05', '--opt', 'adamw', '--momentum', 0.8,
                         '--weight-decay', 1e-4, '--sched', 'step', '--decay-epochs', 1.5, '--decay_rate', 0.5, '--warmup_epochs', 1,
                         '--warmup-lr', 1e-5, '--min_lr', 1e-4, '--drop', 0.1, '--drop_path', 0.05, '--smoothing', 0.1, '--clip-grad', 2,
                         '--amp', 'off', '--seed', 7, '--workers', 2, '--limit_train', 100, '--limit-valid', 50, '--device', 'cpu',
                         '--no-channels_last'])
    assert cfg == TrainConfig(epochs=5, batch_size=32, lr=0.05, opt='adamw', momentum=0.8, weight_decay=1e-4, sched='step', decay_epochs=1.5,
                              decay_rate=0.5, warmup_epochs=1.0, warmup_lr=1e-5, min_lr=1e-4, drop=0.1, drop_path=0.05, smoothing=0.1,
                              clip_grad=2.0, amp='off', seed=7, workers=2, limit_train=100, limit_valid=50, device='cpu', channels_last=False)
    assert kw['data'] == 'digits' and kw['heaviest_network']
    assert train_cfg(['-b=16'])[1].batch_size == 16 and train_cfg(['--batch-size', 8])[1].batch_size == 8


def test_release_flags_unchanged():
    kw, _ = train_cfg(['--train_elastic_model', '--initial-checkpoint-IKD', 'wh.pth.tar', '--mobilenet_string', 'A', '--use_KD',
                       '--initial_checkpoint', 'w.pth.tar', '--gamma_knowledge', 2, '--ikd_dividor', 10, '--no-real_KD', '--groups', 2,
                       '--no-sandwich', '--transform_model_to_mobilenet', '--space', 'auto', '--train_percent', 70, '--no-augment'])
    assert {k: kw[k] for k in RELEASE} == dict(heaviest_network=False, train_elastic_model=True, initial_checkpoint_IKD='wh.pth.tar',
                                               transform_model_to_mobilenet=True, mobilenet_string='A', initial_checkpoint='w.pth.tar',
                                               use_KD=True, gamma_knowledge=2.0, ikd_dividor=10.0, real_KD=False, groups=2, sandwich=False)
    assert (kw['space'], kw['train_percent'], kw['augment']) == ('auto', 70, False)


@pytest.mark.parametrize('argv,needle', [(['--opt', 'adam'], '--opt'), (['--sched', 'linear'], '--sched'), (['--epochs', 'two'], '--epochs'),
                                         (['--amp', 'fp8'], '--amp'), (['--nope'], '--nope')])
def test_train_bad_flag_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as e: binas_train.parse(argv, prog='binas_train')
    lines = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(lines) == 1 and lines[0].startswith('binas_train: error:') and needle in lines[0], lines


def test_train_help_lists_every_flag():
    r = run_command('binas_train', '--help', timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    helps = dict(re.findall(r'^  (--[\w-]+)[^\n]*?  +(\S[^\n]*)$', r.stdout, flags=re.M))   # flag -> the first line of its help
    want = [('--no-' if isinstance(v, bool) and v else '--') + k for k, v in {**CLI_DEFAULTS, **RELEASE}.items()]
    want += ['--space', '--in_chans', '--resolution', '--width_mult', '--depths', '--train_percent', '--no-augment', '--output', '--resume']
    missing = [w for w in want if w not in helps]
    assert not missing, (missing, r.stdout)
    for f in fields(TrainConfig):   # each training flag's help is its field's comment
        flag = f'--no-{f.name}' if f.type == 'bool' else f'--{f.name}'
        assert not helps[flag].startswith('(default'), (flag, helps[flag])
    assert '{sgd,adamw,rmsprop}' in r.stdout and '{cosine,step,onecycle,const}' in r.stdout and '(-b)' in r.stdout


def test_demo_flags_are_democonfig():
    assert binas_demo.parse([], prog='binas_demo') == {'out': 'outputs/demo/run', 'quick': False, 'only': None}   # nothing overridden
    kw = binas_demo.parse(['--quick', '--seed', '3', '--procs', '1', '--heaviest-epochs', '2', '--supernet_lr', '0.05', '--no-estimator_shrink',
                           '--augment', '--search_with', 'estimator', '--data', 'folder', '--only', 'latency'], prog='binas_demo')
    over = {k: v for k, v in kw.items() if k not in ('out', 'quick', 'only')}
    assert over == dict(seed=3, procs=1, heaviest_epochs=2, supernet_lr=0.05, estimator_shrink=False, augment=True, search_with='estimator',
                        data='folder')
    cfg = DemoConfig.quick(**over)
    assert asdict(cfg) == {**asdict(DemoConfig.quick()), **over}
    assert set(binas_demo.flags) == {f.name for f in fields(DemoConfig)}
    for name in ('data', 'seed', 'procs', 'heaviest_epochs', 'supernet_epochs', 'supernet_lr', 'supernet_batch', 'samples', 'budgets',
                 'candidates', 'select_images', 'plane_images'):   # the flags binas_demo had before
        assert name in binas_demo.flags
    for name, kw in binas_demo.flags.items():   # every flag's help is its field's comment, continuation lines included
        assert kw['help'] and not kw['help'].startswith('(default'), name
    assert 'the other stages run on rank 0' in binas_demo.flags['procs']['help']
