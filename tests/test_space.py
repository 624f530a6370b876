"Property tests, fuzzing and timm equivalence for `binas.space` (too many cases for the notebook)."
import random, re

import numpy as np
import pytest
import timm
import torch

from binas.arch_strings import ArchStringError
from binas.space import (Arch, SearchSpace, build_model, named_archs, sample_archs,
                         timm_hardcorenas_arch_defs, BINAS, HARDCORENAS)

SPACE = SearchSpace()
N = 10_000


def test_named_round_trip_byte_identical():
    defs = timm_hardcorenas_arch_defs()
    strings = list(BINAS.values()) + [str(d) for d in defs.values()]
    assert len(strings) == 12
    for s in strings: assert str(Arch.from_string(s)) == s


@pytest.mark.parametrize('k', 'abcdef')
def test_build_model_equals_timm(k):
    arch = named_archs()[f'HardCoReNAS_{k.upper()}']
    ours, ref = build_model(arch).eval(), timm.create_model(f'hardcorenas_{k}').eval()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in ref.parameters())
    ref.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(): assert (ours(x) - ref(x)).abs().max().item() == 0.0


def test_space_size():
    assert SPACE.size == (12**2 + 12**3 + 12**4)**5


@pytest.mark.parametrize('space', [SPACE, SPACE.scaled(0.5, resolution=32, in_chans=1)])
def test_round_trips_property(space):
    archs = sample_archs(N, space, seed=123)
    assert len(set(archs)) > N * 0.99   # really random
    for a in archs:
        s = str(a)
        assert str(Arch.from_string(s, space)) == s
        alpha, beta = a.encode()
        assert Arch.decode(alpha, beta, space) == a
        assert np.array_equal(alpha.reshape(-1, len(space.ops)).sum(1), np.ones(space.num_stages * space.max_depth))
        assert np.array_equal(beta.reshape(space.num_stages, -1).sum(1), np.ones(space.num_stages))
        assert set(np.unique(alpha)) <= {0., 1.} and set(np.unique(beta)) <= {0., 1.}


# ---- fuzzing: every malformed string is a ValueError that names the offending token ----

BAD_VALUES = {'k': ['k1', 'k7', 'k9', 'k4', 'k0', 'k05', 'kx', 'k'], 'e': ['e1', 'e2', 'e5', 'e8', 'e0', 'e3.5', 'e-3', 'e'],
              's': ['s0', 's3', 's9', 'sx', 's22'], 'r': ['r0', 'r01', 'rx', 'r'], 'se': ['se0.5', 'se1', 'se0', 'se0.125', 'sex', 'se2']}


def _wrong_channels(tok, rng):
    c = int(tok[1:])
    return f'c{rng.choice([x for x in (8, 16, 24, 40, 80, 112, 192, 960, c + 1, c * 2) if x != c])}'


def _mutate_token(blocks, rng):
    "Mutate one token of one elastic block; return (new blocks, the token that must appear in the error)."
    si = rng.randrange(1, len(blocks) - 1)
    bi = rng.randrange(len(blocks[si]))
    toks = blocks[si][bi].split('_')
    kind = rng.choice(['value', 'remove', 'duplicate', 'type', 'act', 'empty', 'unknown', 'stride'])
    if kind == 'value':
        i = rng.choice([i for i, t in enumerate(toks) if t[0] in 'kecr' or t.startswith('se')])
        key = 'se' if toks[i].startswith('se') else toks[i][0]
        new = _wrong_channels(toks[i], rng) if key == 'c' else rng.choice(BAD_VALUES[key])
        toks[i] = new
    elif kind == 'stride':
        i = next(i for i, t in enumerate(toks) if re.fullmatch(r's\d', t))
        new = toks[i] = 's1' if toks[i] == 's2' else ('s2' if bi > 0 or toks[i] == 's1' and si == 4 else 's3')
        if bi == 0 and si == 4: new = toks[i] = 's2'    # stage 4 starts with stride 1
    elif kind == 'remove':
        i = rng.choice([i for i, t in enumerate(toks) if t[0] in 'rksec' and not t.startswith('se')])
        new = toks.pop(i)[0]   # the error names the missing option
    elif kind == 'duplicate':
        i = rng.randrange(1, len(toks))
        new = toks[i]
        toks.insert(i, toks[i])
    elif kind == 'type':
        new = toks[0] = rng.choice(['ds', 'dsa', 'cn', 'xx', 'IR', 'i'])
        if new == 'cn': toks = [t for t in toks if not t.startswith('e')]
    elif kind == 'act':
        relu = si <= 2
        new = rng.choice(['nhs', 'nsw', 'nr6', 'nxx', 'n'] if relu else ['nre', 'nsw', 'nr6', 'nxx', 'n'])
        toks = [t for t in toks if not re.fullmatch(r'n\w+', t)] + [new]
    elif kind == 'empty':
        i = rng.randrange(1, len(toks) + 1)
        toks.insert(i, '')
        new = ''
    else:
        new = rng.choice(['x3', 'q', 'K5', 'z0.25', 'noskip', 'a1'])
        toks.insert(rng.randrange(1, len(toks) + 1), new)
    blocks[si][bi] = '_'.join(toks)
    return blocks, new


