"Run a binas console command under torchrun: `torchrun ... tests/run_cmd.py <module> <command> [flags...]`."
import importlib, sys

mod, name = sys.argv[1], sys.argv[2]
sys.argv = [name] + sys.argv[3:]
getattr(importlib.import_module(mod), name)()
