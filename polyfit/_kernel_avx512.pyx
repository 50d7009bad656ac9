# polyfit's kernel for AVX-512F/VL + FMA (setup.py's flags), imported only once the
# baseline module found them on this CPU.  The source is shared: see _kernel.pxi.
include "_kernel.pxi"
