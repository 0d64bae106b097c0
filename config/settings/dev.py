"""Local development: DEBUG on unless the environment says otherwise, a throwaway secret."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.boolean("DEBUG", True)
SECRET_KEY = env.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
