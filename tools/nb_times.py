"""Each notebook run top to bottom as `jupyter nbconvert --execute` does (every cell, `#| slow` ones included), one after
another: its wall time, and how many of its code cells show output. Prints a Markdown table; exit status 1 if a notebook
failed or ran over the limit.

    python tools/nb_times.py                      # every notebook in nbs/
    python tools/nb_times.py 03_train 09_cli      # some of them
"""
import argparse, json, os, sys, time
from datetime import datetime
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

NBS = Path(__file__).resolve().parents[1] / 'nbs'


def shown(nb)->tuple[int, int]:
    "(code cells with output, code cells) of an executed notebook."
    code = [c for c in nb.cells if c.cell_type == 'code' and c.source.strip()]
    return sum(bool(c.get('outputs')) for c in code), len(code)


def slowest(nb, k:int=3)->str:
    "The `k` slowest cells of an executed notebook: 'index:seconds' (from nbconvert's execution timestamps)."
    t = []
    for i, c in enumerate(nb.cells):
        e = c.get('metadata', {}).get('execution', {})
        if 'iopub.execute_input' in e and 'shell.execute_reply' in e:
            d = [datetime.fromisoformat(e[k].replace('Z', '+00:00')) for k in ('iopub.execute_input', 'shell.execute_reply')]
            t.append(((d[1] - d[0]).total_seconds(), i))
    return ', '.join(f'cell {i}: {s:.0f} s' for s, i in sorted(t, reverse=True)[:k])


def run(path:Path, timeout:int)->dict:
    "Execute a copy of the notebook in nbs/ (as nbdev and Quarto do); the notebook file is not changed."
    nb = nbformat.read(path, as_version=4)
    t = time.perf_counter()
    try:
        ExecutePreprocessor(timeout=timeout, kernel_name='python3').preprocess(nb, {'metadata': {'path': str(path.parent)}})
        err = ''
    except Exception as e: err = str(e).strip().splitlines()[-1][:200] if str(e).strip() else type(e).__name__
    with_out, code = shown(nb)
    return {'notebook': path.stem, 'seconds': round(time.perf_counter() - t, 1), 'cells_with_output': with_out, 'code_cells': code, 'error': err,
            'slowest': slowest(nb)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='*', help='notebook names (default: every notebook in nbs/)')
    p.add_argument('--limit', type=float, default=180, help='seconds a notebook may take')
    p.add_argument('--json', help='also write the rows to this JSON file')
    a = p.parse_args()
    paths = [NBS / f'{n.removesuffix(".ipynb")}.ipynb' for n in a.notebooks] or sorted(NBS.glob('*.ipynb'))
    print(f'load average before: {os.getloadavg()[0]:.2f}', flush=True)
    print('| notebook | seconds | code cells with output | slowest cells |\n|---|---|---|---|', flush=True)
    rows = []
    for path in paths:
        r = run(path, timeout=int(4 * a.limit))
        rows.append(r)
        flag = ' **over**' if r['seconds'] > a.limit else ''
        print(f"| {r['notebook']} | {r['seconds']:.0f}{flag} | {r['cells_with_output']} / {r['code_cells']} | {r['slowest']} |"
              + (f" FAILED: {r['error']}" if r['error'] else ''), flush=True)
    print(f'load average after: {os.getloadavg()[0]:.2f}; total {sum(r["seconds"] for r in rows):.0f} s')
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1))
    sys.exit(int(any(r['error'] or r['seconds'] > a.limit for r in rows)))


if __name__ == '__main__': main()
