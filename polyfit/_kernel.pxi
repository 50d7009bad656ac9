# polyfit's compiled core, shared by _kernel_baseline.pyx, _kernel_avx2.pyx and
# _kernel_avx512.pyx: the same source compiled once per instruction set (setup.py
# sets the flags; _simd.h gives the vector type of each).  Private: polyfit.fit is
# the public API, and polyfit._kernels picks the module for this CPU.
#
# Every function here trusts its caller (polyfit._fit) to pass 1-D C-contiguous,
# aligned arrays of the right lengths and dtypes, n >= 1, finite data and
# coefficients; the directives that drop the checks are set once, in setup.py.
#
# Layout of the work
# ------------------
# The n samples are cut into blocks of BLOCK_SAMPLES.  One block is one call of a
# block function, which runs the fused per-sample pass -- prediction by Horner's
# rule, residual, squared residual and every power-weighted residual -- in
# PF_LANES interleaved lanes, then adds the lanes in a fixed order.  An epoch adds
# the blocks' sums in block order and takes the step.  Blocks may run on several
# OpenMP threads; the order of every addition stays the same, so the results are
# bitwise the same for every thread count and run.  Degrees up to
# PF_SPECIALISED_MAX get their own copy of the pass (the degree a constant, the
# accumulators in registers); higher degrees keep them in per-thread scratch.
from cython cimport floating
from cython.parallel cimport parallel, prange, threadid
from libc.math cimport INFINITY, NAN, exp, fabs, fma, isfinite, log, pow, sqrt
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

cdef extern from "Python.h":
    int PyErr_CheckSignals()  # declared without an except clause: we test it

cdef extern from "_simd.h" nogil:
    ctypedef double pf_vec  # PF_W doubles (GNU vector), or one double
    # return types that force inlining (see _simd.h)
    ctypedef void inline_void "PF_FORCE_INLINE void"
    const char *PF_ISA_NAME
    enum:
        PF_W
        PF_LANES
        PF_NV
        PF_SPECIALISED_MAX
    pf_vec pf_load(const double *p)
    pf_vec pf_load_f32(const float *p)
    void pf_load_run(const double *p, int count, pf_vec *out, int aligned)
    pf_vec pf_load_partial(const double *p, int count)
    pf_vec pf_load_partial_f32(const float *p, int count)
    void pf_store_partial(double *p, pf_vec v, int count)
    pf_vec pf_min(pf_vec a, pf_vec b)
    pf_vec pf_max(pf_vec a, pf_vec b)
    pf_vec pf_splat(double value)
    pf_vec pf_fma(pf_vec a, pf_vec b, pf_vec c)
    double pf_lane_sum(const pf_vec *v)
    double pf_fma1(double a, double b, double c)
    int pf_flag_read(const int *flag)
    void pf_flag_set(int *flag)
    void pf_prefetch(const void *p)
    double pf_seconds()
    int pf_cpu_supports(const char *isa)
    int pf_have_openmp()
    int pf_max_threads()
    int pf_team_size()
    int pf_debug_build()
    int pf_groups "PF_GROUPS"(int degree)  # a macro of the instruction set

cdef enum:
    SMALL_MAX = 17  # rows of G the compiled eigh and optimum take (degree 16)
    SERIES_TILE_VALUES = 16384  # values of y per tile of rows of a 2-D fit: 128 KiB
    SERIES_TILE_DOUBLES = 4096  # its table of powers: at most 32 KiB
    SERIES_CHUNK = 64  # epochs a group of columns runs on its own (then: did the fit stop?)
    SERIES_PIECE_VALUES = 1 << 22  # column-epochs of one unchecked piece (~2-8 ms of work)
    SERIES_SLAB = 64  # columns per unit of work of a thread
    SERIES_BLOCK_MAX = 4  # groups of columns trained side by side (series_block_groups)
    BLOCK_SAMPLES = 4096  # a multiple of every PF_LANES; part of the results' bits
    MAX_GROUPS = 4  # groups of PF_LANES samples per step of the fused pass
    MOMENTS_SPECIALISED_MAX = 8  # power sums and training on them: 3 degree + 3 sums
    MOMENTS_ONE_LOOP_MAX = 5  # moments_epoch's rows in one loop; above, loops of <= 4 (AVX)
    POLL_BLOCKS = 16  # blocks of a pass between two readings of the clock
    RANGE_LANES = 16  # independent lanes of range_of, for each half of the data
    ALIGNED_MIN_SAMPLES = 1 << 20  # Job.aligned from here on: the pass is beyond the caches
    # How far ahead the final pass (FINAL, beyond the caches) asks for x and y: a page.
    # 10^7 float64 samples, Zen 5: median 1.04x an epoch's pass -> 0.98x; 2 KB ahead
    # 1.19x, 8 KB 1.06x; float32 and forced AVX2 (compute-bound there) unchanged.
    PREFETCH_BYTES = 4096
    POLL_EPOCHS = 4096  # epochs on the statistics between two readings

cdef enum Status:
    OK = 0
    DIVERGED = 1  # a loss or a coefficient became non-finite
    NOMEM = 2
    INTERRUPTED = 3  # Python's signal handlers raised (Ctrl-C)
    CONVERGED = 4  # the loss fell by less than tol

cdef enum Fuse:  # what else a job whose pass runs fused_block computes (Job.fuse)
    UNFUSED = 0  # nothing: the epoch's sums (block_pass)
    FINAL = 1  # the loss, the power sums and x's range, no gradient
    FIRST_EPOCH = 2  # the epoch's sums and the power sums
    TWO_LOSSES = 3  # the loss at coef and at other

cdef enum Optimizer:  # the update rules of torch.optim
    GD = 0  # c -= lr g (the tutorial)
    MOMENTUM = 1  # b = momentum b + g (b = g at first); c -= lr b
    RMSPROP = 2  # v = alpha v + (1 - alpha) g^2; c -= lr g / (sqrt(v) + eps)
    ADAM = 3  # bias-corrected moments

cdef double POLL_SECONDS = 0.02

ISA = PF_ISA_NAME.decode()
LANES = PF_LANES
BLOCK = BLOCK_SAMPLES
SPECIALISED_MAX = PF_SPECIALISED_MAX
SMALL = SMALL_MAX  # rows of G the compiled eigh and optimum take
FUSED_MAX = MOMENTS_SPECIALISED_MAX  # degrees whose passes fuse their jobs (fused_block)
ALIGNED_FROM = ALIGNED_MIN_SAMPLES  # samples from which aligned_loads may hold
STATUS_OK = OK
STATUS_DIVERGED = DIVERGED
STATUS_CONVERGED = CONVERGED
OPTIMIZERS = {"gd": GD, "momentum": MOMENTUM, "rmsprop": RMSPROP, "adam": ADAM}


cdef inline int state_doubles(int degree) noexcept nogil:
    """Optimiser state kept between calls: momentum buffer or first moment,
    second moment, step count."""
    return 2 * degree + 3


def state_size(int degree):
    """Doubles of optimiser state for a degree (zeros at the start of a fit)."""
    return state_doubles(degree)


def cpu_supports(str isa):
    """True if this CPU and its operating system run instruction set `isa`."""
    return bool(pf_cpu_supports(isa.encode()))


def have_openmp():
    """True if the extension was built with OpenMP."""
    return bool(pf_have_openmp())


def debug_build():
    """True for a POLYFIT_DEBUG=1 build (bounds checks, C asserts, UBSan)."""
    return bool(pf_debug_build())


def max_threads():
    """omp_get_max_threads() (1 without OpenMP)."""
    return pf_max_threads()


# ------------------------------------------------------------ the fused pass
#
# scale=True trains on u = (x - shift) factor, x's range mapped onto [-1, 1],
# computed as u = fma(x, factor, offset) with offset = -(shift factor): one
# rounding where the instruction set has FMA (two on the baseline), one vector
# instruction instead of a subtraction and a multiplication (float32 epochs,
# which are as much compute as memory: 1.11 -> 1.06 x an unscaled epoch in
# cache).  Its error is that of a correctly rounded affine map whose offset is
# off by half an ulp of shift * factor: half an ulp of x, carried to u.  Every
# pass and scale_x (the copies of small data, predict) compute it this way.

cdef inline double map_offset(double shift, double factor) noexcept nogil:
    return -(shift * factor)


cdef inline pf_vec to_u(pf_vec x, double factor, double offset) noexcept nogil:
    return pf_fma(x, pf_splat(factor), pf_splat(offset))


cdef inline double to_u1(double x, double factor, double offset) noexcept nogil:
    """to_u of one sample (pf_fma1 rounds as pf_fma does)."""
    return pf_fma1(x, factor, offset)


cdef inline pf_vec load(const floating *p) noexcept nogil:
    if floating is double:
        return pf_load(p)
    else:
        return pf_load_f32(p)


cdef inline void load_run(const floating *p, int count, pf_vec *out, bint aligned) noexcept nogil:
    """count consecutive vectors from p (doubles: by pf_load_run)."""
    cdef int v
    if floating is double:
        pf_load_run(p, count, out, aligned)
    else:
        for v in range(count):
            out[v] = pf_load_f32(p + v * PF_W)


cdef inline_void epoch_step(const floating *x, const floating *y, const double *w,
                            const double *mask, const double *coef, double offset, double factor,
                            const int degree, const bint scaled, const bint weighted,
                            const bint fused_last, const int groups, pf_vec *loss,
                            pf_vec *acc, bint aligned=False) noexcept nogil:
    """`groups` (at most MAX_GROUPS) consecutive groups of PF_LANES samples, with
    u = x factor + offset if scaled (to_u), else u = x: r = p(u) - y by Horner's rule
    (times mask, which zeroes padding lanes), loss += w r^2 and acc[k] += w r u^k
    for k = 0..degree (unless acc is NULL: the loss alone), w the weights if
    weighted (a weight of 1 changes no bit).
    Several groups give the processor independent chains to overlap (Horner's
    rule is one long chain); each sum still takes the first group's terms, then
    the second's, and so on, as one group at a time would: the results do not
    depend on `groups`, nor on `aligned` (how doubles are loaded: pf_load_run).

    Every product whose only use is a sum is fused with it (one rounding); with
    fused_last (the degree-specialised copies), so is the last w r u^degree, which
    the generic loop needs for no further power but rounds before adding."""
    cdef pf_vec xv[MAX_GROUPS * PF_NV]
    cdef pf_vec p[MAX_GROUPS * PF_NV]
    cdef pf_vec term[MAX_GROUPS * PF_NV]
    cdef pf_vec grad[MAX_GROUPS * PF_NV]
    cdef int g, j, k, v
    load_run(x, groups * PF_NV, xv, aligned)
    load_run(y, groups * PF_NV, term, aligned)
    for v in range(groups * PF_NV):
        if scaled:
            xv[v] = to_u(xv[v], factor, offset)
        # r = u (c1 + u (c2 + ...)) + (c0 - y): the subtraction of y is off the chain
        term[v] = pf_splat(coef[0]) - term[v]
    if degree > 0:
        for v in range(groups * PF_NV):
            p[v] = pf_splat(coef[degree])
        for k in range(degree - 1, 0, -1):
            for v in range(groups * PF_NV):
                p[v] = pf_fma(p[v], xv[v], pf_splat(coef[k]))
        for v in range(groups * PF_NV):
            term[v] = pf_fma(p[v], xv[v], term[v])
    for v in range(groups * PF_NV):
        if mask != NULL:
            term[v] = term[v] * pf_load(mask + v * PF_W)
        grad[v] = term[v] * pf_load(w + v * PF_W) if weighted else term[v]
    for j in range(PF_NV):
        for g in range(groups):
            v = g * PF_NV + j
            loss[j] = pf_fma(grad[v], term[v], loss[j])
            if acc != NULL:
                acc[j] = acc[j] + grad[v]
    if acc == NULL:  # the loss alone
        return
    for k in range(1, degree + 1):
        for j in range(PF_NV):
            for g in range(groups):
                v = g * PF_NV + j
                if fused_last and k == degree:
                    acc[k * PF_NV + j] = pf_fma(grad[v], xv[v], acc[k * PF_NV + j])
                else:
                    grad[v] = grad[v] * xv[v]
                    acc[k * PF_NV + j] = acc[k * PF_NV + j] + grad[v]


cdef inline_void moments_step(const floating *x, const floating *y, const double *w,
                              const double *mask, double offset, double factor, const int degree,
                              const bint weighted, const bint fused_last,
                              pf_vec *acc) noexcept nogil:
    """The power sums of PF_LANES samples, u = x factor + offset (to_u), with weights w
    if weighted (else 1): acc[k] += w u^k (k = 0..2 degree), acc[2 degree + 1 + k]
    += w u^k y (k = 0..degree), acc[3 degree + 2] += w y^2.  mask zeroes the
    padding lanes (weighted: their weights are 0).  Fused as in epoch_step: with
    fused_last, u^(2 degree) = u^(2 degree - 1) u is added in the same rounding."""
    cdef pf_vec u[PF_NV]
    cdef pf_vec yv[PF_NV]
    cdef pf_vec power[PF_NV]
    cdef pf_vec weighted_y
    cdef int j, k
    for j in range(PF_NV):
        u[j] = to_u(load(x + j * PF_W), factor, offset)
        yv[j] = load(y + j * PF_W)
        power[j] = pf_load(w + j * PF_W) if weighted else pf_splat(1.0)
    if mask != NULL and not weighted:
        for j in range(PF_NV):
            power[j] = pf_load(mask + j * PF_W)
            yv[j] = yv[j] * power[j]
    for j in range(PF_NV):
        weighted_y = power[j] * yv[j] if weighted else yv[j]
        acc[(3 * degree + 2) * PF_NV + j] = pf_fma(
            weighted_y, yv[j], acc[(3 * degree + 2) * PF_NV + j]
        )
    for k in range(2 * degree + 1):
        for j in range(PF_NV):
            if not (fused_last and k == 2 * degree and k > 0):  # else added at k - 1
                acc[k * PF_NV + j] = acc[k * PF_NV + j] + power[j]
            if k <= degree:
                acc[(2 * degree + 1 + k) * PF_NV + j] = pf_fma(
                    power[j], yv[j], acc[(2 * degree + 1 + k) * PF_NV + j]
                )
            if fused_last and k == 2 * degree - 1:
                acc[(k + 1) * PF_NV + j] = pf_fma(power[j], u[j], acc[(k + 1) * PF_NV + j])
            else:
                power[j] = power[j] * u[j]


cdef struct Job:  # what a pass computes, besides the data (whose type the functions take)
    const double *coef  # the epoch's coefficients, in u (NULL for the power sums)
    const double *weights  # one per sample, or NULL
    double offset, factor  # u = x factor + offset (to_u)
    int degree
    bint moments  # the power sums, not the epoch's sums
    bint scaled  # the epoch's pass applies (factor, offset); the power sums always do
    int fuse  # a Fuse: UNFUSED, or fused_block's kind (each sample read once for all)
    const double *other  # TWO_LOSSES: the other coefficients
    bint aligned  # the samples are more than the caches hold (see aligned_loads)


cdef inline bint aligned_loads(const Job *job, const int degree) noexcept nogil:
    """Whether an epoch's groups of samples load doubles as aligned lines shifted
    into place (pf_load_run; AVX-512 only): where the pass waits on memory, at
    degrees 1-3 beyond the caches -- degree 3, 10^6 samples: 0.89x, 10^7: 0.95x.
    Above degree 3 the permutes gain nothing (10^7, degrees 4-6: 1.00-1.01x) or
    cost more than the split loads (up to 1.2x; in cache too)."""
    return job.aligned and 1 <= degree <= 3


cdef inline void pad_tail(const floating *x, const floating *y, const double *w,
                          Py_ssize_t count, floating *x_pad, floating *y_pad, double *w_pad,
                          double *mask) noexcept nogil:
    """The last count < PF_LANES samples as a full group: zeros after them, a
    mask of 1 for them and 0 for the padding, weights of 0 there (w NULL: no
    weights).  Every pass pads so: its tail's bits depend on it."""
    cdef int k
    for k in range(PF_LANES):
        x_pad[k] = x[k] if k < count else 0
        y_pad[k] = y[k] if k < count else 0
        w_pad[k] = w[k] if w != NULL and k < count else 0.0
        mask[k] = 1.0 if k < count else 0.0