def _mutate_structure(blocks, s, rng):
    "Break the nesting, depth or stage count; return (new string, None)."
    kind = rng.choice(['truncate', 'depth_low', 'depth_high', 'flatten', 'extra_nest', 'drop_stage', 'dup_stage',
                       'swap', 'garbage', 'not_list', 'empty_stage', 'non_string'])
    if kind == 'truncate': return s[:rng.randrange(0, len(s))]
    if kind == 'depth_low': si = rng.randrange(1, 6); blocks[si] = blocks[si][:1]
    elif kind == 'depth_high': si = rng.randrange(1, 6); blocks[si] = blocks[si] + [blocks[si][-1]] * (5 - len(blocks[si]))
    elif kind == 'flatten': si = rng.randrange(0, 7); blocks = blocks[:si] + list(blocks[si]) + blocks[si + 1:]
    elif kind == 'extra_nest': si = rng.randrange(0, 7); blocks[si] = [blocks[si]]
    elif kind == 'drop_stage': blocks.pop(rng.randrange(0, 7))
    elif kind == 'dup_stage': si = rng.randrange(0, 7); blocks.insert(si, list(blocks[si]))
    elif kind == 'swap':
        i, j = rng.sample(range(0, 7), 2); blocks[i], blocks[j] = blocks[j], blocks[i]
    elif kind == 'garbage': return s + rng.choice([']', ',', 'x', ' [', "'", '\x00', ')'])
    elif kind == 'not_list': return rng.choice(['', '   ', '42', 'None', "'ir_r1_k3_s1_e3_c24'", '{}', s.replace('[', '(', 1)[:-1] + '}'])
    elif kind == 'empty_stage': blocks[rng.randrange(0, 7)] = []
    elif kind == 'non_string': si = rng.randrange(1, 6); blocks[si][0] = rng.choice([3, None, 2.5, b'ir'])
    return str(blocks)


def _quoted(msg):
    return [a or b for a, b in re.findall(r"'([^']*)'|\"([^\"]*)\"", msg)]


def test_fuzz_malformed_strings():
    rng = random.Random(2024)
    archs = sample_archs(N // 2, SPACE, seed=7) + list(named_archs().values())
    kinds = {'token': 0, 'structure': 0}
    for n in range(N):
        a = archs[n % len(archs)]
        blocks = a.arch_def()
        if rng.random() < 0.6:
            blocks, tok = _mutate_token(blocks, rng)
            s = str(blocks); kinds['token'] += 1
        else:
            s = _mutate_structure(blocks, str(a), rng); tok = None; kinds['structure'] += 1
        with pytest.raises(ValueError) as info:   # nothing but ValueError (ArchStringError is one) may escape
            Arch.from_string(s, SPACE)
        msg = str(info.value)
        assert isinstance(info.value, ArchStringError), (s, msg)
        if tok is not None: assert f"'{tok}'" in msg, (s, tok, msg)
        elif not s.strip(): assert 'empty architecture string' in msg
        else: assert any(q.strip('…') in s for q in _quoted(msg) if q.strip('…')), (s, msg)
    assert min(kinds.values()) > N // 4


def test_error_is_valueerror_subclass():
    assert issubclass(ArchStringError, ValueError)
    with pytest.raises(ValueError, match="'k7'"):
        Arch.from_string(BINAS['A'].replace("'ir_r1_k5_s2_e3_c24_nre'", "'ir_r1_k7_s2_e3_c24_nre'"))
