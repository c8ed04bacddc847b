"""Background work for each recorded image (file hash, thumbnail, quality figures, flaws), done in a
low-priority child process so that it never slows a generation; see :mod:`paramlab.aftercare.runner`."""

from paramlab.aftercare.runner import Aftercare
from paramlab.aftercare.tasks import ImageTask, Pixels

__all__ = ["Aftercare", "ImageTask", "Pixels"]