cdef inline_void block_pass(const floating *x, const floating *y, const double *w,
                            Py_ssize_t n, const Job *job, const int degree,
                            const bint moments, const bint scaled, const bint weighted,
                            const bint fused_last, const int groups, double *sums,
                            pf_vec *scratch) noexcept nogil:
    """One block of n <= BLOCK_SAMPLES samples: the epoch's sums (sums[0] =
    sum w r^2, sums[1 + k] = sum w r u^k) or the power sums.  scratch holds the
    lane accumulators for degrees above the specialised ones; NULL selects a
    local array, which the compiler keeps in registers once degree is a
    constant."""
    cdef pf_vec local[(3 * PF_SPECIALISED_MAX + 3) * PF_NV]
    cdef pf_vec *acc = scratch if scratch != NULL else local
    cdef pf_vec loss[PF_NV]
    cdef floating x_pad[PF_LANES]
    cdef floating y_pad[PF_LANES]
    cdef double w_pad[PF_LANES]
    cdef double mask[PF_LANES]
    cdef const double *coef = job.coef
    cdef double offset = job.offset, factor = job.factor
    cdef int width = 3 * degree + 3 if moments else degree + 1
    cdef Py_ssize_t i = 0
    cdef int j, k
    for j in range(PF_NV):
        loss[j] = pf_splat(0.0)
    for k in range(width * PF_NV):
        acc[k] = pf_splat(0.0)
    if not moments:
        while i + groups * PF_LANES <= n:
            epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, coef, offset, factor,
                       degree, scaled, weighted, fused_last, groups, loss, acc,
                       aligned_loads(job, degree))
            i += groups * PF_LANES
    while i + PF_LANES <= n:
        if moments:
            moments_step(x + i, y + i, w + i if weighted else NULL, NULL, offset, factor, degree,
                         weighted, fused_last, acc)
        else:
            epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, coef, offset, factor,
                       degree, scaled, weighted, fused_last, 1, loss, acc)
        i += PF_LANES
    if i < n:  # the last n - i < PF_LANES samples, padded with zeros and masked
        pad_tail(x + i, y + i, w + i if weighted else NULL, n - i, x_pad, y_pad, w_pad, mask)
        if moments:
            moments_step(x_pad, y_pad, w_pad, mask, offset, factor, degree, weighted, fused_last,
                         acc)
        else:
            epoch_step(x_pad, y_pad, w_pad, mask, coef, offset, factor, degree, scaled, weighted,
                       fused_last, 1, loss, acc)
    if moments:
        for k in range(width):
            sums[k] = pf_lane_sum(acc + k * PF_NV)
    else:
        sums[0] = pf_lane_sum(loss)
        for k in range(width):
            sums[1 + k] = pf_lane_sum(acc + k * PF_NV)


cdef inline int step_groups(int degree, bint extra, bint narrow) noexcept nogil:
    """Groups of lanes per step of the fused pass: pf_groups, halved where 16
    registers cannot hold four groups of the terms: of the weighted or scaled
    pass (extra; measured on AVX2: 1.42x -> 1.04x of plain), and of float32
    data (narrow) up to degree 4 (AVX2, degree 3: 1.79 -> 1.28 ms for 2000
    epochs of 2000 samples; from degree 5 on, four groups are faster)."""
    if PF_W <= 4 and (extra or (narrow and degree <= 4)):
        return pf_groups(degree) // 2
    return pf_groups(degree)


cdef inline_void by_degree(const floating *x, const floating *y, const double *w, Py_ssize_t n,
                           const Job *job, const bint moments, const bint scaled,
                           const bint weighted, double *sums, pf_vec *scratch) noexcept nogil:
    """block_pass with the degree a constant for the specialised degrees (the
    flags are constants too: each call of this function is a copy)."""
    cdef int degree = job.degree
    cdef bint extra = weighted or scaled
    cdef bint narrow = floating is float
    if degree > (MOMENTS_SPECIALISED_MAX if moments else PF_SPECIALISED_MAX):
        block_pass(x, y, w, n, job, degree, moments, scaled, weighted, False,
                   1 if moments else MAX_GROUPS, sums, scratch)
    elif degree == 0:
        block_pass(x, y, w, n, job, 0, moments, scaled, weighted, True,
                   1 if moments else step_groups(0, extra, narrow), sums, NULL)
    elif degree == 1:
        block_pass(x, y, w, n, job, 1, moments, scaled, weighted, True,
                   1 if moments else step_groups(1, extra, narrow), sums, NULL)
    elif degree == 2:
        block_pass(x, y, w, n, job, 2, moments, scaled, weighted, True,
                   1 if moments else step_groups(2, extra, narrow), sums, NULL)
    elif degree == 3:
        block_pass(x, y, w, n, job, 3, moments, scaled, weighted, True,
                   1 if moments else step_groups(3, extra, narrow), sums, NULL)
    elif degree == 4:
        block_pass(x, y, w, n, job, 4, moments, scaled, weighted, True,
                   1 if moments else step_groups(4, extra, narrow), sums, NULL)
    elif degree == 5:
        block_pass(x, y, w, n, job, 5, moments, scaled, weighted, True,
                   1 if moments else step_groups(5, extra, narrow), sums, NULL)
    elif degree == 6:
        block_pass(x, y, w, n, job, 6, moments, scaled, weighted, True,
                   1 if moments else step_groups(6, extra, narrow), sums, NULL)
    elif degree == 7:
        block_pass(x, y, w, n, job, 7, moments, scaled, weighted, True,
                   1 if moments else step_groups(7, extra, narrow), sums, NULL)
    elif degree == 8:
        block_pass(x, y, w, n, job, 8, moments, scaled, weighted, True,
                   1 if moments else step_groups(8, extra, narrow), sums, NULL)
    elif not moments and PF_SPECIALISED_MAX > 8:  # the AVX-512 build: 32 registers
        if degree == 9:
            block_pass(x, y, w, n, job, 9, False, scaled, weighted, True,
                       step_groups(9, extra, narrow), sums, NULL)
        elif degree == 10:
            block_pass(x, y, w, n, job, 10, False, scaled, weighted, True,
                       step_groups(10, extra, narrow), sums, NULL)
        elif degree == 11:
            block_pass(x, y, w, n, job, 11, False, scaled, weighted, True,
                       step_groups(11, extra, narrow), sums, NULL)
        else:
            block_pass(x, y, w, n, job, 12, False, scaled, weighted, True,
                       step_groups(12, extra, narrow), sums, NULL)


cdef inline_void fused_block(const floating *x, const floating *y, const double *w,
                             Py_ssize_t n, const Job *job, const int degree, const bint scaled,
                             const int fuse, double *sums, double *x_range,
                             const bint weighted) noexcept nogil:
    """One block of a fused job, each sample loaded once for everything it feeds
    (two jobs instead: the second waits for the first with memory idle; 10^7
    samples, 6.2 ms against 3.7 for either alone).  sums[0] is the loss at
    job.coef, then by `fuse`:
      FINAL        the power sums (sums[1:]) and x's range (into x_range unless
                   NULL; it passes over NaN: a caller trusts it only where the
                   power sums are finite, for then every x is)
      FIRST_EPOCH  the gradient's sums (sums[1:degree + 2]), the power sums
      TWO_LOSSES   the loss at job.other (sums[1])
    Each with the bits of the pass that computes it alone: epoch_step's terms
    in the same lanes, moments_step as block_pass runs it.  A loss nobody takes
    the gradient of has none computed (epoch_step's acc NULL; left to the
    compiler, the unread sums were not all dropped: two losses of degree 8
    took 0.82 ns a sample in cache, 0.34 now).  In cache the power sums, the
    loss and the range take 0.30 ns a sample; memory delivers one in 0.38."""
    cdef pf_vec acc[(3 * MOMENTS_SPECIALISED_MAX + 3) * PF_NV]
    cdef pf_vec grad[(MOMENTS_SPECIALISED_MAX + 1) * PF_NV]
    cdef pf_vec *gradient = &grad[0] if fuse == FIRST_EPOCH else NULL
    cdef pf_vec loss[PF_NV]
    cdef pf_vec other_loss[PF_NV]
    cdef pf_vec low[PF_NV]
    cdef pf_vec high[PF_NV]
    cdef double lanes[PF_LANES]
    cdef floating x_pad[PF_LANES]
    cdef floating y_pad[PF_LANES]
    cdef double w_pad[PF_LANES]
    cdef double mask[PF_LANES]
    cdef double v, smallest = INFINITY, largest = -INFINITY
    cdef Py_ssize_t i = 0
    cdef int j, k
    for j in range(PF_NV):
        loss[j] = other_loss[j] = pf_splat(0.0)
        low[j] = pf_splat(INFINITY)
        high[j] = pf_splat(-INFINITY)
    for k in range((3 * degree + 3) * PF_NV):
        acc[k] = pf_splat(0.0)
    for k in range((degree + 1) * PF_NV):
        grad[k] = pf_splat(0.0)
    if fuse == TWO_LOSSES:  # in groups, as block_pass runs the epoch (the same bits)
        while i + 4 * PF_LANES <= n:
            epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, job.coef, job.offset,
                       job.factor, degree, scaled, weighted, True, 4, loss, gradient,
                       aligned_loads(job, degree))
            epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, job.other, job.offset,
                       job.factor, degree, scaled, weighted, True, 4, other_loss, NULL,
                       aligned_loads(job, degree))
            i += 4 * PF_LANES
    while i + PF_LANES <= n:
        if fuse == FINAL and job.aligned:  # beyond the caches: a page ahead
            pf_prefetch(<const void *>(<uintptr_t>(x + i) + PREFETCH_BYTES))  # (no pointer
            pf_prefetch(<const void *>(<uintptr_t>(y + i) + PREFETCH_BYTES))  # past the array)
        epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, job.coef, job.offset,
                   job.factor, degree, scaled, weighted, True, 1, loss, gradient)
        if fuse == TWO_LOSSES:
            epoch_step(x + i, y + i, w + i if weighted else NULL, NULL, job.other, job.offset,
                       job.factor, degree, scaled, weighted, True, 1, other_loss, NULL)
        else:
            moments_step(x + i, y + i, w + i if weighted else NULL, NULL, job.offset,
                         job.factor, degree, weighted, True, acc)
            for j in range(PF_NV):  # x < low is false for NaN: low stays
                if fuse == FINAL:
                    low[j] = pf_min(load(x + i + j * PF_W), low[j])
                    high[j] = pf_max(load(x + i + j * PF_W), high[j])
        i += PF_LANES
    if i < n:  # padded and masked as in block_pass
        pad_tail(x + i, y + i, w + i if weighted else NULL, n - i, x_pad, y_pad, w_pad, mask)
        epoch_step(x_pad, y_pad, w_pad, mask, job.coef, job.offset, job.factor, degree, scaled,
                   weighted, True, 1, loss, gradient)
        if fuse == TWO_LOSSES:
            epoch_step(x_pad, y_pad, w_pad, mask, job.other, job.offset, job.factor, degree,
                       scaled, weighted, True, 1, other_loss, NULL)
        else:
            moments_step(x_pad, y_pad, w_pad, mask, job.offset, job.factor, degree, weighted,
                         True, acc)
    sums[0] = pf_lane_sum(loss)
    if fuse == TWO_LOSSES:
        sums[1] = pf_lane_sum(other_loss)
        return
    if fuse == FIRST_EPOCH:
        for k in range(degree + 1):
            sums[1 + k] = pf_lane_sum(grad + k * PF_NV)
        sums = sums + degree + 1
    for k in range(3 * degree + 3):
        sums[1 + k] = pf_lane_sum(acc + k * PF_NV)
    if fuse == FINAL and x_range != NULL:
        for j in range(PF_NV):
            memcpy(lanes, &low[j], sizeof(pf_vec))
            for k in range(PF_W):
                smallest = lanes[k] if lanes[k] < smallest else smallest
            memcpy(lanes, &high[j], sizeof(pf_vec))
            for k in range(PF_W):
                largest = lanes[k] if lanes[k] > largest else largest
        for k in range(i, n):  # the tail's samples, not its padding
            v = <double>x[k]
            smallest = v if v < smallest else smallest
            largest = v if v > largest else largest
        x_range[0] = smallest
        x_range[1] = largest


