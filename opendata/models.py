from .exchange_models import *  # noqa: F403
