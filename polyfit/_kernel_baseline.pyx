# polyfit's kernel for the baseline of the architecture (SSE2 on x86-64, NEON on
# aarch64): imported first, on every CPU.  The source is shared: see _kernel.pxi.
include "_kernel.pxi"
