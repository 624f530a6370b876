"Run under `torchrun --nproc_per_node=2`: stage 2 on tiny data over gloo, then dump this rank's trained weights."
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from binas.core import dist_env, init_distributed, save_checkpoint
from binas.data import get_data
from binas.space import Arch, build_model, demo_space
from binas.train import TrainConfig, heaviest_meta, train_supernet

out = Path(sys.argv[1])
env = init_distributed('cpu')
space = demo_space()
wh = out / 'wh.pth.tar'
if env.is_main:
    torch.manual_seed(0)
    save_checkpoint({**heaviest_meta(space, 10), 'model': build_model(Arch.heaviest(space), num_classes=10).state_dict()}, wh)
dist.barrier()
cfg = TrainConfig(epochs=1, batch_size=32, lr=0.02, limit_train=256, limit_valid=128, device='cpu')
r = train_supernet(get_data('fashion-mnist'), cfg, wh, groups=2, out_dir=out / 'run')
torch.save(r['model'].state_dict(), out / f'rank{env.rank}.pt')
print(f'rank {env.rank}/{env.world} done, backend {dist.get_backend()}')
dist.destroy_process_group()
