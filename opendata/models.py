from .api_models import *  # noqa: F403
from .exchange_models import *  # noqa: F403
from .exports_models import *  # noqa: F403
