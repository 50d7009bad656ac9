# Stub: the baseline kernel's interface (one source, compiled per instruction set).
from polyfit._kernel_baseline import *  # noqa: F403