cdef inline_void fused_by_degree(const floating *x, const floating *y, const double *w,
                                 Py_ssize_t n, const Job *job, const bint scaled,
                                 const int fuse, double *sums, double *x_range,
                                 const bint weighted) noexcept nogil:
    """fused_block with the degree a constant (job.degree <= FUSED_MAX)."""
    if job.degree == 0:
        fused_block(x, y, w, n, job, 0, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 1:
        fused_block(x, y, w, n, job, 1, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 2:
        fused_block(x, y, w, n, job, 2, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 3:
        fused_block(x, y, w, n, job, 3, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 4:
        fused_block(x, y, w, n, job, 4, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 5:
        fused_block(x, y, w, n, job, 5, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 6:
        fused_block(x, y, w, n, job, 6, scaled, fuse, sums, x_range, weighted)
    elif job.degree == 7:
        fused_block(x, y, w, n, job, 7, scaled, fuse, sums, x_range, weighted)
    else:
        fused_block(x, y, w, n, job, 8, scaled, fuse, sums, x_range, weighted)


cdef inline_void fused_sums(const floating *x, const floating *y, const double *w, Py_ssize_t n,
                            const Job *job, double *sums, double *x_range,
                            const bint weighted) noexcept nogil:
    """fused_by_degree with the job's kind a constant.  Always scaled: (x - 0) * 1
    is x exactly, the power sums compute u anyway (the compiler shares it), and
    copies for unscaled data would double the fused code (the three modules'
    compile 2.5 -> 2.9 CPU minutes, 15 % larger)."""
    if job.fuse == FINAL:
        fused_by_degree(x, y, w, n, job, True, FINAL, sums, x_range, weighted)
    elif job.fuse == FIRST_EPOCH:
        fused_by_degree(x, y, w, n, job, True, FIRST_EPOCH, sums, x_range, weighted)
    else:
        fused_by_degree(x, y, w, n, job, True, TWO_LOSSES, sums, x_range, weighted)


cdef void block_sums(const floating *x, const floating *y, const double *w, Py_ssize_t n,
                     const Job *job, double *sums, pf_vec *scratch,
                     double *x_range) noexcept nogil:
    """The sums of one block, by the copy of the pass made for the job's kind:
    the power sums with or without weights; the epoch's sums scaled or not,
    weighted or not; a fused job's (and x's range into x_range, unless NULL)."""
    if job.fuse != UNFUSED:
        if job.weights != NULL:
            fused_sums(x, y, w, n, job, sums, x_range, True)
        else:
            fused_sums(x, y, w, n, job, sums, x_range, False)
    elif job.moments:
        if job.weights != NULL:
            by_degree(x, y, w, n, job, True, True, True, sums, scratch)
        else:
            by_degree(x, y, w, n, job, True, True, False, sums, scratch)
    elif job.weights != NULL:
        if job.scaled:
            by_degree(x, y, w, n, job, False, True, True, sums, scratch)
        else:
            by_degree(x, y, w, n, job, False, False, True, sums, scratch)
    elif job.scaled:
        by_degree(x, y, w, n, job, False, True, False, sums, scratch)
    else:
        by_degree(x, y, w, n, job, False, False, False, sums, scratch)


# ------------------------------------------------------------ interrupts

cdef int signals_pending() noexcept nogil:
    """Run Python's signal handlers (Ctrl-C); nonzero if one raised.

    The exception the handler raised stays set; check_status() hands it to
    Python once the kernel has returned.
    """
    with gil:
        return PyErr_CheckSignals() != 0


cdef struct Poll:
    bint enabled  # run Python's signal handlers (main thread only)
    double next_time  # seconds
    int every  # units of work between two readings of the clock
    int countdown
    int interrupted  # set once a handler raised; read by every thread


cdef void poll_init(Poll *poll, bint enabled, int every) noexcept nogil:
    poll.enabled = enabled
    poll.next_time = pf_seconds() + POLL_SECONDS
    poll.every = every
    poll.countdown = every if enabled else 1 << 30  # disabled: nothing to count down to
    poll.interrupted = 0


cdef int poll_now(Poll *poll) noexcept nogil:
    """Called between units of work by the polling thread: run the signal
    handlers at most every POLL_SECONDS.  Returns the (shared) interrupted flag."""
    cdef double now
    if not poll.enabled:
        return pf_flag_read(&poll.interrupted)
    poll.countdown -= 1
    if poll.countdown > 0:
        return pf_flag_read(&poll.interrupted)
    poll.countdown = poll.every
    now = pf_seconds()
    if now >= poll.next_time:
        poll.next_time = now + POLL_SECONDS
        if signals_pending():
            pf_flag_set(&poll.interrupted)
    return pf_flag_read(&poll.interrupted)


# ------------------------------------------------------------ passes over the data

cdef enum:
    MAX_JOBS = 3  # jobs of one pass over the data: each block is read once for all


cdef struct Pass:
    Job jobs[MAX_JOBS]
    int njobs
    int offsets[MAX_JOBS]  # where each job's sums start in a block's row
    Py_ssize_t n
    Py_ssize_t nblocks
    int width  # sums per block, all jobs together
    int nthreads
    Py_ssize_t scratch_vectors  # per thread; 0 if every job's degree is specialised
    double *block_sums  # nblocks rows of width
    double *block_ranges  # (min x, max x) of each block, or NULL (not wanted)
    pf_vec *scratch  # nthreads * scratch_vectors, aligned, or NULL
    void *allocation
    Poll poll


cdef int job_width(const Job *job) noexcept nogil:
    """Sums of a block: the power sums, or the loss and degree + 1 gradient sums."""
    if job.fuse == FINAL:
        return 3 * job.degree + 4
    if job.fuse == FIRST_EPOCH:
        return 4 * job.degree + 5
    if job.fuse == TWO_LOSSES:
        return 2
    return 3 * job.degree + 3 if job.moments else job.degree + 2


cdef Py_ssize_t job_scratch(const Job *job) noexcept nogil:
    """Lane accumulators the generic (unspecialised) copy keeps in memory."""
    if job.degree <= (MOMENTS_SPECIALISED_MAX if job.moments or job.fuse != UNFUSED
                      else PF_SPECIALISED_MAX):
        return 0
    return (3 * job.degree + 3 if job.moments else job.degree + 1) * PF_NV


cdef int pass_init(Pass *work, const Job *jobs, int njobs, Py_ssize_t n, int nthreads,
                   bint poll_signals, bint ranges) noexcept nogil:
    """ranges: also each block's range of x (read while the block is in cache)."""
    cdef size_t sums_bytes, scratch_bytes
    cdef uintptr_t base
    cdef int j
    poll_init(&work.poll, poll_signals, POLL_BLOCKS)
    work.njobs = njobs
    work.width = 0
    work.scratch_vectors = 0
    for j in range(njobs):
        work.jobs[j] = jobs[j]
        work.offsets[j] = work.width
        work.width += job_width(&jobs[j])
        work.scratch_vectors = max(work.scratch_vectors, job_scratch(&jobs[j]))
    work.n = n
    work.nblocks = (n + BLOCK_SAMPLES - 1) // BLOCK_SAMPLES
    work.nthreads = max(1, min(nthreads, <int>min(work.nblocks, 1 << 20)))
    if not pf_have_openmp():
        work.nthreads = 1
    sums_bytes = <size_t>work.nblocks * <size_t>(work.width + (2 if ranges else 0)) * sizeof(double)
    scratch_bytes = <size_t>work.nthreads * <size_t>work.scratch_vectors * sizeof(pf_vec)
    # room to align the scratch to its vectors (up to 64 bytes)
    work.allocation = malloc(sums_bytes + scratch_bytes + 64)
    if work.allocation == NULL:
        return NOMEM
    work.block_sums = <double *>work.allocation
    work.block_ranges = work.block_sums + work.nblocks * work.width if ranges else NULL
    work.scratch = NULL
    if scratch_bytes:
        base = <uintptr_t>work.allocation + sums_bytes
        work.scratch = <pf_vec *>((base + 63) & ~(<uintptr_t>63))
    return OK


cdef void pass_blocks(Pass *work, const floating *x, const floating *y, Py_ssize_t first,
                      Py_ssize_t last, pf_vec *scratch, bint poller) noexcept nogil:
    """The sums of blocks [first, last) into work.block_sums, every job's while
    the block is in cache; the polling thread passes poller.  Stops early once
    interrupted."""
    cdef Py_ssize_t b, start, length
    cdef const double *w
    cdef double *ranges
    cdef bint ranged
    cdef int j
    for b in range(first, last):
        if poll_now(&work.poll) if poller else pf_flag_read(&work.poll.interrupted):
            return
        start = b * BLOCK_SAMPLES
        length = min(work.n - start, <Py_ssize_t>BLOCK_SAMPLES)
        ranges = &work.block_ranges[2 * b] if work.block_ranges != NULL else NULL
        ranged = False
        for j in range(work.njobs):
            w = work.jobs[j].weights
            block_sums(x + start, y + start, w + start if w != NULL else NULL, length,
                       &work.jobs[j], work.block_sums + b * work.width + work.offsets[j],
                       scratch, NULL if ranged else ranges)
            ranged = ranged or work.jobs[j].fuse == FINAL
        if work.block_ranges != NULL and not ranged:
            range_of(x + start, length, &work.block_ranges[2 * b],
                     &work.block_ranges[2 * b + 1])


cdef void pass_run(Pass *work, const floating *x, const floating *y, double *totals,
                   double *x_range) noexcept nogil:
    """One pass over all blocks, on work.nthreads threads, then totals[j] = the
    sum over blocks, in block order, of block_sums[b][j], and x_range (if the
    pass took the blocks' ranges) = (min x, max x), both NaN where x holds a
    NaN or an infinity (as range_of).  Which thread computes a block never
    changes what its sums are."""
    cdef Py_ssize_t b, share = 0, first = 0, last = 0
    cdef double nonfinite = 0.0
    cdef int j, thread = 0, team = 1
    if work.nthreads == 1:  # no OpenMP calls: they cost more than a small epoch
        pass_blocks(work, x, y, 0, work.nblocks, work.scratch, True)
    else:
        with parallel(num_threads=work.nthreads):
            thread = threadid()
            team = pf_team_size()
            share = (work.nblocks + team - 1) // team
            first = min(thread * share, work.nblocks)
            last = min(first + share, work.nblocks)
            pass_blocks(work, x, y, first, last,
                        NULL if work.scratch == NULL
                        else work.scratch + thread * work.scratch_vectors,
                        thread == 0)
    for j in range(work.width):
        totals[j] = 0.0
    for b in range(work.nblocks):
        for j in range(work.width):
            totals[j] += work.block_sums[b * work.width + j]
    if work.block_ranges != NULL:
        x_range[0] = work.block_ranges[0]
        x_range[1] = work.block_ranges[1]
        for b in range(work.nblocks):
            nonfinite += work.block_ranges[2 * b] - work.block_ranges[2 * b]  # NaN once one is
            x_range[0] = min(x_range[0], work.block_ranges[2 * b])
            x_range[1] = max(x_range[1], work.block_ranges[2 * b + 1])
        if not nonfinite == 0.0:
            x_range[0] = x_range[1] = NAN


# ------------------------------------------------------------ the step

cdef struct Settings:
    double lr  # > 0
    int optimizer
    double momentum, alpha, beta1, beta2, eps  # the optimiser's hyper-parameters
    double *state  # state_doubles(degree), or NULL for GD
    double tol  # stop once 0 <= previous - loss <= tol * previous; 0: never
    double previous_loss  # the loss of the epoch before this call's first, or NaN
    int nthreads
    bint poll_signals


cdef inline bint converged(double previous, double loss, double tol) noexcept nogil:
    """The loss fell by a relative amount in [0, tol]."""
    return (tol > 0.0 and isfinite(previous) and previous - loss >= 0.0
            and previous - loss <= tol * fabs(previous))


cdef void update(int degree, double *coef, const double *half_gradient,
                 const Settings *s) noexcept nogil:
    """One optimiser step on coef from the gradient 2 half_gradient (torch.optim's rules).
    The plain step and momentum's, c - lr g, are one fused multiply-add where the
    instruction set has FMA (one rounding; two on the baseline): every loop that
    takes those steps (on the data, on the statistics, for many series) writes
    them so, and gives their bits."""
    cdef int m = degree + 1, k
    cdef double *first
    cdef double *second
    cdef double *steps
    cdef double g, correction1 = 1.0, correction2 = 1.0
    if s.optimizer == GD:  # the tutorial's step; no state
        for k in range(m):
            coef[k] = pf_fma1(-s.lr, 2.0 * half_gradient[k], coef[k])
        return
    first = s.state
    second = s.state + m
    steps = s.state + 2 * m
    steps[0] += 1.0
    if s.optimizer == ADAM:
        correction1 = 1.0 - pow(s.beta1, steps[0])
        correction2 = sqrt(1.0 - pow(s.beta2, steps[0]))
    for k in range(m):
        g = 2.0 * half_gradient[k]
        if s.optimizer == MOMENTUM:
            first[k] = g if steps[0] == 1.0 else s.momentum * first[k] + g
            coef[k] = pf_fma1(-s.lr, first[k], coef[k])
        elif s.optimizer == RMSPROP:
            second[k] = s.alpha * second[k] + (1.0 - s.alpha) * g * g
            coef[k] -= s.lr * g / (sqrt(second[k]) + s.eps)
        elif s.optimizer == ADAM:
            first[k] = s.beta1 * first[k] + (1.0 - s.beta1) * g
            second[k] = s.beta2 * second[k] + (1.0 - s.beta2) * g * g
            coef[k] -= (s.lr / correction1) * first[k] / (sqrt(second[k]) / correction2 + s.eps)


cdef int take_step(int degree, double *coef, const double *half_gradient, double loss,
                   double previous, double *loss_out, const Settings *s,
                   double *scratch) noexcept nogil:
    """The end of an epoch whose loss and half-gradient are known: record the
    loss, take the step, say how to go on: OK, DIVERGED (coef and the optimiser
    state left as they were) or CONVERGED (the step was taken).  scratch: 3
    (degree + 1) + 1 doubles."""
    cdef size_t coef_bytes = <size_t>(degree + 1) * sizeof(double)
    cdef size_t state_bytes = 0
    cdef bint finite = True
    cdef int k
    if s.state != NULL:
        state_bytes = <size_t>state_doubles(degree) * sizeof(double)
    if not isfinite(loss):
        return DIVERGED
    loss_out[0] = loss
    memcpy(scratch, coef, coef_bytes)
    if state_bytes:
        memcpy(scratch + degree + 1, s.state, state_bytes)
    update(degree, coef, half_gradient, s)
    for k in range(degree + 1):
        finite = finite and isfinite(coef[k])
    if not finite:
        memcpy(coef, scratch, coef_bytes)
        if state_bytes:
            memcpy(s.state, scratch + degree + 1, state_bytes)
        return DIVERGED
    return CONVERGED if converged(previous, loss, s.tol) else OK


cdef Py_ssize_t fit_epochs(const floating *x, const floating *y, const Job *job, Py_ssize_t n,
                           double *coef, Py_ssize_t epochs, double *losses, const Settings *s,
                           double *moments_out, int *status) noexcept nogil:
    """Run up to `epochs` epochs in place on coef (which job.coef points to), loss t
    into losses[t]; returns the epochs completed.  status: OK, NOMEM, INTERRUPTED,
    CONVERGED, or DIVERGED (then epoch `return value` had a non-finite loss or
    update and coef holds the last finite coefficients).  moments_out (NULL:
    not wanted; degree <= FUSED_MAX): the power sums, from the first epoch's
    pass (a fused job: each sample read once for both)."""
    cdef Pass work
    cdef Job first = job[0]
    cdef double *totals
    cdef Py_ssize_t t, completed = 0
    cdef int degree = job.degree, k
    cdef int step = OK
    first.fuse = FIRST_EPOCH if moments_out != NULL and epochs > 0 else UNFUSED
    status[0] = pass_init(&work, &first, 1, n, s.nthreads, s.poll_signals, False)
    if status[0] != OK:
        return 0
    totals = <double *>malloc(<size_t>(4 * degree + 6) * sizeof(double))
    if totals == NULL:
        free(work.allocation)
        status[0] = NOMEM
        return 0
    for t in range(epochs):
        pass_run(&work, x, y, totals, NULL)
        if pf_flag_read(&work.poll.interrupted):
            break
        if work.jobs[0].fuse == FIRST_EPOCH:  # the power sums taken, the epochs go on alone
            for k in range(3 * degree + 3):
                moments_out[k] = totals[degree + 2 + k]
            work.jobs[0].fuse = UNFUSED
            work.width = job_width(&work.jobs[0])
        step = take_step(degree, coef, totals + 1, totals[0],
                         losses[t - 1] if t > 0 else s.previous_loss, &losses[t], s,
                         totals + degree + 2)
        if step != DIVERGED:
            completed = t + 1
        if step != OK:
            break
    status[0] = INTERRUPTED if work.poll.interrupted else step
    free(totals)
    free(work.allocation)
    return completed


cdef int data_pass(const floating *x, const floating *y, const Job *jobs, int njobs,
                   Py_ssize_t n, int nthreads, bint poll_signals, double *totals,
                   double *x_range) noexcept nogil:
    """One pass for up to MAX_JOBS jobs (the epoch's sums at job.coef, or the power
    sums), their totals one after the other, and x's range into x_range unless it
    is NULL.  Returns OK, NOMEM or INTERRUPTED."""
    cdef Pass work
    cdef int status = pass_init(&work, jobs, njobs, n, nthreads, poll_signals,
                                x_range != NULL)
    if status != OK:
        return status
    pass_run(&work, x, y, totals, x_range)
    free(work.allocation)
    return INTERRUPTED if work.poll.interrupted else OK


# ------------------------------------------------------------ training on the statistics
#
# Gradient descent on the power sums: with G_jk = S_(j+k) and T_j, half-gradient
# h = G c - T and loss = c.(G c - 2 T) + sum y^2; O(degree^2) an epoch.  The loss
# is a difference of large terms when it is much smaller than sum y^2: its
# absolute error is about eps * sum y^2.

cdef inline_void moments_rows(const double *power_sums, const double *cross_sums,
                              const int degree, const int first, const int last,
                              const double *coef, double *half_gradient,
                              double *loss_io) noexcept nogil:
    """Rows first to last - 1 of moments_epoch, their loss terms added to loss_io[0]."""
    cdef double loss = loss_io[0], gc
    cdef int j, k
    for j in range(first, last):
        gc = power_sums[j] * coef[0]
        if degree > 0:
            gc = pf_fma1(power_sums[j + 1], coef[1], gc)
        for k in range(2, degree, 2):
            gc = gc + pf_fma1(power_sums[j + k + 1], coef[k + 1], power_sums[j + k] * coef[k])
        if degree > 0 and degree % 2 == 0:
            gc = pf_fma1(power_sums[j + degree], coef[degree], gc)
        if half_gradient != NULL:
            half_gradient[j] = gc - cross_sums[j]
        loss = pf_fma1(coef[j], gc - 2.0 * cross_sums[j], loss)
    loss_io[0] = loss


cdef inline_void moments_epoch(const double *power_sums, const double *cross_sums,
                               double sum_yy, const int degree, const double *coef,
                               double *half_gradient, double *loss_out) noexcept nogil:
    """h = G c - T into half_gradient (unless NULL), the loss into loss_out.
    Each (G c)_j takes its products in pairs, S c + S c in one fused
    multiply-add where the instruction set has FMA, then adds the pairs in
    order: half the chain of additions every epoch waits on.  series_train_gd
    does the same in vector lanes (its bits).

    Above degree MOMENTS_ONE_LOOP_MAX, where pf_fma1 is one instruction (the
    AVX2 and AVX-512 builds: PF_W >= 4), the rows go in up to three loops of at
    most 4 rows (in order: the same operations): with the degree a constant GCC
    unrolls each of them completely, not one loop of 7-9 rows (too many
    instructions for its complete unrolling), which kept the coefficients in
    memory and took 17-21% longer an epoch at degrees 6-8.  The baseline build
    (16 registers, a multiply and an add for each fma) measured slower so."""
    cdef double loss = sum_yy
    cdef int parts = 1 if degree <= MOMENTS_ONE_LOOP_MAX or PF_W < 4 else (degree + 4) // 4
    cdef int size = (degree + parts) // parts  # rows per loop: ceil((degree + 1) / parts)
    cdef int middle = min(size, degree + 1), last = min(2 * size, degree + 1)
    moments_rows(power_sums, cross_sums, degree, 0, middle, coef, half_gradient, &loss)
    moments_rows(power_sums, cross_sums, degree, middle, last, coef, half_gradient, &loss)
    moments_rows(power_sums, cross_sums, degree, last, degree + 1, coef, half_gradient, &loss)
    loss_out[0] = loss


cdef inline_void moments_gd(const double *stats, const int degree, double *coef,
                            Py_ssize_t epochs, double *losses, const Settings *s, Poll *poll,
                            int *step, Py_ssize_t *completed_out) noexcept nogil:
    """The plain step with the coefficients in locals: with the degree a constant
    the compiler keeps them, G and T in registers.  Same arithmetic as take_step
    and update: fma(-2 lr, h, c) is fma(-lr, 2 h, c) exactly (the product is
    exact in both, and 2 scales by a power of two); one operation less on the
    epoch's chain than c - 2 lr h (degree 3: 5.7 -> 5.1 ns an epoch).  Writes
    the epochs completed to completed_out.

    The epochs run in chunks, from one poll_now call to the next, and c is copied
    from and to coef around each chunk.  Those copies must be loops inside a loop:
    GCC's first complete unrolling (before scalar replacement of c) unrolls only
    those, and a copy left as a loop made c an array in memory, stored and loaded
    back every epoch (store forwarding on each coefficient's chain: 13-15% of an
    epoch at degrees 2-5).

    A chunk first runs checking only the loss, not every updated coefficient:
    those 2 (degree + 1) additions compete with the epoch's chain for the adders
    and cost 10-20% of it.  Nothing is missed: a non-finite coefficient makes the
    next loss non-finite (its term c_j (G c - 2 T)_j is infinite or NaN, and so
    is every sum with it), so the epoch that would have stopped shows in the
    next loss, or in a check of c after the chunk or at convergence.  Then the
    chunk runs again from its start (coef still holds its coefficients) with
    every check: the same operations on the same values, to the same stop."""
    cdef const double *cross_sums = stats + 2 * degree + 1
    cdef double sum_yy = stats[3 * degree + 2], minus_two_lr = -2.0 * s.lr, tol = s.tol
    cdef double c[MOMENTS_SPECIALISED_MAX + 1]
    cdef double following[MOMENTS_SPECIALISED_MAX + 1]
    cdef double h[MOMENTS_SPECIALISED_MAX + 1]
    cdef double previous = s.previous_loss, first, loss, nonfinite
    cdef Py_ssize_t t, start = 0, end, completed = 0, fast_completed
    cdef int k
    cdef bint stop = False, rerun, fast_converged
    while start < epochs and not stop:
        # Each epoch decrements poll.countdown while it is above 1, else calls
        # poll_now (poll_now's own countdown, without the call): a chunk is the
        # epochs until the next call, after it if it is due now.
        if poll.countdown > 1:
            end = start + min(<Py_ssize_t>poll.countdown - 1, epochs - start)
            poll.countdown -= <int>(end - start)
        elif poll_now(poll):
            break
        else:
            end = start + 1 + min(<Py_ssize_t>max(poll.countdown - 1, 0), epochs - start - 1)
            poll.countdown -= <int>(end - start - 1)
        for k in range(degree + 1):
            c[k] = coef[k]
        first = previous
        fast_converged = False
        fast_completed = end
        rerun = False
        for t in range(start, end):
            moments_epoch(stats, cross_sums, sum_yy, degree, c, h, &loss)
            if not isfinite(loss):
                rerun = True
                break
            losses[t] = loss
            for k in range(degree + 1):
                c[k] = pf_fma1(minus_two_lr, h[k], c[k])
            if converged(previous, loss, tol):
                fast_converged = True
                fast_completed = t + 1
                break
            previous = loss
        if not rerun:
            nonfinite = 0.0  # x - x is 0 for finite x, NaN otherwise
            for k in range(degree + 1):
                nonfinite += c[k] - c[k]
            rerun = not nonfinite == 0.0
        if not rerun:
            completed = fast_completed
            if fast_converged:
                step[0] = CONVERGED
                stop = True
        else:  # the chunk again, every epoch checked as it ends
            previous = first
            for k in range(degree + 1):
                c[k] = coef[k]
            for t in range(start, end):
                moments_epoch(stats, cross_sums, sum_yy, degree, c, h, &loss)
                if not isfinite(loss):
                    step[0] = DIVERGED
                    stop = True
                    break
                losses[t] = loss
                nonfinite = 0.0  # no branch per coefficient
                for k in range(degree + 1):
                    following[k] = pf_fma1(minus_two_lr, h[k], c[k])
                    nonfinite += following[k] - following[k]
                if not nonfinite == 0.0:
                    step[0] = DIVERGED
                    stop = True
                    break
                for k in range(degree + 1):
                    c[k] = following[k]
                completed = t + 1
                if converged(previous, loss, tol):
                    step[0] = CONVERGED
                    stop = True
                    break
                previous = loss
        for k in range(degree + 1):
            coef[k] = c[k]
        start = end
    completed_out[0] = completed


cdef Py_ssize_t moments_gd_specialised(const double *stats, int degree, double *coef,
                                       Py_ssize_t epochs, double *losses, const Settings *s,
                                       Poll *poll, int *step) noexcept nogil:
    """moments_gd with the degree a constant (degree <= MOMENTS_SPECIALISED_MAX)."""
    cdef Py_ssize_t completed = 0
    if degree == 0:
        moments_gd(stats, 0, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 1:
        moments_gd(stats, 1, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 2:
        moments_gd(stats, 2, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 3:
        moments_gd(stats, 3, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 4:
        moments_gd(stats, 4, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 5:
        moments_gd(stats, 5, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 6:
        moments_gd(stats, 6, coef, epochs, losses, s, poll, step, &completed)
    elif degree == 7:
        moments_gd(stats, 7, coef, epochs, losses, s, poll, step, &completed)
    else:
        moments_gd(stats, 8, coef, epochs, losses, s, poll, step, &completed)
    return completed


cdef Py_ssize_t train_on_moments(const double *stats, int degree, double *coef,
                                 Py_ssize_t epochs, double *losses, const Settings *s,
                                 int *status) noexcept nogil:
    """Gradient descent on the statistics: the epochs, losses, stopping and status
    of fit_epochs, at O(degree^2) an epoch."""
    cdef Poll poll
    cdef double *scratch
    cdef double loss
    cdef Py_ssize_t t, completed = 0
    cdef int step = OK
    poll_init(&poll, s.poll_signals, POLL_EPOCHS)
    if s.optimizer == GD and degree <= MOMENTS_SPECIALISED_MAX:
        completed = moments_gd_specialised(stats, degree, coef, epochs, losses, s, &poll, &step)
        status[0] = INTERRUPTED if poll.interrupted else step
        return completed
    scratch = <double *>malloc(<size_t>(4 * degree + 5) * sizeof(double))
    if scratch == NULL:
        status[0] = NOMEM
        return 0
    for t in range(epochs):
        if poll_now(&poll):
            break
        moments_epoch(stats, stats + 2 * degree + 1, stats[3 * degree + 2], degree, coef,
                      scratch, &loss)
        step = take_step(degree, coef, scratch, loss, losses[t - 1] if t > 0 else s.previous_loss,
                         &losses[t], s, scratch + degree + 1)
        if step != DIVERGED:
            completed = t + 1
        if step != OK:
            break
    status[0] = INTERRUPTED if poll.interrupted else step
    free(scratch)
    return completed


# ------------------------------------------------------------ many series: a 2-D y
#
# y of shape (n, k), C-contiguous: k series sharing x.  The exact method's pass
# puts columns in the vector lanes (a row's k values are contiguous): per block
# of rows, the powers of u are computed once per sample, into a table every
# group of PF_W columns reads, and each group keeps its sums in registers over
# the block's rows.  Each column's sums are taken over the same blocks, reduced
# in block order: the bits do not depend on the thread count; they are not
# those of a 1-D fit of the column (whose lanes run over samples).  The power
# sums of many series are the 1-D pass's own step, run per column on the
# column's gathered values: each column's statistics are those of its 1-D fit,
# bit for bit.

cdef struct Series:  # a pass over k series
    Py_ssize_t k
    Py_ssize_t first_column, last_column  # the power sums of these columns only
    const double *coef  # (degree + 1, k): coef[power * k + column]; NULL for power sums
    const double *weights  # one per sample, or NULL
    const double *weights2d  # (n, k), one per value, or NULL
    double offset, factor  # u = x factor + offset (to_u)
    int degree
    bint moments
    bint scaled


cdef inline pf_vec load_columns(const floating *p, int count) noexcept nogil:
    if floating is double:
        return pf_load(p) if count == PF_W else pf_load_partial(p, count)
    else:
        return pf_load_f32(p) if count == PF_W else pf_load_partial_f32(p, count)


cdef inline pf_vec load_group(const floating *p, int count, const bint partial) noexcept nogil:
    """PF_W columns at p, or count < PF_W of them (partial: the last group)."""
    if floating is double:
        return pf_load_partial(p, count) if partial else pf_load(p)
    else:
        return pf_load_partial_f32(p, count) if partial else pf_load_f32(p)


cdef inline_void series_group(const floating *y, const Series *job, Py_ssize_t first,
                              Py_ssize_t tile, Py_ssize_t g, int count, const bint partial,
                              const int degree, const int weighting, const double *table,
                              pf_vec *coefs, pf_vec *acc, double *sums) noexcept nogil:
    """Columns g..g+count of rows first..first+tile: their sums carried in from
    the tiles before (zeros for the first) and stored back."""
    cdef Py_ssize_t k = job.k, i
    cdef pf_vec loss, term, grad, p, u
    cdef int r
    for r in range(degree + 1):
        coefs[r] = load_group(job.coef + r * k + g, count, partial)
        acc[r] = pf_splat(0.0) if first == 0 else load_group(sums + (1 + r) * k + g, count,
                                                             partial)
    loss = pf_splat(0.0) if first == 0 else load_group(sums + g, count, partial)
    for i in range(tile):
        term = coefs[0] - load_group(y + (first + i) * k + g, count, partial)
        if degree > 0:
            u = pf_splat(table[i * (degree + 1) + 1])
            p = coefs[degree]
            for r in range(degree - 1, 0, -1):
                p = pf_fma(p, u, coefs[r])
            term = pf_fma(p, u, term)
        if weighting == 1:
            grad = term * pf_splat(job.weights[first + i])
        elif weighting == 2:
            grad = term * load_group(job.weights2d + (first + i) * k + g, count, partial)
        else:
            grad = term
        loss = pf_fma(grad, term, loss)
        acc[0] = acc[0] + grad
        for r in range(1, degree + 1):
            acc[r] = pf_fma(grad, pf_splat(table[i * (degree + 1) + r]), acc[r])
    pf_store_partial(sums + g, loss, count)
    for r in range(degree + 1):
        pf_store_partial(sums + (1 + r) * k + g, acc[r], count)


cdef inline_void series_block(const floating *x, const floating *y, Py_ssize_t rows,
                              const Series *job, const int degree, const int weighting,
                              double *table, pf_vec *coefs, pf_vec *acc,
                              double *sums) noexcept nogil:
    """The epoch's sums of `rows` rows for every column: sums[r * k + c] holds
    column c's sum w r^2 (r = 0) or sum w r u^(r - 1).  weighting: 0 none, 1 one
    weight per sample, 2 one per value.  The rows go in tiles that fit in cache
    with all their columns (each group of columns carries its sums from tile to
    tile: the same additions, in the same order, as without tiles).  table:
    SERIES_TILE_DOUBLES doubles; coefs, acc: degree + 1 vectors each, or NULL
    for arrays the compiler keeps in registers once degree is a constant."""
    cdef Py_ssize_t k = job.k, i, g, first = 0, tile, whole = k - k % PF_W
    cdef pf_vec local_coefs[MOMENTS_SPECIALISED_MAX + 1]
    cdef pf_vec local_acc[MOMENTS_SPECIALISED_MAX + 1]
    cdef double power, value
    cdef int r
    tile = max(1, min(rows, SERIES_TILE_VALUES // max(k, 1), SERIES_TILE_DOUBLES // (degree + 1)))
    if coefs == NULL:
        coefs = local_coefs
        acc = local_acc
    while first < rows:
        tile = min(tile, rows - first)
        for i in range(tile):  # the powers of u: once per sample, for every column
            value = <double>x[first + i]
            if job.scaled:
                value = to_u1(value, job.factor, job.offset)
            power = 1.0
            for r in range(degree + 1):
                table[i * (degree + 1) + r] = power
                power = power * value
        g = 0
        while g < whole:
            series_group(y, job, first, tile, g, PF_W, False, degree, weighting, table, coefs,
                         acc, sums)
            g += PF_W
        if whole < k:
            series_group(y, job, first, tile, whole, <int>(k - whole), True, degree, weighting,
                         table, coefs, acc, sums)
        first += tile


cdef inline_void series_by_degree(const floating *x, const floating *y, Py_ssize_t rows,
                                  const Series *job, const int weighting, double *table,
                                  pf_vec *vectors, double *sums) noexcept nogil:
    """series_block with the degree (up to MOMENTS_SPECIALISED_MAX) and the
    weighting constants; vectors: the generic degree's coefficients and sums."""
    cdef int degree = job.degree
    if degree > MOMENTS_SPECIALISED_MAX:
        series_block(x, y, rows, job, degree, weighting, table, vectors, vectors + degree + 1,
                     sums)
    elif degree == 0:
        series_block(x, y, rows, job, 0, weighting, table, NULL, NULL, sums)
    elif degree == 1:
        series_block(x, y, rows, job, 1, weighting, table, NULL, NULL, sums)
    elif degree == 2:
        series_block(x, y, rows, job, 2, weighting, table, NULL, NULL, sums)
    elif degree == 3:
        series_block(x, y, rows, job, 3, weighting, table, NULL, NULL, sums)
    elif degree == 4:
        series_block(x, y, rows, job, 4, weighting, table, NULL, NULL, sums)
    elif degree == 5:
        series_block(x, y, rows, job, 5, weighting, table, NULL, NULL, sums)
    elif degree == 6:
        series_block(x, y, rows, job, 6, weighting, table, NULL, NULL, sums)
    elif degree == 7:
        series_block(x, y, rows, job, 7, weighting, table, NULL, NULL, sums)
    else:
        series_block(x, y, rows, job, 8, weighting, table, NULL, NULL, sums)


cdef inline_void series_moments_block(const floating *x, const floating *y, Py_ssize_t rows,
                                      const Series *job, const int degree, const bint weighted,
                                      const bint fused_last, floating *gathered, double *weights,
                                      pf_vec *acc, double *sums) noexcept nogil:
    """The power sums of `rows` rows for every column, column c's into sums[c *
    width + j]: the 1-D pass's steps (moments_step) on the column's values,
    gathered PF_LANES at a time -- the same arithmetic, lanes and tail, so the
    same bits as the column's own 1-D pass.  acc: k * width * PF_NV vectors."""
    cdef Py_ssize_t k = job.k, i = 0, c, lane, v
    cdef int width = 3 * degree + 3, j
    cdef const double *w = job.weights
    cdef const double *w2 = job.weights2d
    cdef floating x_pad[PF_LANES]
    cdef double mask[PF_LANES]
    for v in range(k * width * PF_NV):
        acc[v] = pf_splat(0.0)
    while i + PF_LANES <= rows:
        for c in range(k):
            for lane in range(PF_LANES):
                gathered[lane] = y[(i + lane) * k + c]
                if w2 != NULL:
                    weights[lane] = w2[(i + lane) * k + c]
            moments_step(x + i, gathered,
                         <const double *>weights if w2 != NULL else (w + i if w != NULL else NULL),
                         NULL, job.offset, job.factor, degree, weighted, fused_last,
                         acc + c * width * PF_NV)
        i += PF_LANES
    if i < rows:  # the last rows - i < PF_LANES samples, padded with zeros and masked
        for lane in range(PF_LANES):
            x_pad[lane] = x[i + lane] if i + lane < rows else 0
            mask[lane] = 1.0 if i + lane < rows else 0.0
        for c in range(k):
            for lane in range(PF_LANES):
                gathered[lane] = y[(i + lane) * k + c] if i + lane < rows else 0
                weights[lane] = 0.0
                if i + lane < rows and weighted:
                    weights[lane] = w2[(i + lane) * k + c] if w2 != NULL else w[i + lane]
            moments_step(x_pad, gathered, weights, mask, job.offset, job.factor, degree, weighted,
                         fused_last, acc + c * width * PF_NV)
    for c in range(k):
        for j in range(width):
            sums[c * width + j] = pf_lane_sum(acc + (c * width + j) * PF_NV)


cdef inline_void series_column_lanes(const floating *y, Py_ssize_t k, Py_ssize_t rows,
                                     Py_ssize_t first, int lane, const int lanes,
                                     const int degree, const bint weighted,
                                     const double *table, Py_ssize_t cap, const int count,
                                     const bint partial, pf_vec *acc) noexcept nogil:
    """Lanes lane..lane+lanes-1 (lanes 1 or 2: independent chains, side by
    side) of the sums T and sum w y^2 of columns first..first+count-1 (one per
    vector element), lane l over the rows l, l + PF_LANES, ...: moments_step's
    operations on that lane's samples, in its order, so its bits.  table: w u^r
    of sample s at table[r * cap + s]; acc: degree + 2 vectors a lane (T_0..
    T_degree, then sum w y^2), carried in."""
    cdef Py_ssize_t s = lane
    cdef pf_vec yv, other
    cdef int r, width = degree + 2
    while s + lanes - 1 < rows:
        yv = load_group(y + s * k + first, count, partial)
        if lanes == 2:
            other = load_group(y + (s + 1) * k + first, count, partial)
        acc[degree + 1] = pf_fma(pf_splat(table[s]) * yv if weighted else yv, yv,
                                 acc[degree + 1])
        if lanes == 2:
            acc[width + degree + 1] = pf_fma(pf_splat(table[s + 1]) * other if weighted
                                             else other, other, acc[width + degree + 1])
        for r in range(degree + 1):
            acc[r] = pf_fma(pf_splat(table[r * cap + s]), yv, acc[r])
            if lanes == 2:
                acc[width + r] = pf_fma(pf_splat(table[r * cap + s + 1]), other,
                                        acc[width + r])
        s += PF_LANES
    if s < rows:  # the first lane has one sample more
        yv = load_group(y + s * k + first, count, partial)
        acc[degree + 1] = pf_fma(pf_splat(table[s]) * yv if weighted else yv, yv,
                                 acc[degree + 1])
        for r in range(degree + 1):
            acc[r] = pf_fma(pf_splat(table[r * cap + s]), yv, acc[r])


cdef inline_void series_column_sums(const floating *y, Py_ssize_t k, Py_ssize_t rows,
                                    Py_ssize_t first, const int degree, const bint weighted,
                                    const double *table, Py_ssize_t cap, const int count,
                                    const bint partial, double *sums) noexcept nogil:
    """T and sum w y^2 of columns first..first+count-1 into sums[c * (3 degree +
    3) + 2 degree + 1 + r]: each lane's sum (series_column_lanes; two lanes at
    a time where the registers hold both lanes' sums: 32 with AVX-512, 16
    otherwise), then the lanes added as pf_lane_sum adds them -- the bits of
    the column's 1-D pass."""
    cdef pf_vec lanes[PF_LANES * (MOMENTS_SPECIALISED_MAX + 2)]
    cdef pf_vec total
    cdef double values[PF_W]
    cdef int lane, r, c, width = degree + 2
    for r in range(PF_LANES * width):
        lanes[r] = pf_splat(0.0)
    for lane in range(0, PF_LANES, 2):
        if PF_W == 8 or degree <= 4:
            series_column_lanes(y, k, rows, first, lane, 2, degree, weighted, table, cap,
                                count, partial, lanes + lane * width)
        else:
            series_column_lanes(y, k, rows, first, lane, 1, degree, weighted, table, cap,
                                count, partial, lanes + lane * width)
            series_column_lanes(y, k, rows, first, lane + 1, 1, degree, weighted, table, cap,
                                count, partial, lanes + (lane + 1) * width)
    for r in range(width):
        if PF_LANES == 8:
            total = (((lanes[r] + lanes[width + r]) + (lanes[2 * width + r] + lanes[3 * width + r]))
                     + ((lanes[4 * width + r] + lanes[5 * width + r])
                        + (lanes[6 * width + r] + lanes[7 * width + r])))
        else:
            total = (lanes[r] + lanes[width + r]) + (lanes[2 * width + r] + lanes[3 * width + r])
        memcpy(values, &total, sizeof(pf_vec))
        for c in range(count):
            sums[(first + c) * (3 * degree + 3) + 2 * degree + 1 + r] = values[c]


cdef inline_void series_moments_shared(const floating *x, const floating *y, Py_ssize_t rows,
                                       const Series *job, const int degree, const bint weighted,
                                       const bint fused_last, double *table, pf_vec *acc,
                                       double *sums) noexcept nogil:
    """series_moments_block when every column has the same weights (or none):
    per group of PF_LANES rows the powers of u and S once (moments_step's
    arithmetic), the powers w u^r kept in a table; then each group of PF_W
    columns, one column per vector element, runs the samples of each lane of
    the 1-D pass in turn (series_column_sums) -- the same operations in the
    same order, so the same bits, without gathering a column's values.
    Columns job.first_column to job.last_column only (threads may split them).
    acc: (2 degree + 1) PF_NV vectors; table: (degree + 1) BLOCK_SAMPLES
    doubles."""
    cdef Py_ssize_t k = job.k, i = 0, c, lane, v, cap = BLOCK_SAMPLES
    cdef Py_ssize_t first = job.first_column, last = job.last_column
    cdef int width = 3 * degree + 3, j, r
    cdef pf_vec u[PF_NV]
    cdef pf_vec power[PF_NV]
    cdef floating x_pad[PF_LANES]
    cdef double w_pad[PF_LANES]
    cdef double mask[PF_LANES]
    cdef double padded[PF_LANES * (MOMENTS_SPECIALISED_MAX + 1)]
    cdef bint full
    for v in range((2 * degree + 1) * PF_NV):
        acc[v] = pf_splat(0.0)
    while i < rows:
        full = i + PF_LANES <= rows
        if not full:
            for lane in range(PF_LANES):
                x_pad[lane] = x[i + lane] if i + lane < rows else 0
                mask[lane] = 1.0 if i + lane < rows else 0.0
                w_pad[lane] = job.weights[i + lane] if weighted and i + lane < rows else 0.0
        for j in range(PF_NV):
            u[j] = to_u(load((x + i if full else <const floating *>x_pad) + j * PF_W),
                        job.factor, job.offset)
            if weighted:
                power[j] = pf_load((job.weights + i if full else <const double *>w_pad) + j * PF_W)
            elif full:
                power[j] = pf_splat(1.0)
            else:
                power[j] = pf_load(mask + j * PF_W)
        for r in range(2 * degree + 1):  # S, as moments_step; the powers T needs, kept
            for j in range(PF_NV):
                if r <= degree:
                    if full:
                        memcpy(table + r * cap + i + j * PF_W, &power[j], sizeof(pf_vec))
                    else:  # (the padding lanes are not read)
                        memcpy(padded + r * PF_LANES + j * PF_W, &power[j], sizeof(pf_vec))
                if not (fused_last and r == 2 * degree and r > 0):
                    acc[r * PF_NV + j] = acc[r * PF_NV + j] + power[j]
                if fused_last and r == 2 * degree - 1:
                    acc[(r + 1) * PF_NV + j] = pf_fma(power[j], u[j], acc[(r + 1) * PF_NV + j])
                else:
                    power[j] = power[j] * u[j]
        if not full:
            for r in range(degree + 1):
                for lane in range(rows - i):
                    table[r * cap + i + lane] = padded[r * PF_LANES + lane]
        i += PF_LANES
    for c in range(first, last):
        for r in range(2 * degree + 1):
            sums[c * width + r] = pf_lane_sum(acc + r * PF_NV)
    c = first
    while c + PF_W <= last:
        series_column_sums(y, k, rows, c, degree, weighted, table, cap, PF_W, False, sums)
        c += PF_W
    if c < last:
        series_column_sums(y, k, rows, c, degree, weighted, table, cap, <int>(last - c), True,
                           sums)


cdef void series_block_sums(const floating *x, const floating *y, Py_ssize_t rows,
                            const Series *job, double *scratch, double *sums) noexcept nogil:
    """One block of rows for every column, by the copy made for its degree (a
    constant up to MOMENTS_SPECIALISED_MAX: registers; beyond, scratch); scratch
    is the thread's (see series_scratch)."""
    cdef int weighting = 2 if job.weights2d != NULL else 1 if job.weights != NULL else 0
    cdef bint weighted = weighting != 0
    cdef int degree = job.degree
    cdef pf_vec *vectors = <pf_vec *>scratch  # aligned by series_init
    cdef double *rest = scratch + series_vector_doubles(job)
    if series_shared(job):
        if degree == 0:
            series_moments_shared(x, y, rows, job, 0, weighted, True, rest, vectors, sums)
        elif degree == 1:
            series_moments_shared(x, y, rows, job, 1, weighted, True, rest, vectors, sums)
        elif degree == 2:
            series_moments_shared(x, y, rows, job, 2, weighted, True, rest, vectors, sums)
        elif degree == 3:
            series_moments_shared(x, y, rows, job, 3, weighted, True, rest, vectors, sums)
        elif degree == 4:
            series_moments_shared(x, y, rows, job, 4, weighted, True, rest, vectors, sums)
        elif degree == 5:
            series_moments_shared(x, y, rows, job, 5, weighted, True, rest, vectors, sums)
        elif degree == 6:
            series_moments_shared(x, y, rows, job, 6, weighted, True, rest, vectors, sums)
        elif degree == 7:
            series_moments_shared(x, y, rows, job, 7, weighted, True, rest, vectors, sums)
        else:
            series_moments_shared(x, y, rows, job, 8, weighted, True, rest, vectors, sums)
    elif job.moments:
        if degree > MOMENTS_SPECIALISED_MAX:
            series_moments_block(x, y, rows, job, degree, weighted, False, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 0:
            series_moments_block(x, y, rows, job, 0, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 1:
            series_moments_block(x, y, rows, job, 1, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 2:
            series_moments_block(x, y, rows, job, 2, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 3:
            series_moments_block(x, y, rows, job, 3, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 4:
            series_moments_block(x, y, rows, job, 4, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 5:
            series_moments_block(x, y, rows, job, 5, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 6:
            series_moments_block(x, y, rows, job, 6, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        elif degree == 7:
            series_moments_block(x, y, rows, job, 7, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
        else:
            series_moments_block(x, y, rows, job, 8, weighted, True, <floating *>rest,
                                 rest + PF_LANES, vectors, sums)
    elif weighting == 0:
        series_by_degree(x, y, rows, job, 0, rest, vectors, sums)
    elif weighting == 1:
        series_by_degree(x, y, rows, job, 1, rest, vectors, sums)
    else:
        series_by_degree(x, y, rows, job, 2, rest, vectors, sums)


cdef inline Py_ssize_t series_width(const Series *job) noexcept nogil:
    """Sums of one block: per column, the power sums or the loss and gradient."""
    return job.k * (3 * job.degree + 3 if job.moments else job.degree + 2)


cdef inline bint series_shared(const Series *job) noexcept nogil:
    """The power sums by series_moments_shared (the same weights for every
    column, degree <= MOMENTS_SPECIALISED_MAX), not series_moments_block."""
    return job.moments and job.weights2d == NULL and job.degree <= MOMENTS_SPECIALISED_MAX


cdef inline Py_ssize_t series_vector_doubles(const Series *job) noexcept nogil:
    """The doubles of a thread's vector scratch (a multiple of 8: keeps what
    follows 64-byte aligned): the lane accumulators of S (series_moments_shared)
    or of every column's power sums, or the generic degree's coefficients and
    sums."""
    cdef Py_ssize_t vectors = ((2 * job.degree + 1) * PF_NV if series_shared(job)
                               else job.k * (3 * job.degree + 3) * PF_NV if job.moments
                               else 2 * (job.degree + 1))
    return (vectors * PF_W + 7) // 8 * 8


cdef inline Py_ssize_t series_scratch(const Series *job) noexcept nogil:
    """The doubles of one thread's scratch: vectors, then the power table of a
    block (epoch), the powers of a block's samples (series_moments_shared) or a
    column's gathered values and weights (power sums)."""
    return series_vector_doubles(job) + (
        (job.degree + 1) * BLOCK_SAMPLES if series_shared(job)
        else (job.k * PF_LANES + 2 * PF_LANES + 15) // 8 * 8 if job.moments
        else SERIES_TILE_DOUBLES)


cdef int series_pass(const floating *x, const floating *y, const Series *job, Py_ssize_t n,
                     int nthreads, Poll *poll, double *totals) noexcept nogil:
    """One pass over blocks of BLOCK_SAMPLES rows for every column (threads split
    the blocks; each block's sums are kept and added in block order, so the
    thread count changes no bit), into totals (series_width doubles).  Returns
    OK, NOMEM or INTERRUPTED."""
    cdef Py_ssize_t nblocks = (n + BLOCK_SAMPLES - 1) // BLOCK_SAMPLES
    cdef Py_ssize_t width = series_width(job), per_thread = series_scratch(job)
    cdef Py_ssize_t b, j, share = 0, first = 0, last = 0, start
    cdef int threads = max(1, min(nthreads, <int>min(nblocks, 1 << 20))), thread = 0, team = 1
    cdef double *block_sums
    cdef double *scratch
    cdef void *allocation
    if not pf_have_openmp():
        threads = 1
    allocation = malloc((<size_t>(nblocks * width + max(threads, nthreads) * per_thread) + 8)
                        * sizeof(double))
    if allocation == NULL:
        return NOMEM
    block_sums = <double *>allocation
    scratch = <double *>((<uintptr_t>(block_sums + nblocks * width) + 63) & ~(<uintptr_t>63))
    if threads == 1 and split_columns(job, nblocks, nthreads):
        threads = max(1, min(nthreads, <int>(job.k // SERIES_SLAB)))
        if threads > 1:
            with parallel(num_threads=threads):
                thread = threadid()
                team = pf_team_size()
                share = (job.k + team - 1) // team
                first = min(thread * share, job.k)
                last = min(first + share, job.k)
                series_column_blocks(x, y, job, n, nblocks, first, last,
                                     scratch + thread * per_thread, block_sums, poll, thread == 0)
        else:
            series_blocks(x, y, job, n, 0, nblocks, scratch, block_sums, poll, True)
    elif threads == 1:
        series_blocks(x, y, job, n, 0, nblocks, scratch, block_sums, poll, True)
    else:
        with parallel(num_threads=threads):
            thread = threadid()
            team = pf_team_size()
            share = (nblocks + team - 1) // team
            first = min(thread * share, nblocks)
            last = min(first + share, nblocks)
            series_blocks(x, y, job, n, first, last, scratch + thread * per_thread, block_sums,
                          poll, thread == 0)
    for j in range(width):
        totals[j] = 0.0
    for b in range(nblocks):
        for j in range(width):
            totals[j] += block_sums[b * width + j]
    free(allocation)
    return INTERRUPTED if poll.interrupted else OK


cdef inline bint split_columns(const Series *job, Py_ssize_t nblocks, int nthreads) noexcept nogil:
    """A power-sums pass with fewer blocks of rows than threads is split by
    columns instead (each column's arithmetic is the same whoever computes it),
    where the per-column path allows (no per-value weights, degree <= 8)."""
    return (job.moments and nthreads > 1 and nblocks < nthreads and job.weights2d == NULL
            and job.degree <= MOMENTS_SPECIALISED_MAX and pf_have_openmp())


cdef void series_column_blocks(const floating *x, const floating *y, const Series *job,
                               Py_ssize_t n, Py_ssize_t nblocks, Py_ssize_t first,
                               Py_ssize_t last, double *scratch, double *block_sums, Poll *poll,
                               bint poller) noexcept nogil:
    """Every block, for the power sums of columns [first, last) only."""
    cdef Series columns_job = job[0]
    columns_job.first_column = first
    columns_job.last_column = last
    series_blocks(x, y, &columns_job, n, 0, nblocks, scratch, block_sums, poll, poller)


cdef void series_blocks(const floating *x, const floating *y, const Series *job, Py_ssize_t n,
                        Py_ssize_t first, Py_ssize_t last, double *scratch, double *block_sums,
                        Poll *poll, bint poller) noexcept nogil:
    cdef Py_ssize_t b, start, width = series_width(job)
    cdef Series block_job
    for b in range(first, last):
        if poll_now(poll) if poller else pf_flag_read(&poll.interrupted):
            return
        start = b * BLOCK_SAMPLES
        block_job = job[0]
        if job.weights != NULL:
            block_job.weights = job.weights + start
        if job.weights2d != NULL:
            block_job.weights2d = job.weights2d + start * job.k
        series_block_sums(x + start, y + start * job.k,
                          min(n - start, <Py_ssize_t>BLOCK_SAMPLES), &block_job, scratch,
                          block_sums + b * width)


cdef Py_ssize_t series_epochs(const floating *x, const floating *y, Series *job, Py_ssize_t n,
                              double *coef, Py_ssize_t epochs, double *losses,
                              const double *previous_losses, const Settings *s,
                              int *status) noexcept nogil:
    """Plain gradient descent for k series at once, in place on coef ((degree + 1,
    k)), losses[t * k + c]; returns the epochs completed.  An epoch whose loss or
    update is not finite for any column stops the fit (DIVERGED, coef as
    before that epoch); tol stops it once every column's loss fell by a
    relative amount in [0, tol] (CONVERGED).  previous_losses: each column's
    loss before the first epoch (NaN: none)."""
    cdef Py_ssize_t k = job.k, t, c, completed = 0, size = (job.degree + 1) * k
    cdef int r, step = OK
    cdef double minus_two_lr = -2.0 * s.lr, nonfinite, before
    cdef bint all_converged
    cdef Poll poll
    cdef double *totals = <double *>malloc((<size_t>((job.degree + 2) * k + size)) *
                                           sizeof(double))
    cdef double *following
    if totals == NULL:
        status[0] = NOMEM
        return 0
    following = totals + (job.degree + 2) * k
    poll_init(&poll, s.poll_signals, POLL_BLOCKS)
    job.coef = coef
    for t in range(epochs):
        step = series_pass(x, y, job, n, s.nthreads, &poll, totals)
        if step != OK:
            break
        nonfinite = 0.0
        for c in range(k):
            nonfinite += totals[c] - totals[c]
        if not nonfinite == 0.0:
            step = DIVERGED
            break
        for c in range(k):
            losses[t * k + c] = totals[c]
        for r in range(job.degree + 1):
            for c in range(k):
                following[r * k + c] = pf_fma1(minus_two_lr, totals[(1 + r) * k + c],
                                               coef[r * k + c])
                nonfinite += following[r * k + c] - following[r * k + c]
        if not nonfinite == 0.0:
            step = DIVERGED
            break
        memcpy(coef, following, <size_t>size * sizeof(double))
        completed = t + 1
        all_converged = s.tol > 0.0
        for c in range(k):
            before = losses[(t - 1) * k + c] if t > 0 else previous_losses[c]
            all_converged = all_converged and converged(before, totals[c], s.tol)
        if all_converged:
            step = CONVERGED
            break
    status[0] = INTERRUPTED if poll.interrupted else step
    free(totals)
    return completed


cdef inline pf_vec power_sum(const double *group, int j, const bint shared,
                             const pf_vec *sums) noexcept nogil:
    """S_j of a group of columns: sums[j] when shared (every column's, in
    registers), else loaded from the group's statistics."""
    return sums[j] if shared else pf_load(group + j * PF_W)


cdef inline int series_block_groups(int degree) noexcept nogil:
    """Groups of columns series_train_gd runs side by side.  One group's epoch
    is a chain of ~16 cycles at degree 3 (mul, fma, add, sub, mul, sub) but ~10
    cycles of vector work: a few independent groups keep the units busy.  Their
    coefficients stay in registers (32 with AVX-512, 16 otherwise); at higher
    degrees one group has work enough to hide its own chain."""
    if PF_W == 8:
        return 4 if degree <= 3 else 2 if degree <= 5 else 1
    return 2 if degree <= 3 else 1


cdef inline_void series_group_epoch(const double *group, const int degree, const bint shared,
                                    const pf_vec *sums, pf_vec minus_two_lr, pf_vec *cv,
                                    double *out, int count, pf_vec *loss, const bint checked,
                                    pf_vec *bad) noexcept nogil:
    """One epoch of a group of PF_W columns, each lane with moments_epoch's
    arithmetic (G c in pairs, then the loss and the update: its bits): group,
    its statistics (series_train_gd's layout); cv (degree + 1 vectors) updated
    in place; the epoch's loss (of the coefficients before it) into out[0..count
    - 1] (count of the group's columns are real) and loss[0].  bad[0] becomes
    NaN in the lanes whose loss (and, checked, whose updated coefficients) are
    not finite: a chain of its own, off the epoch's (x * 0 is 0 for finite x,
    NaN else).  No library call: around one, every vector register would be
    saved and restored."""
    cdef pf_vec following[MOMENTS_SPECIALISED_MAX + 1]
    cdef pf_vec gc, total = pf_load(group + (3 * degree + 2) * PF_W)
    cdef double lanes[PF_W]
    cdef int j, r
    for j in range(degree + 1):
        gc = power_sum(group, j, shared, sums) * cv[0]
        if degree > 0:
            gc = pf_fma(power_sum(group, j + 1, shared, sums), cv[1], gc)
        for r in range(2, degree, 2):
            gc = gc + pf_fma(power_sum(group, j + r + 1, shared, sums), cv[r + 1],
                             power_sum(group, j + r, shared, sums) * cv[r])
        if degree > 0 and degree % 2 == 0:
            gc = pf_fma(power_sum(group, j + degree, shared, sums), cv[degree], gc)
        # 2 T_j, exact, stored after the statistics by series_train_moments
        total = pf_fma(cv[j], gc - pf_load(group + (3 * degree + 3 + j) * PF_W), total)
        following[j] = pf_fma(minus_two_lr, gc - pf_load(group + (2 * degree + 1 + j) * PF_W),
                              cv[j])
    for j in range(degree + 1):
        cv[j] = following[j]
        if checked:
            bad[0] = pf_fma(following[j], pf_splat(0.0), bad[0])
    bad[0] = pf_fma(total, pf_splat(0.0), bad[0])
    loss[0] = total
    if count == PF_W:
        memcpy(out, &total, sizeof(pf_vec))
    else:  # the last group of columns, partly padding
        memcpy(lanes, &total, sizeof(pf_vec))
        for j in range(count):
            out[j] = lanes[j]


cdef inline_void series_train_block(const double *stats, const int degree, const bint shared,
                                    double *coef, Py_ssize_t columns, Py_ssize_t g, const int ng,
                                    Py_ssize_t epochs, Py_ssize_t start, double *losses,
                                    Py_ssize_t k, const double *previous_losses,
                                    const Settings *s, const bint checked, int *diverged,
                                    int *converged, Py_ssize_t *done) noexcept nogil:
    """Groups g..g+ng-1 (ng a constant up to SERIES_BLOCK_MAX) through all the
    epochs, their coefficients in registers from the first epoch to the last;
    the arguments as series_train_gd's.  done: epochs if every loss and
    coefficient stayed finite; else, checked, the first epoch that did not
    (diverged[e] set; the groups stop there), unchecked, 0 (the epochs ran
    through: a value that is not finite stays so until series_train looks)."""
    cdef Py_ssize_t e, at, size = (4 * degree + 4) * PF_W  # a group's statistics
    cdef pf_vec cv[SERIES_BLOCK_MAX * (MOMENTS_SPECIALISED_MAX + 1)]
    cdef pf_vec sums[2 * MOMENTS_SPECIALISED_MAX + 1]
    cdef pf_vec loss[SERIES_BLOCK_MAX]
    cdef pf_vec check, bad
    cdef pf_vec minus_two_lr = pf_splat(-2.0 * s.lr), zero = pf_splat(0.0)
    cdef const double *group = stats + g * size
    cdef double *out
    cdef double lanes[PF_W]
    cdef double nonfinite, before
    cdef int b, j, r, met, width = degree + 1
    cdef int count[SERIES_BLOCK_MAX]
    if shared:
        for r in range(2 * degree + 1):
            sums[r] = pf_splat(stats[r * PF_W])  # every column's: one broadcast
    for b in range(ng):
        count[b] = <int>min(<Py_ssize_t>PF_W, k - (g + b) * PF_W)  # the real columns
        for r in range(width):
            cv[b * width + r] = pf_load(coef + r * columns + (g + b) * PF_W)
    bad = zero
    for e in range(epochs):
        check = zero
        out = losses + (start + e) * k + g * PF_W
        # one call per group, each unrolled on its own (a loop over the groups
        # would not be, and would keep the coefficients in memory); the
        # processor overlaps the groups' chains
        series_group_epoch(group, degree, shared, sums, minus_two_lr, cv, out, count[0], loss,
                           checked, &check if checked else &bad)
        if ng > 1:
            series_group_epoch(group + size, degree, shared, sums, minus_two_lr, cv + width,
                               out + PF_W, count[1], loss + 1, checked,
                               &check if checked else &bad)
        if ng > 2:
            series_group_epoch(group + 2 * size, degree, shared, sums, minus_two_lr, cv + 2 * width,
                               out + 2 * PF_W, count[2], loss + 2, checked,
                               &check if checked else &bad)
        if ng > 3:
            series_group_epoch(group + 3 * size, degree, shared, sums, minus_two_lr, cv + 3 * width,
                               out + 3 * PF_W, count[3], loss + 3, checked,
                               &check if checked else &bad)
        if checked:  # (the padding columns' values are 0: finite)
            memcpy(lanes, &check, sizeof(pf_vec))
            nonfinite = 0.0
            for j in range(PF_W):
                nonfinite += lanes[j]
            if not nonfinite == 0.0:
                diverged[e] = 1
                done[0] = e
                return
            if s.tol > 0.0:
                met = 0
                for b in range(ng):
                    at = (g + b) * PF_W
                    memcpy(lanes, &loss[b], sizeof(pf_vec))
                    for j in range(count[b]):
                        before = (losses[(start + e - 1) * k + at + j] if start + e > 0
                                  else previous_losses[at + j])
                        met += converged_of(before, lanes[j], s.tol)
                converged[e] += met
    for b in range(ng):
        for r in range(width):
            memcpy(coef + r * columns + (g + b) * PF_W, &cv[b * width + r], sizeof(pf_vec))
            bad = pf_fma(cv[b * width + r], zero, bad)
    memcpy(lanes, &bad, sizeof(pf_vec))
    nonfinite = 0.0
    for j in range(PF_W):
        nonfinite += lanes[j]
    done[0] = epochs if checked or nonfinite == 0.0 else 0


cdef inline_void series_train_gd(const double *stats, const int degree, const bint shared,
                                 double *coef, Py_ssize_t columns, Py_ssize_t first_group,
                                 Py_ssize_t last_group, Py_ssize_t epochs, Py_ssize_t start,
                                 double *losses, Py_ssize_t k, const double *previous_losses,
                                 const Settings *s, const bint checked, int *diverged,
                                 int *converged, bint *nonfinite) noexcept nogil:
    """moments_gd for the columns of groups [first_group, last_group) (a slab
    whose statistics and coefficients stay in L1), epochs start..start+epochs-1,
    a few groups at a time through every epoch (series_train_block): stats by
    group of PF_W columns, each group's 3 degree + 3 statistics then its 2 T,
    one vector each (4 degree + 4 vectors a group: one pointer reaches them
    all); coef (degree + 1, columns, updated in place) by rows; columns a
    multiple of PF_W, zeros beyond the k series.  Each lane with moments_gd's
    arithmetic (its bits).  losses[(start + e) * k + column].
    checked: groups stop at their first epoch whose loss or update is not
    finite for a real column and set diverged[e] (e from 0; the groups after
    them run only up to that epoch, since the chunk stops there: coef is then
    not meaningful, series_train runs the chunk again), and add to converged[e]
    the real columns whose loss fell by at most tol (complete for every epoch
    before the first diverged one); unchecked, the epochs run through.
    nonfinite: True if some loss or coefficient was not finite, else False."""
    cdef Py_ssize_t g = first_group, done = 0
    cdef int groups = series_block_groups(degree)  # a constant once degree is
    # shared power sums in registers where they fit beside the coefficients,
    # else loaded (each group's statistics hold them too: the same values)
    cdef bint registers = shared and (PF_W == 8 or degree <= 4)
    nonfinite[0] = False
    while g < last_group:
        # shared and checked made constants too: a flag tested inside the
        # epoch keeps its values in memory
        if checked:  # (group by group: the checked runs are the rare ones)
            if registers:
                series_train_block(stats, degree, True, coef, columns, g, 1, epochs, start,
                                   losses, k, previous_losses, s, True, diverged, converged,
                                   &done)
            else:
                series_train_block(stats, degree, False, coef, columns, g, 1, epochs, start,
                                   losses, k, previous_losses, s, True, diverged, converged,
                                   &done)
            g += 1
        elif groups >= 4 and g + 4 <= last_group:
            if registers:
                series_train_block(stats, degree, True, coef, columns, g, 4, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            else:
                series_train_block(stats, degree, False, coef, columns, g, 4, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            g += 4
        elif groups >= 2 and g + 2 <= last_group:
            if registers:
                series_train_block(stats, degree, True, coef, columns, g, 2, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            else:
                series_train_block(stats, degree, False, coef, columns, g, 2, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            g += 2
        else:
            if registers:
                series_train_block(stats, degree, True, coef, columns, g, 1, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            else:
                series_train_block(stats, degree, False, coef, columns, g, 1, epochs, start,
                                   losses, k, previous_losses, s, False, diverged, converged,
                                   &done)
            g += 1
        if done < epochs:
            nonfinite[0] = True
            if checked:
                epochs = done


cdef inline int converged_of(double previous, double loss, double tol) noexcept nogil:
    return 1 if converged(previous, loss, tol) else 0


cdef bint series_train_chunk(const double *stats, int degree, bint shared, double *coef,
                             Py_ssize_t columns, Py_ssize_t first, Py_ssize_t last,
                             Py_ssize_t epochs, Py_ssize_t start, double *losses, Py_ssize_t k,
                             const double *previous_losses, const Settings *s, bint checked,
                             int *diverged, int *converged) noexcept nogil:
    """series_train_gd of groups [first, last) with the degree a constant (degree <=
    MOMENTS_SPECIALISED_MAX): True if some loss or coefficient was not finite."""
    cdef bint nonfinite = False
    if degree == 0:
        series_train_gd(stats, 0, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 1:
        series_train_gd(stats, 1, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 2:
        series_train_gd(stats, 2, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 3:
        series_train_gd(stats, 3, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 4:
        series_train_gd(stats, 4, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 5:
        series_train_gd(stats, 5, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 6:
        series_train_gd(stats, 6, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    elif degree == 7:
        series_train_gd(stats, 7, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    else:
        series_train_gd(stats, 8, shared, coef, columns, first, last, epochs, start, losses,
                        k, previous_losses, s, checked, diverged, converged, &nonfinite)
    return nonfinite


cdef Py_ssize_t series_train(const double *stats, int degree, bint shared, double *coef,
                             double *snapshot, Py_ssize_t columns, double *losses,
                             Py_ssize_t k, Py_ssize_t epochs, const double *previous_losses,
                             int *flags, const Settings *s, int *status) noexcept nogil:
    """Plain gradient descent on the statistics of k series (see series_train_gd),
    in chunks of SERIES_CHUNK epochs: each group of columns runs a chunk's epochs
    on its own (slabs of groups on several threads, each column's arithmetic the
    same whatever the thread), then the chunk's flags say whether some epoch in
    it stopped the fit -- a column's loss or update not finite (DIVERGED, coef as
    before that epoch), or every column's loss falling by at most tol
    (CONVERGED, after its update).  Then every column is run again from the
    chunk's snapshot up to that epoch, so all stop together.  Without tol, only
    a value that is not finite stops the fit: the chunks are then pieces of up
    to SERIES_PIECE_VALUES column-epochs (one parallel region each, not one per
    SERIES_CHUNK epochs: on a busy machine every region can wait on a thread
    that is not running), and a piece that met one runs again from its
    snapshot a chunk at a time.  flags: 2 SERIES_CHUNK ints (per slab, and
    once more, with threads)."""
    cdef Py_ssize_t groups = columns // PF_W, start = 0, chunk, e, slab, completed = 0
    cdef Py_ssize_t slabs, per_slab = SERIES_SLAB // PF_W, first, last, careful_until = 0
    cdef Py_ssize_t piece = max(<Py_ssize_t>1, SERIES_PIECE_VALUES // columns // SERIES_CHUNK)
    cdef int *diverged = flags
    cdef int *converged = flags + SERIES_CHUNK
    cdef int threads, stop = OK, nonfinite
    cdef bint checked
    cdef Poll poll
    slabs = (groups + per_slab - 1) // per_slab
    threads = max(1, min(s.nthreads, <int>slabs))
    if not pf_have_openmp():
        threads = 1
    poll_init(&poll, s.poll_signals, 1)
    while start < epochs and stop == OK:
        if poll_now(&poll):
            break
        checked = s.tol > 0.0  # tol needs every epoch's flags; divergence can wait
        chunk = min(SERIES_CHUNK * (1 if checked or start < careful_until else piece),
                    epochs - start)
        memcpy(snapshot, coef, <size_t>((degree + 1) * columns) * sizeof(double))
        for e in range(2 * SERIES_CHUNK * (slabs + 1 if threads > 1 else 1)):
            flags[e] = 0
        nonfinite = 0
        if threads == 1:
            for slab in range(slabs):
                nonfinite += series_train_chunk(stats, degree, shared, coef, columns,
                                                slab * per_slab,
                                                min((slab + 1) * per_slab, groups), chunk,
                                                start, losses, k, previous_losses, s, checked,
                                                diverged, converged)
        else:
            for slab in prange(slabs, num_threads=threads, schedule="static"):
                first = slab * per_slab
                last = min(first + per_slab, groups)
                nonfinite += series_train_chunk(stats, degree, shared, coef, columns, first,
                                                last, chunk, start, losses, k, previous_losses,
                                                s, checked,
                                                flags + (slab + 1) * 2 * SERIES_CHUNK,
                                                flags + (slab + 1) * 2 * SERIES_CHUNK
                                                + SERIES_CHUNK)
            for slab in range(slabs if checked else 0):  # each slab's flags, in order
                for e in range(chunk):
                    diverged[e] |= flags[(slab + 1) * 2 * SERIES_CHUNK + e]
                    converged[e] += flags[(slab + 1) * 2 * SERIES_CHUNK + SERIES_CHUNK + e]
        if not checked and nonfinite and chunk > SERIES_CHUNK:
            # a piece that met a value not finite: again, a chunk at a time
            memcpy(coef, snapshot, <size_t>((degree + 1) * columns) * sizeof(double))
            careful_until = start + chunk
            continue
        if not checked and not nonfinite:  # (the flags were not written)
            start += chunk
            completed = start
            continue
        if not checked:
            # something went non-finite in the chunk: run it again with every
            # epoch checked, from the snapshot, to find the first such epoch
            memcpy(coef, snapshot, <size_t>((degree + 1) * columns) * sizeof(double))
            for slab in range(slabs):
                series_train_chunk(stats, degree, shared, coef, columns, slab * per_slab,
                                   min((slab + 1) * per_slab, groups), chunk, start, losses, k,
                                   previous_losses, s, True, diverged, converged)
        for e in range(chunk):
            if diverged[e]:
                stop = DIVERGED
                break
            if s.tol > 0.0 and converged[e] == k:
                stop = CONVERGED
                e += 1  # that epoch's update is taken
                break
        if stop == OK:
            start += chunk
            completed = start
        else:  # every column again from the snapshot, up to the stopping epoch
            memcpy(coef, snapshot, <size_t>((degree + 1) * columns) * sizeof(double))
            for slab in range(slabs):
                series_train_chunk(stats, degree, shared, coef, columns, slab * per_slab,
                                   min((slab + 1) * per_slab, groups), e, start, losses, k,
                                   previous_losses, s, False, diverged, converged)
            completed = start + e
    status[0] = INTERRUPTED if poll.interrupted else stop
    return completed


# ------------------------------------------------------------ the optimum of the statistics
#
# Small dense algebra on G (degree + 1 <= SMALL_MAX rows), for the checks around a
# fit: numpy's LAPACK wrappers cost microseconds per call, a fit of the
# tutorial's size a few dozen.  polyfit._stats falls back to numpy above SMALL_MAX.

cdef void jacobi(double *a, double *v, int n) noexcept nogil:
    """Eigenvalues (on a's diagonal) and eigenvectors (v's columns) of the
    symmetric n x n matrix a (row-major, overwritten), by cyclic Jacobi
    rotations.  A rotation is skipped where a[p, q] is below the rounding of
    sqrt(|a[p, p] a[q, q]|), which keeps the small eigenvalues of a graded,
    positive definite matrix (G of raw powers) to high relative accuracy; it
    stops after a sweep with no rotation."""
    cdef int p, q, r, sweep
    cdef bint rotated
    cdef double apq, app, aqq, theta, t, c, sn, tau, arp, arq, vrp, vrq
    for p in range(n):
        for q in range(n):
            v[p * n + q] = 1.0 if p == q else 0.0
    for sweep in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p * n + q]
                app = a[p * n + p]
                aqq = a[q * n + q]
                if fabs(apq) <= 1e-18 * sqrt(fabs(app * aqq)) or apq == 0.0:
                    continue
                rotated = True
                theta = (aqq - app) / (2.0 * apq)
                t = 1.0 / (fabs(theta) + sqrt(theta * theta + 1.0))
                if theta < 0.0:
                    t = -t
                c = 1.0 / sqrt(t * t + 1.0)
                sn = t * c
                tau = sn / (1.0 + c)
                a[p * n + p] = app - t * apq
                a[q * n + q] = aqq + t * apq
                a[p * n + q] = a[q * n + p] = 0.0
                for r in range(n):
                    if r != p and r != q:
                        arp = a[r * n + p]
                        arq = a[r * n + q]
                        a[r * n + p] = a[p * n + r] = arp - sn * (arq + tau * arp)
                        a[r * n + q] = a[q * n + r] = arq + sn * (arp - tau * arq)
                    vrp = v[r * n + p]
                    vrq = v[r * n + q]
                    v[r * n + p] = vrp - sn * (vrq + tau * vrp)
                    v[r * n + q] = vrq + sn * (vrp - tau * vrq)
        if not rotated:
            break


cdef void hankel_eigh(const double *stats, int n, double *eigenvalues,
                      double *vectors) noexcept nogil:
    """eigh's work, n = degree + 1 <= SMALL_MAX rows (called from C, so the
    optimum pays no Python call for it)."""
    cdef int i, j, k, best
    cdef double a[SMALL_MAX * SMALL_MAX]
    cdef double v[SMALL_MAX * SMALL_MAX]
    cdef int order[SMALL_MAX]
    for j in range(n):
        for k in range(n):
            a[j * n + k] = stats[j + k]
    jacobi(a, v, n)
    for i in range(n):  # a selection sort of the eigenvalues, ascending
        order[i] = i
    for i in range(n):
        best = i
        for j in range(i + 1, n):
            if a[order[j] * n + order[j]] < a[order[best] * n + order[best]]:
                best = j
        order[i], order[best] = order[best], order[i]
    for i in range(n):
        eigenvalues[i] = a[order[i] * n + order[i]]
        for j in range(n):
            vectors[j * n + i] = v[j * n + order[i]]


def eigh(const double[::1] stats, int degree, double[::1] eigenvalues, double[::1] vectors):
    """G's eigenvalues (ascending) and eigenvectors (columns of the row-major
    (degree + 1)^2 array `vectors`) for G_jk = stats[j + k], degree + 1 <=
    SMALL_MAX."""
    if degree + 1 > SMALL_MAX:
        raise ValueError(f"degree + 1 must be at most {SMALL_MAX}")
    with nogil:
        hankel_eigh(&stats[0], degree + 1, &eigenvalues[0], &vectors[0])


def rewindow(const double[:, ::1] stats, int degree, double a, double b, double[:, ::1] out):
    """The statistics of u' = a u + b from those of u, a row each (k series):
    S'_m = sum_j C(m, j) a^j b^(m - j) S_j for m <= 2 degree, T'_m likewise for
    m <= degree (j ascending; the weights' powers by repeated multiplication),
    sum y^2 as it is.  Its rounding is that of the sums of u magnified by at
    most (2 degree + 1) (1 + 2 |b|)^(2 degree) where |a u + b| <= 1 on the data
    (see polyfit._stats.rewindow); inf where the powers overflow."""
    cdef Py_ssize_t row, rows = stats.shape[0]
    cdef int size = 2 * degree + 1, m, j
    cdef double *weight  # row m of the map: C(m, j) a^j b^(m - j)
    cdef double *binomial
    cdef double total, power_a
    weight = <double *>malloc(2 * <size_t>size * sizeof(double))
    if weight == NULL:
        raise MemoryError("polyfit: out of memory for the map of the statistics")
    binomial = weight + size
    with nogil:
        for m in range(size):
            binomial[m] = 1.0  # C(m, m); the row below is built in place
            j = m - 1
            while j > 0:
                binomial[j] = binomial[j] + binomial[j - 1]
                j -= 1
            power_a = 1.0
            for j in range(m + 1):  # a^j b^(m - j), b's power from the top down
                weight[j] = binomial[j] * power_a
                power_a = power_a * a
            total = 1.0
            j = m
            while j >= 0:
                weight[j] = weight[j] * total
                total = total * b
                j -= 1
            for row in range(rows):
                total = 0.0
                for j in range(m + 1):
                    total = total + weight[j] * stats[row, j]
                out[row, m] = total
                if m <= degree:
                    total = 0.0
                    for j in range(m + 1):
                        total = total + weight[j] * stats[row, size + j]
                    out[row, size + m] = total
        for row in range(rows):
            out[row, 3 * degree + 2] = stats[row, 3 * degree + 2]
    free(weight)


def optimum(const double[::1] stats, int degree, double resolved, double[::1] eigenvalues,
            double[::1] vectors, double[::1] coef):
    """The least-squares optimum of the statistics' quadratic: G's eigensystem
    (as eigh), the least-norm minimiser over the eigenvalues above resolved *
    lambda_max into coef, and (loss, size, rank): loss = sum y^2 - sum over them
    of (v.T)^2 / lambda, at least 0; size = sum y^2 + |c|.|G||c| + 2 |c|.|T|,
    the scale of the loss's rounding; rank = the eigenvalues kept."""
    cdef int n = degree + 1, i, j, k, rank = 0
    cdef const double *cross = &stats[2 * degree + 1]
    cdef double total = stats[3 * degree + 2], explained = 0.0, size, projection, limit
    if n > SMALL_MAX:
        raise ValueError(f"degree + 1 must be at most {SMALL_MAX}")
    hankel_eigh(&stats[0], n, &eigenvalues[0], &vectors[0])
    for j in range(n):
        coef[j] = 0.0
    limit = resolved * eigenvalues[n - 1]
    for i in range(n):
        if not eigenvalues[i] > limit:
            continue
        rank += 1
        projection = 0.0
        for j in range(n):
            projection += vectors[j * n + i] * cross[j]
        explained += projection * projection / eigenvalues[i]
        for j in range(n):
            coef[j] += vectors[j * n + i] * (projection / eigenvalues[i])
    size = total
    for j in range(n):
        for k in range(n):
            size += fabs(coef[j]) * fabs(stats[j + k]) * fabs(coef[k])
        size += 2.0 * fabs(coef[j]) * fabs(cross[j])
    return max(0.0, total - explained), size, rank


cdef double decay_terms(const double *eigenvalues, const double *vectors, const double *coef,
                        const double *start, Py_ssize_t n, double limit, double *energy,
                        double *log_rates) noexcept nogil:
    """decay's work (see there); returns the excess at the start."""
    cdef Py_ssize_t i, j
    cdef double part, total = 0.0, largest = eigenvalues[n - 1]
    for i in range(n):
        energy[i] = 0.0
        log_rates[i] = 0.0
        if not eigenvalues[i] > limit:
            continue
        part = 0.0
        for j in range(n):
            part += vectors[j * n + i] * (start[j] - coef[j])
        energy[i] = eigenvalues[i] * part * part
        log_rates[i] = -INFINITY  # the top direction: one epoch removes it
        if eigenvalues[i] < largest:
            log_rates[i] = log(1.0 - eigenvalues[i] / largest)
        total += energy[i]
    return total


def decay(const double[::1] eigenvalues, const double[::1] vectors, const double[::1] coef,
          const double[::1] start, double limit, double[::1] energy, double[::1] log_rates):
    """How plain gradient descent with lr = 1 / (2 lambda_max) closes on the
    optimum coef from start: along eigenvector i (those with eigenvalue above
    limit; the others get energy 0) the loss above the optimum holds energy_i =
    lambda_i (v_i.(start - coef))^2, multiplied by exp(2 log_rate_i) an epoch,
    log_rate_i = log(1 - lambda_i / lambda_max).  Returns the sum of energy
    (the excess at the start)."""
    return decay_terms(&eigenvalues[0], &vectors[0], &coef[0], &start[0],
                       eigenvalues.shape[0], limit, &energy[0], &log_rates[0])


cdef double excess_at(const double *energy, const double *log_rates, Py_ssize_t n,
                      double epochs) noexcept nogil:
    cdef double total = 0.0
    cdef Py_ssize_t i
    for i in range(n):
        if epochs == 0.0:
            total += energy[i]
        elif isfinite(log_rates[i]):
            total += energy[i] * exp(2.0 * epochs * log_rates[i])
    return total


cdef long long bisect_epochs(const double *energy, const double *log_rates, Py_ssize_t n,
                             double excess, long long cap) noexcept nogil:
    """epochs_needed's work (see there)."""
    cdef Py_ssize_t i
    cdef long long low = 0, high = cap, middle, upper = 0
    cdef double bound
    cdef int terms = 0
    if excess_at(energy, log_rates, n, 0) <= excess:
        return 0
    if excess_at(energy, log_rates, n, <double>cap) > excess:
        return -1
    for i in range(n):  # the terms that epochs must bring down
        if energy[i] > 0.0 and log_rates[i] < 0.0 and isfinite(log_rates[i]):
            terms += 1
    for i in range(n):
        if energy[i] > 0.0 and log_rates[i] < 0.0 and isfinite(log_rates[i]):
            # no epoch count below a term's own is enough ...
            if energy[i] > excess:
                bound = log(excess / energy[i]) / (2.0 * log_rates[i])
                if bound - 1.0 > <double>low and bound - 1.0 < <double>cap:
                    low = <long long>(bound - 1.0)
            # ... and every term at most excess / terms is (the bracket's top)
            bound = log(excess / (terms * energy[i])) / (2.0 * log_rates[i]) + 2.0
            if bound > <double>upper:
                upper = <long long>min(bound, <double>cap)
    if upper > low and excess_at(energy, log_rates, n, <double>upper) <= excess:
        high = upper  # a bracket of a few dozen epochs, not of the cap: ~6 steps, not ~30
    if excess_at(energy, log_rates, n, <double>low) <= excess:
        low = 0  # the bound's rounding: start from scratch (still a bracket)
    while high - low > 1:
        middle = low + (high - low) // 2
        if excess_at(energy, log_rates, n, <double>middle) <= excess:
            high = middle
        else:
            low = middle
    return high


def epochs_needed(const double[::1] energy, const double[::1] log_rates, double excess,
                  long long cap):
    """The fewest epochs t with sum energy_i exp(2 t log_rate_i) <= excess, or -1
    if more than cap are needed (log_rates <= 0; -inf for a direction gradient
    descent removes in one epoch).  The sum falls monotonically: a bisection
    between the bounds the terms give (each alone; each within excess / terms)."""
    return bisect_epochs(&energy[0], &log_rates[0], energy.shape[0], excess, cap)


def descent(const double[::1] eigenvalues, const double[:, ::1] vectors,
            const double[::1] coef, const double[::1] start, double limit, double target,
            double slack, double floor_scale, long long cap):
    """decay, then epochs_needed within target + (slack + floor_scale * initial) / 2,
    in one call (the ConvergenceWarning's remedy; that arithmetic, its bits);
    vectors (degree + 1, degree + 1), the eigenvectors in columns.  Returns
    (initial, epochs or -1)."""
    cdef Py_ssize_t n = eigenvalues.shape[0]
    cdef double initial, floor
    cdef long long needed
    cdef double *terms = <double *>malloc(2 * <size_t>n * sizeof(double))  # energy, log_rates
    if terms == NULL:
        raise MemoryError("polyfit: out of memory for the remedy's terms")
    initial = decay_terms(&eigenvalues[0], &vectors[0, 0], &coef[0], &start[0], n, limit, terms,
                          terms + n)
    floor = slack + floor_scale * initial
    needed = bisect_epochs(terms, terms + n, n, target + 0.5 * floor, cap)
    free(terms)
    return initial, needed


# ------------------------------------------------------------ the Python interface

cdef int check_status(int status) except -1:
    """Raise for a status the caller cannot act on; the exception a signal
    handler raised (see signals_pending) is still set and propagates."""
    if status == NOMEM:
        raise MemoryError("polyfit: out of memory for the block sums")
    if status == INTERRUPTED:
        return -1
    return 0


cdef Settings make_settings(double lr, double tol, double previous_loss, int threads,
                            bint poll_signals, int optimizer, const double[::1] hyper,
                            double[::1] state) noexcept:
    """hyper = (momentum, alpha, beta1, beta2, eps); state: state_size(degree)
    doubles.  The plain step reads neither: None may stand for both (two
    buffers fewer to take in every small fit's call)."""
    cdef Settings settings
    settings.lr = lr
    settings.optimizer = optimizer
    settings.momentum = settings.alpha = settings.beta1 = settings.beta2 = settings.eps = 0.0
    settings.state = NULL
    if optimizer != GD:
        settings.momentum = hyper[0]
        settings.alpha = hyper[1]
        settings.beta1 = hyper[2]
        settings.beta2 = hyper[3]
        settings.eps = hyper[4]
        settings.state = &state[0]
    settings.tol = tol
    settings.previous_loss = previous_loss
    settings.nthreads = threads
    settings.poll_signals = poll_signals  # Python runs signal handlers on its main thread
    return settings


cdef Job make_job(Py_ssize_t n, const double[::1] weights, const double *coef, int degree,
                  double shift, double factor, bint moments, int fuse=UNFUSED,
                  const double *other=NULL) noexcept:
    cdef Job job
    job.aligned = n >= ALIGNED_MIN_SAMPLES
    job.coef = coef
    job.weights = &weights[0] if weights is not None else NULL
    job.offset = map_offset(shift, factor)
    job.factor = factor
    job.degree = degree
    job.moments = moments
    job.fuse = fuse
    job.other = other
    job.scaled = moments or shift != 0.0 or factor != 1.0
    return job


def run_epochs(const floating[::1] x, const floating[::1] y, const double[::1] weights,
               double[::1] coef, double[::1] losses, double lr, double tol, double previous_loss,
               double shift, double factor, int threads, bint poll_signals, int optimizer,
               const double[::1] hyper, double[::1] state, double[::1] moments_out=None):
    """Run len(losses) epochs in place on coef (in u = (x - shift) * factor, with
    weights or None); returns (epochs completed, status).

    tol stops once the loss falls by less than tol (relative) in an epoch;
    previous_loss is the loss of the epoch before the first (NaN: none).
    poll_signals: run Python's signal handlers about every 20 ms (main thread
    only); an exception they raise (KeyboardInterrupt) propagates from here.
    moments_out, if given (degree <= FUSED_MAX, at least one epoch): the power
    sums of the scaled x, read in the first epoch's pass.
    """
    cdef Py_ssize_t completed
    cdef int status = OK
    cdef double *losses_ptr = &losses[0] if losses.shape[0] > 0 else NULL
    cdef Settings settings = make_settings(lr, tol, previous_loss, threads, poll_signals,
                                           optimizer, hyper, state)
    cdef Job job = make_job(x.shape[0], weights, &coef[0], <int>coef.shape[0] - 1, shift,
                            factor, False)
    cdef double *moments_ptr = NULL
    if moments_out is not None:
        if job.degree > MOMENTS_SPECIALISED_MAX or losses.shape[0] == 0:
            raise ValueError("moments_out needs degree <= FUSED_MAX and an epoch")
        moments_ptr = &moments_out[0]
    with nogil:
        completed = fit_epochs(&x[0], &y[0], &job, x.shape[0], &coef[0], losses.shape[0],
                               losses_ptr, &settings, moments_ptr, &status)
    check_status(status)
    return completed, status


def sums(const floating[::1] x, const floating[::1] y, const double[::1] weights,
         const double[::1] coef, double shift, double factor, double[::1] out, int threads,
         bint poll_signals):
    """out[0] = sum w r**2, out[1 + k] = sum w r u**k, r = p(u) - y,
    u = (x - shift) * factor (w = 1 when weights is None)."""
    cdef int status
    cdef Job job = make_job(x.shape[0], weights, &coef[0], <int>coef.shape[0] - 1, shift,
                            factor, False)
    with nogil:
        status = data_pass(&x[0], &y[0], &job, 1, x.shape[0], threads, poll_signals, &out[0],
                           NULL)
    check_status(status)


def moments(const floating[::1] x, const floating[::1] y, const double[::1] weights, int degree,
            double shift, double factor, double[::1] out, int threads, bint poll_signals,
            double[::1] x_range=None):
    """The power sums of u = (x - shift) * factor into out (3 degree + 3 values):
    sum w u^k (k <= 2 degree), sum w u^k y (k <= degree), sum w y^2 (w = 1 when
    weights is None).  Returns whether every sum is finite (the caller's check,
    without a numpy call).  x_range, if given: (min(x), max(x)) as x_range
    gives them, read in the same pass."""
    cdef int status
    cdef Job job = make_job(x.shape[0], weights, NULL, degree, shift, factor, True)
    cdef double *range_out = &x_range[0] if x_range is not None else NULL
    cdef bint finite
    with nogil:
        status = data_pass(&x[0], &y[0], &job, 1, x.shape[0], threads, poll_signals, &out[0],
                           range_out)
        finite = first_nonfinite_of(&out[0], out.shape[0]) < 0
    check_status(status)
    return finite


def final_pass(const floating[::1] x, const floating[::1] y, const double[::1] weights,
               double shift, double factor, const double[::1] coef,
               const double[::1] other_coef, double[::1] moments_out, int threads,
               bint poll_signals, double[::1] x_range=None):
    """One pass, each block read once for: the loss at coef (returned first, as
    sums() gives it), the loss at other_coef (returned second; NaN if it is
    None), the power sums of (x - shift) * factor of coef's degree into
    moments_out unless it is None, and x's range into x_range unless it is
    None.  Up to degree FUSED_MAX, with other_coef or the power sums (not
    both), one job reads each sample once for all of them (fused_block);
    x_range is then (min, max) of the finite values, to be trusted where
    moments_out is finite.  Otherwise as x_range gives it."""
    cdef Job jobs[MAX_JOBS]
    cdef int njobs = 1, status, k, degree = <int>coef.shape[0] - 1
    cdef int moments_at = degree + 2, other_at = degree + 2, width
    cdef double totals[4 * 64 + 8]
    cdef double *heap = NULL
    cdef double *sums_out = totals
    cdef double *range_out = &x_range[0] if x_range is not None else NULL
    cdef bint fused = (degree <= MOMENTS_SPECIALISED_MAX
                       and (moments_out is None) != (other_coef is None))
    jobs[0] = make_job(x.shape[0], weights, &coef[0], degree, shift, factor, False,
                       UNFUSED if not fused else FINAL if other_coef is None else TWO_LOSSES,
                       &other_coef[0] if fused and other_coef is not None else NULL)
    width = job_width(&jobs[0])
    if fused:
        moments_at = other_at = 1
    if moments_out is not None and not fused:
        jobs[njobs] = make_job(x.shape[0], weights, NULL, degree, shift, factor, True)
        moments_at = width
        width += 3 * degree + 3
        njobs += 1
    if other_coef is not None and not fused:
        jobs[njobs] = make_job(x.shape[0], weights, &other_coef[0], degree, shift, factor, False)
        other_at = width
        width += degree + 2
        njobs += 1
    if width > 4 * 64 + 8:
        heap = <double *>malloc(width * sizeof(double))
        if heap == NULL:
            raise MemoryError("polyfit: out of memory for the block sums")
        sums_out = heap
    try:
        with nogil:
            status = data_pass(&x[0], &y[0], jobs, njobs, x.shape[0], threads, poll_signals,
                               sums_out, range_out)
        check_status(status)
        if moments_out is not None:
            for k in range(3 * degree + 3):
                moments_out[k] = sums_out[moments_at + k]
        return sums_out[0], sums_out[other_at] if other_coef is not None else NAN
    finally:
        free(heap)


cdef inline void range_take(double v, double *low, double *high, double *nan) noexcept nogil:
    """One sample into one lane of range_of."""
    low[0] = v if v < low[0] else low[0]
    high[0] = v if v > high[0] else high[0]
    nan[0] += v - v  # NaN for a NaN or an infinity


cdef void range_of(const floating *a, Py_ssize_t n, double *lo, double *hi) noexcept nogil:
    """The smallest and largest of a[0..n-1] (NaN if any is NaN), in one pass of
    2 RANGE_LANES independent lanes (min and max are exact, so their order does
    not matter; with four lanes the chain of the NaN check kept it at 2 cycles
    a sample, as slow as reading x from memory).  Half of the lanes read a's
    first half, the others its second, side by side: one core streams two
    arrays faster than one (10^7 float64, Zen 5: 2.7 -> 2.1-2.2 ms on AVX-512,
    2.3-2.4 -> 1.9-2.0 on AVX2, 3.1 -> 2.7-2.8 on the baseline)."""
    cdef double low[2 * RANGE_LANES]
    cdef double high[2 * RANGE_LANES]
    cdef double nan[2 * RANGE_LANES]
    cdef Py_ssize_t half = n // (2 * RANGE_LANES) * RANGE_LANES, i = 0
    cdef const floating *b = a + half
    cdef int j, k
    for k in range(2 * RANGE_LANES):
        low[k] = high[k] = <double>a[0]
        nan[k] = 0.0
    while i < half:
        for k in range(RANGE_LANES):
            range_take(<double>a[i + k], &low[k], &high[k], &nan[k])
            j = RANGE_LANES + k
            range_take(<double>b[i + k], &low[j], &high[j], &nan[j])
        i += RANGE_LANES
    for i in range(2 * half, n):
        range_take(<double>a[i], &low[0], &high[0], &nan[0])
    for k in range(1, 2 * RANGE_LANES):
        low[0] = low[k] if low[k] < low[0] else low[0]
        high[0] = high[k] if high[k] > high[0] else high[0]
        nan[0] += nan[k]
    lo[0] = low[0] + nan[0]  # NaN when a value was NaN or infinite
    hi[0] = high[0] + nan[0]


def x_range(const floating[::1] x):
    """(min(x), max(x)) in one compiled pass; both NaN if x holds a NaN or an
    infinity (then first_nonfinite finds it)."""
    cdef double lo, hi
    with nogil:
        range_of(&x[0], x.shape[0], &lo, &hi)
    return lo, hi


def train_moments(const double[::1] stats, double[::1] coef, double[::1] losses, double lr,
                  double tol, double previous_loss, bint poll_signals, int optimizer,
                  const double[::1] hyper, double[::1] state):
    """Epochs of gradient descent on the statistics; as run_epochs."""
    cdef Py_ssize_t completed
    cdef int status = OK
    cdef double *losses_ptr = &losses[0] if losses.shape[0] > 0 else NULL
    cdef Settings settings = make_settings(lr, tol, previous_loss, 1, poll_signals, optimizer,
                                           hyper, state)
    with nogil:
        completed = train_on_moments(&stats[0], <int>coef.shape[0] - 1, &coef[0],
                                     losses.shape[0], losses_ptr, &settings, &status)
    check_status(status)
    return completed, status


cdef Series make_series(const double[::1] weights, const double[:, ::1] weights2d,
                        const double *coef, Py_ssize_t k, int degree, double shift,
                        double factor, bint moments) noexcept:
    cdef Series job
    job.k = k
    job.first_column = 0
    job.last_column = k
    job.coef = coef
    job.weights = &weights[0] if weights is not None else NULL
    job.weights2d = &weights2d[0, 0] if weights2d is not None else NULL
    job.offset = map_offset(shift, factor)
    job.factor = factor
    job.degree = degree
    job.moments = moments
    job.scaled = shift != 0.0 or factor != 1.0
    return job


def series_epochs_run(const floating[::1] x, const floating[:, ::1] y,
                      const double[::1] weights, const double[:, ::1] weights2d,
                      double[:, ::1] coef, double[:, ::1] losses, double lr, double tol,
                      const double[::1] previous_losses, double shift, double factor,
                      int threads, bint poll_signals):
    """Plain gradient descent for the k columns of y at once (the exact method):
    coef (degree + 1, k) in place, losses (epochs, k); weights: one per sample
    (or None), weights2d: one per value (or None).  Returns (epochs completed,
    status), as run_epochs."""
    cdef Py_ssize_t completed, k = y.shape[1]
    cdef int status = OK
    cdef Settings settings
    cdef Series job = make_series(weights, weights2d, &coef[0, 0], k, <int>coef.shape[0] - 1,
                                  shift, factor, False)
    settings.lr = lr
    settings.tol = tol
    settings.nthreads = threads
    settings.poll_signals = poll_signals
    with nogil:
        completed = series_epochs(&x[0], &y[0, 0], &job, x.shape[0], &coef[0, 0],
                                  losses.shape[0], &losses[0, 0] if losses.shape[0] else NULL,
                                  &previous_losses[0], &settings, &status)
    check_status(status)
    return completed, status


def series_sums(const floating[::1] x, const floating[:, ::1] y, const double[::1] weights,
                const double[:, ::1] weights2d, const double[:, ::1] coef, double shift,
                double factor, double[:, ::1] out, int threads, bint poll_signals):
    """For every column c of y: out[0, c] = sum w r**2, out[1 + j, c] = sum w r
    u**j, r = p_c(u) - y[:, c] with p_c's coefficients coef[:, c]."""
    cdef int status
    cdef Poll poll
    cdef Series job = make_series(weights, weights2d, &coef[0, 0], y.shape[1],
                                  <int>coef.shape[0] - 1, shift, factor, False)
    poll_init(&poll, poll_signals, POLL_BLOCKS)
    with nogil:
        status = series_pass(&x[0], &y[0, 0], &job, x.shape[0], threads, &poll, &out[0, 0])
    check_status(status)


def series_moments(const floating[::1] x, const floating[:, ::1] y, const double[::1] weights,
                   const double[:, ::1] weights2d, int degree, double shift, double factor,
                   double[:, ::1] out, int threads, bint poll_signals):
    """out[c] = the power sums of x and y[:, c] (as moments(), 3 degree + 3 each),
    bit for bit what moments() gives for that column alone."""
    cdef int status
    cdef Poll poll
    cdef Series job = make_series(weights, weights2d, NULL, y.shape[1], degree, shift, factor,
                                  True)
    poll_init(&poll, poll_signals, POLL_BLOCKS)
    with nogil:
        status = series_pass(&x[0], &y[0, 0], &job, x.shape[0], threads, &poll, &out[0, 0])
    check_status(status)


def series_train_moments(const double[:, ::1] stats, double[:, ::1] coef,
                         double[:, ::1] losses, double lr, double tol,
                         const double[::1] previous_losses, bint poll_signals, int threads=1):
    """Plain gradient descent on the statistics of k series at once (degree <= 8):
    stats (k, 3 degree + 3) as series_moments gives them, coef (degree + 1, k)
    in place, losses (epochs, k).  Each column's coefficients and losses are
    those of train_moments on its own statistics, bit for bit, while no column
    diverges and tol is not met (then all stop at that epoch: see series_train);
    the same for every thread count.  Returns (epochs completed, status)."""
    cdef Py_ssize_t k = stats.shape[0], width = stats.shape[1], columns, c, j, completed
    cdef Py_ssize_t slabs, at
    cdef int degree = <int>coef.shape[0] - 1, status = OK
    cdef Settings settings
    cdef bint shared
    cdef double *buffer
    cdef int *flags
    if degree > MOMENTS_SPECIALISED_MAX:
        raise ValueError(f"degree must be at most {MOMENTS_SPECIALISED_MAX}")
    columns = (k + PF_W - 1) // PF_W * PF_W
    slabs = (columns // PF_W + SERIES_SLAB // PF_W - 1) // (SERIES_SLAB // PF_W)
    settings.lr = lr
    settings.tol = tol
    settings.nthreads = threads
    settings.poll_signals = poll_signals
    # stats by groups of PF_W columns (a group's rows one vector each, then 2 T's),
    # coefficients by rows, padded with zero columns to whole vectors
    buffer = <double *>malloc(<size_t>(columns * (width + 3 * (degree + 1)) + 8)
                              * sizeof(double))
    flags = <int *>malloc(<size_t>(2 * SERIES_CHUNK * (slabs + 1)) * sizeof(int))
    if buffer == NULL or flags == NULL:
        free(buffer)
        free(flags)
        raise MemoryError("polyfit: out of memory for the statistics")
    cdef double *rows = <double *>((<uintptr_t>buffer + 63) & ~(<uintptr_t>63))
    cdef double *current = rows + columns * (width + degree + 1)  # after 2 T's rows
    cdef double *snapshot = current + columns * (degree + 1)
    try:
        shared = True  # the same power sums in every column: G broadcast, not loaded
        for c in range(columns):
            at = (c // PF_W * (width + degree + 1)) * PF_W + c % PF_W  # row 0 of c
            for j in range(width):
                rows[at + j * PF_W] = stats[c, j] if c < k else 0.0
                if j <= 2 * degree and c < k and stats[c, j] != stats[0, j]:
                    shared = False
            for j in range(degree + 1):
                rows[at + (width + j) * PF_W] = 2.0 * rows[at + (2 * degree + 1 + j) * PF_W]
                current[j * columns + c] = coef[j, c] if c < k else 0.0
        with nogil:
            completed = series_train(rows, degree, shared, current, snapshot, columns,
                                     &losses[0, 0] if losses.shape[0] else NULL, k,
                                     losses.shape[0], &previous_losses[0], flags, &settings,
                                     &status)
        for j in range(degree + 1):
            for c in range(k):
                coef[j, c] = current[j * columns + c]
    finally:
        free(buffer)
        free(flags)
    check_status(status)
    return completed, status


def moments_loss(const double[::1] stats, const double[::1] coef):
    """The loss of coef on the statistics, c.(G c - 2 T) + sum y**2, as an epoch
    of train_moments computes it."""
    cdef int degree = <int>coef.shape[0] - 1
    cdef double loss
    moments_epoch(&stats[0], &stats[2 * degree + 1], stats[3 * degree + 2], degree, &coef[0],
                  NULL, &loss)
    return loss


cdef Py_ssize_t first_nonfinite_of(const floating *a, Py_ssize_t n) noexcept nogil:
    """x - x is 0 for a finite x and NaN for NaN or infinity; four independent
    sums of those vectorise without reordering, and only a NaN total needs the
    exact index."""
    cdef double lanes[4]
    cdef double total = 0.0
    cdef Py_ssize_t i = 0
    cdef int k
    for k in range(4):
        lanes[k] = 0.0
    while i + 4 <= n:
        for k in range(4):
            lanes[k] += <double>a[i + k] - <double>a[i + k]
        i += 4
    while i < n:
        total += <double>a[i] - <double>a[i]
        i += 1
    for k in range(4):
        total += lanes[k]
    if total == 0.0:
        return -1
    for i in range(n):
        if not isfinite(a[i]):
            return i
    return -1


def first_nonfinite(const floating[::1] a):
    """Index of the first NaN or infinity in a, or -1."""
    cdef Py_ssize_t index
    with nogil:
        index = first_nonfinite_of(&a[0], a.shape[0])
    return index


cdef inline double horner(const double[::1] coef, double x) noexcept nogil:
    """p(x) = c0 + x (c1 + x (c2 + ...)), coefficients lowest power first."""
    cdef Py_ssize_t k = coef.shape[0] - 1
    cdef double p = coef[k]
    while k > 0:
        k -= 1
        p = p * x + coef[k]
    return p


def scale_x(const floating[::1] x, double shift, double factor, double[::1] out):
    """out[i] = u of x[i], as every pass computes it: fma(x, factor, offset)."""
    cdef double offset = map_offset(shift, factor)
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            out[i] = to_u1(<double>x[i], factor, offset)


def evaluate(const double[::1] x, const double[::1] coef, double[::1] out):
    """out[i] = p(x[i])."""
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            out[i] = horner(coef, x[i])
