"""Every benchmark's ratio in one run: `python -m bench` (from the repository root).

    python -m bench                          # CPU: the ratios that need no trained network (about 15 min on 2 cores)
    python -m bench --checkpoint W.pth.tar   # + one-shot evaluation and contribution timing on a trained super-network
    python -m bench --device cuda            # the CUDA set (so far: the super-network step)

Each benchmark is its own script (run one alone to see all it prints); this runs them one after another in small
settings and prints, per script, the lines that carry its ratio or gap against the baseline it measured in the same run.
"""
import argparse, re, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEEP = re.compile(r'ratio|gap|PASS|FAIL|x static|reusing|worst|Kendall', re.I)


def jobs(a)->list[tuple[str, list[str]]]:
    "The benchmarks to run, each as (title, argv after the script), for this device and checkpoint."
    if a.device == 'cuda':
        # the other scripts time CPU work (solvers, ONNX Runtime) or have no CUDA mode yet
        return [('super-network step vs its limit and the static heaviest (CUDA, bf16)', ['supernet_step.py', '--device', 'cuda'])]
    out = [('super-network step vs its limit and the static heaviest (CPU)', ['supernet_step.py', '--device', 'cpu', '--rounds', '2']),
           ('CPU training-step levers vs fp32', ['train_throughput.py', '--steps', '10']),
           ('two torch jobs on the cores vs one alone', ['oversubscription.py', '--steps', '10']),
           ('multipath strategies vs the static heaviest', ['multipath_strategies.py', '--steps', '4', '--groups', '1', '4']),
           ('BCFW and evolution vs the release on its instance shape', ['release_instance.py', '--seeds', '0,1,2']),
           ('search: every solver per budget', ['search.py', '--budgets', '6', '--params_budgets', '0']),
           ("a user's small folder: binas_train + binas_validate vs the bare loop of the same work", ['user_train.py', '--epochs', '2'])]
    if a.checkpoint:
        out += [('one-shot evaluation vs plain inference', ['oneshot_eval.py', '--checkpoint', a.checkpoint, '--archs', '10']),
                ('contributions: prefix reuse vs from the stem', ['contributions.py', '--checkpoint', a.checkpoint, '--num_iter', '4'])]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog='python -m bench', description=__doc__.splitlines()[0])
    p.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    p.add_argument('--checkpoint', help='a trained super-network checkpoint (e.g. outputs/demo/run/supernet/last.pth.tar)')
    p.add_argument('--only', help='comma-separated script names to run (e.g. supernet_step,train_throughput)')
    a = p.parse_args(argv)
    if a.checkpoint and not Path(a.checkpoint).is_file(): p.error(f'--checkpoint {a.checkpoint!r}: no such file')
    todo = [j for j in jobs(a) if not a.only or Path(j[1][0]).stem in a.only.split(',')]
    failed = []
    for title, args in todo:
        t = time.time()
        r = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], capture_output=True, text=True)
        print(f'\n== {title}: bench/{" ".join(args)} ({time.time() - t:.0f} s)', flush=True)
        lines = [l for l in r.stdout.splitlines() if KEEP.search(l)]
        print('\n'.join(lines) if lines else r.stdout[-1500:])
        if r.returncode: failed.append(args[0]); print(f'FAILED (exit {r.returncode}): {r.stderr.strip()[-1500:]}')
    print(f'\n{len(todo) - len(failed)} of {len(todo)} benchmarks ran' + (f'; failed: {", ".join(failed)}' if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
