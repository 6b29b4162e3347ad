from .exports_models import *  # noqa
