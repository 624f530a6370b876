__version__ = "0.1.0"

import warnings as _warnings
# timm / fastai call torch.jit.script at import time, which torch ≥ 2.10 deprecates: a warning for their maintainers, not for
# binas's users (it would be the first line of every command's output and of every one-line error)
_warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)

from . import space as _space  # registers binas's timm entrypoint, `binas_mobilenetv3` (timm only, no fastai): `timm.create_model('local-dir:…')` finds it
from . import solvers as _solvers  # registers brute force, iqcp, bcfw and evo behind `binas.search.search` (exact registers itself there)
