from .courses import CATALOG_PAGE_SIZE, catalog, enroll, leave, my_learning
from .progress import certificate, complete, quiz, quiz_attempt, uncomplete

__all__ = [
    "CATALOG_PAGE_SIZE",
    "catalog",
    "certificate",
    "complete",
    "enroll",
    "leave",
    "my_learning",
    "quiz",
    "quiz_attempt",
    "uncomplete",
]
