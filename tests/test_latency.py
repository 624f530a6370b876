"Kill-and-resume and one-line errors of `binas_lut` (small space, so it runs in seconds), and calibration (`binas.calibrate`)."
import json, os, signal, subprocess, sys, time
from pathlib import Path

import pytest

from binas.latency import load_latency_table
from binas.core import FileFormatError

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
LUT = [sys.executable, '-c', 'import sys; from binas.calibrate import binas_lut; sys.exit(binas_lut())']
ARGS = ['--target_device', 'onnx', '--space', 'demo', '--resolution', '16', '--repeat_measure', '200', '--no_progress']

def _keys(progress:Path)->list[str]:
    lines = [l for l in progress.read_text().splitlines()[1:] if l.strip()]
    out = []
    for l in lines:
        try: out.append(json.loads(l)['key'])
        except json.JSONDecodeError: pass  # a line torn by the kill
    return out

def test_kill_and_resume(tmp_path):
    lut = tmp_path / 'lut.json'
    progress = Path(str(lut) + '.progress.jsonl')
    p = subprocess.Popen([*LUT, *ARGS, '--lut_filename', str(lut)], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 50 and (not progress.exists() or len(_keys(progress)) < 10): time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    first = _keys(progress)
    assert 10 <= len(first) and not lut.exists(), 'the first run should have been killed mid-table'
    r = subprocess.run([*LUT, *ARGS, '--lut_filename', str(lut)], env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    keys = _keys(progress)
    assert len(keys) == len(set(keys)), 'a measurement was recorded twice'
    assert keys[:len(first)] == first, 'the resumed run re-measured what the killed run had recorded'
    lt = load_latency_table(lut)
    assert lt.meta['resumed_measurements'] == len(first)
    assert lt.meta['measured_this_run'] == len(keys) - len(first) > 0
    assert lt.meta['measurements'] == len(keys) == len(lt.measurements)
    d = json.loads(lut.read_text())
    ids = [(e['stage'], e['position'], e['op']) for e in d['entries']]
    assert len(ids) == len(set(ids)) == 5 * 2 * 12
    assert f"{len(keys) - len(first)} measured now, {len(first)} resumed" in r.stdout

def _one_line_error(r):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and 'error:' in lines[0], r.stderr
    return lines[0]

def test_errors(tmp_path):
    r = subprocess.run([*LUT, '--target_device', 'tpu', '--lut_filename', str(tmp_path / 'x.json')], env=ENV, capture_output=True, text=True)
    assert "'tpu'" in _one_line_error(r)
    bad = tmp_path / 'bad.json'; bad.write_text('{"format": "binas.latency/1", "meta": {}}')
    rep = [sys.executable, '-c', 'import sys; from binas.calibrate import binas_latency_report; sys.exit(binas_latency_report())']
    r = subprocess.run([*rep, str(bad)], env=ENV, capture_output=True, text=True)
    msg = _one_line_error(r)
    assert 'bad.json' in msg and 'missing' in msg
    with pytest.raises(FileFormatError, match='not a binas latency table'):
        (tmp_path / 'p.json').write_text('[1, 2]'); load_latency_table(tmp_path / 'p.json')

def test_calibration_recovers_known_table():
    "Synthetic 'measurements' from a known table plus 1% noise: the calibrated table must predict held-out networks like the truth."
    import numpy as np
    from binas.calibrate import calibrate, calibration_archs
    from binas.latency import shipped_table
    from binas.space import sample_archs
    base = shipped_table('onnx_cpu_224').uncalibrated()
    sp, rng = base.space, np.random.default_rng(1)
    theta = base.params()
    truth = base.with_params(np.append(theta[:-1] * rng.uniform(0.5, 1.5, len(theta) - 1), theta[-1] * 1.3))
    archs = calibration_archs(sp, 150, seed=5)
    y = truth.predict(archs) * (1 + 0.01 * rng.standard_normal(len(archs)))
    fit = calibrate(base, archs, y)
    held = sample_archs(200, sp, 123)
    err = lambda t: 100 * np.mean(np.abs(t.predict(held) - truth.predict(held)) / truth.predict(held))
    assert err(base) > 5, err(base)
    assert err(fit) < 1.5, err(fit)
    assert np.abs(fit.params() - truth.params()).sum() < 0.5 * np.abs(base.params() - truth.params()).sum()
    assert (fit.params() >= 0).all() and fit.uncalibrated() is base
    c = fit.meta['calibration']
    assert c['networks'] == 150 and c['cv_mape_after_pct'] < c['mape_before_pct'] and c['lambda'] in map(float, c['cv_mape_by_lambda'])

def test_calibrate_cli_resumes(tmp_path):
    "binas_lut --calibrate N writes a calibrated table with its uncalibrated entries; a rerun measures nothing again."
    lut = tmp_path / 'lut.json'
    args = [*LUT, *ARGS[:-3], '--repeat_measure', '3', '--no_progress', '--calibrate', '12', '--lut_filename', str(lut)]
    r = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'calibrated on 12 networks (12 measured now)' in r.stdout, r.stdout
    lt = load_latency_table(lut)
    assert lt.raw is not None and lt.meta['calibration']['networks'] == 12
    from binas.calibrate import ANCHORS_KEY
    assert sum(k.startswith('e2e/') and k != ANCHORS_KEY for k in lt.measurements) == 12
    assert len(lt.measurements[ANCHORS_KEY]['anchors_ms']) == 2 and len(lt.meta['calibration']['anchors']) == 2
    speeds = {v['chunk_speed'] for k, v in lt.measurements.items() if k.startswith('e2e/') and k != ANCHORS_KEY}
    assert 1.0 in speeds and all(0.3 < s < 3 for s in speeds)   # the first chunk is the yardstick
    r = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert '0 measured now' in r.stdout and 'calibrated on 12 networks (0 measured now)' in r.stdout, r.stdout
