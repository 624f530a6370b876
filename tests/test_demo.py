"The end-to-end demo at toy size: every stage runs, the report is written, a killed run resumes without redoing finished stages."
import json, os, signal, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHONPATH': str(ROOT), 'PYTHONWARNINGS': 'ignore'}
CMD = [sys.executable, '-c', 'import sys; from binas.demo import binas_demo; sys.exit(binas_demo())', '--quick']


def test_demo_quick_kill_and_resume(tmp_path):
    out = tmp_path / 'run'
    p = subprocess.Popen([*CMD, '--out', str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:   # kill it once the first two stages are recorded
        deadline = time.time() + 900
        state = out / 'state.json'
        while time.time() < deadline and not (state.exists() and 'supernet' in json.loads(state.read_text() or '{}')): time.sleep(0.5)
        assert state.exists(), 'no stage finished'
    finally:
        p.send_signal(signal.SIGKILL); p.wait()
    before = json.loads(state.read_text())
    files = lambda: {f: f.stat().st_mtime_ns for f in out.rglob('*') if f.is_file()}
    seen = files(); time.sleep(5)   # the demo's ranks die with it: nothing goes on writing into the run folder
    assert files() == seen, 'a rank outlived the killed run'
    assert 'heaviest' in before and 'report' not in before
    r = subprocess.run([*CMD, '--out', str(out)], capture_output=True, text=True, env=ENV, timeout=1500)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for name in before: assert f'[{name}] done earlier' in r.stdout, name           # finished stages are not redone
    after = json.loads(state.read_text())
    for name in before: assert after[name] == before[name], name                     # nor their records rewritten
    for f in ('report.md', 'report.html', 'fig_plane.png', 'fig_contributions.png', 'fig_estimator_scatter.png', 'measured.csv'):
        assert (out / f).stat().st_size > 0, f
    md = (out / 'report.md').read_text()
    for img in ('fig_plane.png', 'fig_contributions.png', 'fig_estimator_scatter.png'): assert f'![]({img})' in md
    v = after['report']['verdicts']
    claims = ('over budget, % (at', 'met by the measured latency', 'plain BINAS: measured latency over budget', 'without the margin',
              'within the formula MAPE', 'within the formula max error', 'one-shot accuracy ≥ every random', 'plain BINAS',
              '2 standard errors', 'fine-tuned ahead', 'beats training from scratch')
    assert len(v) == len(claims) and all(any(c in k for k in v) for c in claims), list(v)   # every claim of the report, each once
    assert all(isinstance(x, (bool, list)) for x in v.values())
    import csv
    cands = list(csv.DictReader(open(out / 'candidates.csv')))                      # validated search: every candidate measured
    assert cands and all(float(c['selection_accuracy']) >= 0 for c in cands) and {c['predictor'] for c in cands} == {'estimator', 'bilinear'}
    onnx = [v for v in json.loads((out / 'finetuned.json').read_text()).values()]
    assert onnx and all(v['max_abs_diff'] < 1e-3 and v['top1_agreement'] == 1.0 for v in onnx)
    # a third call has nothing left to do
    t0 = time.time()
    r = subprocess.run([*CMD, '--out', str(out)], capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0 and r.stdout.count('done earlier') == len(after), r.stdout[-2000:]


def test_demo_other_settings_refused(tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    (out / 'config.json').write_text(json.dumps({'seed': 123}))
    r = subprocess.run([*CMD, '--out', str(out)], capture_output=True, text=True, env=ENV, timeout=300)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and 'other settings' in lines[0], r.stderr[-2000:]
