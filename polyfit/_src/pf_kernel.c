/*
 * polyfit's compiled core; see pf_kernel.h for the contract.
 *
 * Layout of the work
 * ------------------
 * The n samples are cut into blocks of PF_BLOCK.  One block is one call of a
 * "block function", which runs the fused per-sample pass -- prediction by
 * Horner's rule, residual, squared residual and every power-weighted residual
 * -- in PF_LANES interleaved lanes (sample i of the block feeds lane i % PF_LANES),
 * then adds the lanes in a fixed pairwise order.  An epoch sums the blocks in
 * index order and updates the coefficients.  The blocks may run on several
 * OpenMP threads; the order of every addition stays the same, so the result
 * does not depend on the thread count.
 *
 * The lanes are GNU vectors (GCC and Clang) of the target's native width: two
 * SSE2 registers or one AVX2 register per sum.  The block functions are
 * compiled once per instruction set (pf_kernel_impl.h) and chosen at run time
 * by pf_select; wheels are built for the baseline of the architecture, never
 * for the build machine's own CPU.  The lanes hold the same values in the same order on every
 * instruction set; only FMA contraction (a*b + c rounded once, where the
 * instruction set has FMA) changes the last bits between them.  Other
 * compilers get scalar "vectors" of the same lanes, baseline only.
 *
 * There is no AVX-512 instance: four lanes already fit one AVX2 register, and
 * no machine with AVX-512 was at hand to measure whether wider lanes pay.
 */
#include "pf_kernel.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PF_GNU 1
#define PF_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define PF_INLINE static __forceinline
#else
#define PF_INLINE static inline
#endif

#if defined(PF_GNU) && (defined(__x86_64__) || defined(__i386__)) && !defined(PF_NO_DISPATCH)
#define PF_X86_DISPATCH 1
#endif
#if defined(PF_GNU) && defined(__x86_64__)
#define PF_X86_64 1
#include <immintrin.h>
#endif

/* Degrees up to this get a block function whose accumulators live in registers. */
#define PF_SPECIALISED_MAX 8

/* Lane accumulators of the generic-degree passes live in per-thread scratch,
 * aligned to 64 bytes so that every vector in it is aligned. */
#define PF_ALIGN 64

/* A block function: the sums of one block (see pf_kernel_impl.h). */
typedef void (*pf_block_fn)(const void *x, const void *y, ptrdiff_t n,
                            const double *coef, int degree, double *sums,
                            void *scratch);

/*
 * PF_LOAD_WIDENED(p), where defined, loads PF_W floats from p widened to
 * doubles in one instruction; GCC 12 splits __builtin_convertvector of four
 * floats into two halves and widens two floats one at a time, which made
 * float32 data slower than float64.
 */
#ifdef PF_GNU
#define PF_SUFFIX baseline
#define PF_W 2  /* two doubles: SSE2 on x86-64, NEON on aarch64 */
#define PF_TARGET
#ifdef PF_X86_64
#define PF_LOAD_WIDENED(p) \
    _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#endif
#include "pf_kernel_impl.h"
#undef PF_SUFFIX
#undef PF_W
#undef PF_TARGET
#undef PF_LOAD_WIDENED
#else
#define PF_SUFFIX baseline
#define PF_W 1
#define PF_TARGET
#include "pf_kernel_impl.h"
#undef PF_SUFFIX
#undef PF_W
#undef PF_TARGET
#endif

#ifdef PF_X86_DISPATCH
#define PF_SUFFIX avx2
#define PF_W 4
#define PF_TARGET __attribute__((target("avx2,fma")))
#define PF_LOAD_WIDENED(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#include "pf_kernel_impl.h"
#undef PF_SUFFIX
#undef PF_W
#undef PF_TARGET
#undef PF_LOAD_WIDENED
#endif

int pf_isa_supported(int isa)
{
    switch (isa) {
    case PF_ISA_BASELINE:
        return 1;
#ifdef PF_X86_DISPATCH
    case PF_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    default:
        return 0;
    }
}

int pf_best_isa(void)
{
    int isa;
    for (isa = PF_ISA_COUNT - 1; isa > PF_ISA_BASELINE; isa--)
        if (pf_isa_supported(isa))
            return isa;
    return PF_ISA_BASELINE;
}

/* The block function of a kind (PF_KIND_*) for an element size and instruction
 * set; an unsupported instruction set falls back to the baseline. */
#define PF_KIND_EPOCH 0    /* loss and gradient sums: pf_block_fn_* */
#define PF_KIND_MOMENTS 1  /* power sums: pf_moments_fn_* */
#define PF_PICK(kind, is_float, suffix)                                          \
    ((kind) == PF_KIND_MOMENTS                                                   \
         ? ((is_float) ? pf_moments_fn_float_##suffix : pf_moments_fn_double_##suffix) \
         : ((is_float) ? pf_block_fn_float_##suffix : pf_block_fn_double_##suffix))
static pf_block_fn pf_select(int kind, int is_float, int isa)
{
    if (!pf_isa_supported(isa))
        isa = PF_ISA_BASELINE;
#ifdef PF_X86_DISPATCH
    if (isa == PF_ISA_AVX2)
        return PF_PICK(kind, is_float, avx2);
#endif
    return PF_PICK(kind, is_float, baseline);
}

int pf_have_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int pf_debug_build(void)
{
#ifdef NDEBUG
    return 0;
#else
    return 1;
#endif
}

int pf_max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* ------------------------------------------------------------ the driver */

typedef struct {
    pf_block_fn block;
    const char *x, *y;
    size_t itemsize;
    ptrdiff_t n, nblocks;
    int degree, nthreads;
    int width;           /* sums per block */
    size_t scratch_doubles;  /* per thread, for the generic-degree pass; 0 if unused */
    double *block_sums;  /* nblocks rows of width */
    double *scratch;     /* nthreads * scratch_doubles, or NULL */
    void *allocation;
    pf_interrupt_fn interrupt;  /* polled by one thread, or NULL */
    double next_poll;           /* time of the next poll, seconds */
    int poll_every;             /* units of work between two readings of the clock */
    int blocks_to_poll;         /* units left before the clock is read again */
    int interrupted;            /* set once interrupt() said yes; read by all */
} pf_work;

/* Poll at most every PF_POLL_SECONDS, reading the clock every PF_POLL_BLOCKS
 * blocks of a pass or PF_POLL_EPOCHS epochs on the statistics (tens of ns each). */
#define PF_POLL_SECONDS 0.02
#define PF_POLL_BLOCKS 16
#define PF_POLL_EPOCHS 4096

static double pf_seconds(void)
{
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static int pf_flag_read(const int *flag)
{
    int value;
#ifdef _OPENMP
#pragma omp atomic read
#endif
    value = *flag;
    return value;
}

static void pf_flag_set(int *flag)
{
#ifdef _OPENMP
#pragma omp atomic write
#endif
    *flag = 1;
}

/* Called by the polling thread between units of work: ask interrupt() at most
 * every PF_POLL_SECONDS.  Returns the (shared) interrupted flag. */
static int pf_work_poll(pf_work *w)
{
    double now;
    if (w->interrupt == NULL || --w->blocks_to_poll > 0)
        return pf_flag_read(&w->interrupted);
    w->blocks_to_poll = w->poll_every;
    now = pf_seconds();
    if (now >= w->next_poll) {
        w->next_poll = now + PF_POLL_SECONDS;
        if (w->interrupt())
            pf_flag_set(&w->interrupted);
    }
    return pf_flag_read(&w->interrupted);
}

static void pf_work_init_polling(pf_work *w, pf_interrupt_fn interrupt, int poll_every)
{
    w->interrupt = interrupt;
    w->next_poll = pf_seconds() + PF_POLL_SECONDS;
    w->poll_every = poll_every;
    w->blocks_to_poll = poll_every;
    w->interrupted = 0;
}

/* Set up a pass of `kind` over x, y: `width` sums per block, and for the
 * generic-degree pass per-thread scratch of width * PF_LANES doubles. */
static int pf_work_init(pf_work *w, int kind, int is_float, const void *x, const void *y,
                        ptrdiff_t n, int degree, int width, const pf_settings *settings)
{
    size_t sums_bytes, scratch_bytes = 0;
    char *base;
    /* the caller's contract (checked in debug builds, POLYFIT_DEBUG=1) */
    assert(x != NULL && y != NULL && n >= 1 && degree >= 0 && settings != NULL);
    assert(settings->isa >= 0 && settings->isa < PF_ISA_COUNT);
    pf_work_init_polling(w, settings->interrupt, PF_POLL_BLOCKS);
    w->block = pf_select(kind, is_float, settings->isa);
    w->x = (const char *)x;
    w->y = (const char *)y;
    w->itemsize = is_float ? sizeof(float) : sizeof(double);
    w->n = n;
    w->nblocks = (n + PF_BLOCK - 1) / PF_BLOCK;
    w->degree = degree;
    w->width = width;
    w->nthreads = settings->nthreads < 1 ? 1 : settings->nthreads;
    if (w->nthreads > w->nblocks)
        w->nthreads = (int)w->nblocks;
#ifndef _OPENMP
    w->nthreads = 1;
#endif
    w->scratch_doubles = degree > PF_SPECIALISED_MAX ? (size_t)width * PF_LANES : 0;
    sums_bytes = (size_t)w->nblocks * (size_t)width * sizeof(double);
    scratch_bytes = (size_t)w->nthreads * w->scratch_doubles * sizeof(double);
    /* room to align the scratch to PF_ALIGN bytes */
    w->allocation = malloc(sums_bytes + scratch_bytes + PF_ALIGN);
    if (w->allocation == NULL)
        return PF_NOMEM;
    w->block_sums = (double *)w->allocation;
    w->scratch = NULL;
    if (scratch_bytes) {
        base = (char *)w->allocation + sums_bytes;
        base += (PF_ALIGN - (uintptr_t)base % PF_ALIGN) % PF_ALIGN;
        w->scratch = (double *)base;
    }
    return PF_OK;
}

/* The sums of blocks [first, last) with parameters params (the coefficients,
 * or shift and scale), into w->block_sums; the thread that polls for
 * interrupts passes poller = 1.  Stops early once interrupted. */
static void pf_work_block_range(pf_work *w, const double *params, ptrdiff_t first,
                                ptrdiff_t last, double *scratch, int poller)
{
    ptrdiff_t b;
    for (b = first; b < last; b++) {
        ptrdiff_t start = b * PF_BLOCK;
        ptrdiff_t len = w->n - start < PF_BLOCK ? w->n - start : PF_BLOCK;
        if (poller ? pf_work_poll(w) : pf_flag_read(&w->interrupted))
            return;
        w->block(w->x + start * w->itemsize, w->y + start * w->itemsize, len,
                 params, w->degree, w->block_sums + b * w->width, scratch);
    }
}

#ifdef _OPENMP
/* Inside a parallel region: this thread's contiguous share of the blocks.
 * Which thread computes a block never changes what the block sums are. */
static void pf_work_blocks_shared(pf_work *w, const double *params)
{
    const ptrdiff_t threads = omp_get_num_threads(), id = omp_get_thread_num();
    const ptrdiff_t share = (w->nblocks + threads - 1) / threads;
    const ptrdiff_t first = id * share < w->nblocks ? id * share : w->nblocks;
    const ptrdiff_t last = first + share < w->nblocks ? first + share : w->nblocks;
    double *scratch = w->scratch == NULL ? NULL : w->scratch + (size_t)id * w->scratch_doubles;
    pf_work_block_range(w, params, first, last, scratch, id == 0);
}
#endif

/* totals[j] = sum over blocks, in block order, of block_sums[b][j]. */
static void pf_work_reduce(const pf_work *w, double *totals)
{
    ptrdiff_t b;
    int j;
    for (j = 0; j < w->width; j++)
        totals[j] = 0.0;
    for (b = 0; b < w->nblocks; b++)
        for (j = 0; j < w->width; j++)
            totals[j] += w->block_sums[b * w->width + j];
}

/* One pass over all blocks, on w->nthreads threads, reduced into totals. */
static void pf_work_pass(pf_work *w, const double *params, double *totals)
{
    if (w->nthreads == 1)
        pf_work_block_range(w, params, 0, w->nblocks, w->scratch, 1);
#ifdef _OPENMP
    else {
#pragma omp parallel num_threads(w->nthreads)
        pf_work_blocks_shared(w, params);
    }
#endif
    pf_work_reduce(w, totals);
}

/* ------------------------------------------------------- the epoch step */

/* 1 if the relative decrease from previous to loss is in [0, tol]. */
static int pf_converged(double previous, double loss, double tol)
{
    return tol > 0.0 && isfinite(previous) && previous - loss >= 0.0
        && previous - loss <= tol * fabs(previous);
}

/* One optimiser step on coef from the gradient g (torch.optim's rules). */
static void pf_update(int degree, double *coef, const double *half_gradient,
                      const pf_settings *s)
{
    const int m = degree + 1;
    double *first, *second, *steps;
    double correction1 = 1.0, correction2 = 1.0;
    int k;
    if (s->optimizer == PF_OPT_GD) {  /* the tutorial's step; no state */
        for (k = 0; k < m; k++)
            coef[k] -= s->lr * (2.0 * half_gradient[k]);
        return;
    }
    first = s->state;
    second = s->state + m;
    steps = s->state + 2 * m;
    *steps += 1.0;
    if (s->optimizer == PF_OPT_ADAM) {
        correction1 = 1.0 - pow(s->beta1, *steps);
        correction2 = sqrt(1.0 - pow(s->beta2, *steps));
    }
    for (k = 0; k < m; k++) {
        const double g = 2.0 * half_gradient[k];
        switch (s->optimizer) {
        case PF_OPT_MOMENTUM:
            first[k] = *steps == 1.0 ? g : s->momentum * first[k] + g;
            coef[k] -= s->lr * first[k];
            break;
        case PF_OPT_RMSPROP:
            second[k] = s->alpha * second[k] + (1.0 - s->alpha) * g * g;
            coef[k] -= s->lr * g / (sqrt(second[k]) + s->eps);
            break;
        case PF_OPT_ADAM:
            first[k] = s->beta1 * first[k] + (1.0 - s->beta1) * g;
            second[k] = s->beta2 * second[k] + (1.0 - s->beta2) * g * g;
            coef[k] -= (s->lr / correction1) * first[k]
                     / (sqrt(second[k]) / correction2 + s->eps);
            break;
        default:
            break;
        }
    }
}

/*
 * The end of an epoch whose loss and half-gradient are known: record the loss,
 * take the step, and say how to go on.  Returns PF_OK, PF_DIVERGED (coef and
 * the optimiser state left as they were: the loss or the new coefficients are
 * not finite) or PF_CONVERGED (the step was taken; the loss fell by less than
 * tol).  scratch: 3 (degree + 1) + 1 doubles.
 */
static int pf_step(int degree, double *coef, const double *half_gradient, double loss,
                   double previous, double *loss_out, const pf_settings *settings,
                   double *scratch)
{
    const size_t coef_bytes = (size_t)(degree + 1) * sizeof(double);
    const size_t state_bytes = settings->state == NULL ? 0
                             : (size_t)PF_STATE_SIZE(degree) * sizeof(double);
    int k, finite = 1;
    if (!isfinite(loss))
        return PF_DIVERGED;
    *loss_out = loss;
    memcpy(scratch, coef, coef_bytes);
    if (state_bytes)
        memcpy(scratch + degree + 1, settings->state, state_bytes);
    pf_update(degree, coef, half_gradient, settings);
    for (k = 0; k <= degree; k++)
        finite &= isfinite(coef[k]) != 0;
    if (!finite) {
        memcpy(coef, scratch, coef_bytes);
        if (state_bytes)
            memcpy(settings->state, scratch + degree + 1, state_bytes);
        return PF_DIVERGED;
    }
    return pf_converged(previous, loss, settings->tol) ? PF_CONVERGED : PF_OK;
}

/* The status a stopped loop reports: interruption first, then the step's. */
static int pf_final_status(const pf_work *w, int step_status, int *status)
{
    if (*status != PF_OK)
        return *status;
    *status = w->interrupted ? PF_INTERRUPTED : step_status;
    return *status;
}

static ptrdiff_t pf_fit(int is_float, const void *x, const void *y, ptrdiff_t n,
                        int degree, double *coef, ptrdiff_t epochs, double *losses,
                        const pf_settings *settings, int *status)
{
    pf_work w;
    double *totals, *previous_coef;
    ptrdiff_t t, completed = 0;
    int step = PF_OK;

    assert(coef != NULL && settings->lr > 0.0 && epochs >= 0);
    assert(epochs == 0 || losses != NULL);
    assert(settings->optimizer == PF_OPT_GD || settings->state != NULL);
    *status = pf_work_init(&w, PF_KIND_EPOCH, is_float, x, y, n, degree, degree + 2, settings);
    if (*status != PF_OK)
        return 0;
    totals = (double *)malloc((size_t)(4 * degree + 6) * sizeof(double));
    if (totals == NULL) {
        free(w.allocation);
        *status = PF_NOMEM;
        return 0;
    }
    previous_coef = totals + degree + 2;  /* pf_step's scratch: 3 (degree + 1) + 1 */

    if (w.nthreads == 1) {  /* no OpenMP calls at all: they cost more than small epochs */
        for (t = 0; t < epochs && step == PF_OK; t++) {
            pf_work_block_range(&w, coef, 0, w.nblocks, w.scratch, 1);
            if (w.interrupted)
                break;
            pf_work_reduce(&w, totals);
            step = pf_step(degree, coef, totals + 1, totals[0],
                           t > 0 ? losses[t - 1] : settings->previous_loss, &losses[t],
                           settings, previous_coef);
            if (step != PF_DIVERGED)
                completed = t + 1;
        }
    }
#ifdef _OPENMP
    else {
        /* `stop` is written only inside the single, between two barriers, so
         * every thread reads the same value and leaves at the same epoch.  (The
         * interrupted flag itself may be set by thread 0 in the next epoch's
         * blocks while a slower thread is still here: deciding on it directly
         * could split the team across barriers.) */
        int stop = 0;
#pragma omp parallel num_threads(w.nthreads) private(t)
        for (t = 0; t < epochs; t++) {
            pf_work_blocks_shared(&w, coef);
#pragma omp barrier
#pragma omp single
            {
                if (pf_flag_read(&w.interrupted)) {
                    stop = 1;
                } else {
                    pf_work_reduce(&w, totals);
                    step = pf_step(degree, coef, totals + 1, totals[0],
                                   t > 0 ? losses[t - 1] : settings->previous_loss,
                                   &losses[t], settings, previous_coef);
                    if (step != PF_DIVERGED)
                        completed = t + 1;
                    stop = step != PF_OK;
                }
            }  /* the single's implicit barrier */
            if (stop)
                break;
        }
    }
#endif

    pf_final_status(&w, step, status);
    free(totals);
    free(w.allocation);
    return completed;
}

static int pf_sums(int is_float, const void *x, const void *y, ptrdiff_t n, int degree,
                   const double *coef, const pf_settings *settings, double *sums)
{
    pf_work w;
    int status = pf_work_init(&w, PF_KIND_EPOCH, is_float, x, y, n, degree, degree + 2,
                              settings);
    if (status != PF_OK)
        return status;
    pf_work_pass(&w, coef, sums);
    free(w.allocation);
    return w.interrupted ? PF_INTERRUPTED : PF_OK;
}

static int pf_moments(int is_float, const void *x, const void *y, ptrdiff_t n, int degree,
                      double shift, double scale, const pf_settings *settings,
                      double *moments)
{
    pf_work w;
    double params[2];
    int status = pf_work_init(&w, PF_KIND_MOMENTS, is_float, x, y, n, degree,
                              PF_MOMENTS_WIDTH(degree), settings);
    if (status != PF_OK)
        return status;
    params[0] = shift;
    params[1] = scale;
    pf_work_pass(&w, params, moments);
    free(w.allocation);
    return w.interrupted ? PF_INTERRUPTED : PF_OK;
}

ptrdiff_t pf_fit_f64(const double *x, const double *y, ptrdiff_t n, int degree,
                     double *coef, ptrdiff_t epochs, double *losses,
                     const pf_settings *settings, int *status)
{
    return pf_fit(0, x, y, n, degree, coef, epochs, losses, settings, status);
}

ptrdiff_t pf_fit_f32(const float *x, const float *y, ptrdiff_t n, int degree,
                     double *coef, ptrdiff_t epochs, double *losses,
                     const pf_settings *settings, int *status)
{
    return pf_fit(1, x, y, n, degree, coef, epochs, losses, settings, status);
}

int pf_sums_f64(const double *x, const double *y, ptrdiff_t n, int degree,
                const double *coef, const pf_settings *settings, double *sums)
{
    return pf_sums(0, x, y, n, degree, coef, settings, sums);
}

int pf_sums_f32(const float *x, const float *y, ptrdiff_t n, int degree,
                const double *coef, const pf_settings *settings, double *sums)
{
    return pf_sums(1, x, y, n, degree, coef, settings, sums);
}

int pf_moments_f64(const double *x, const double *y, ptrdiff_t n, int degree, double shift,
                   double scale, const pf_settings *settings, double *moments)
{
    return pf_moments(0, x, y, n, degree, shift, scale, settings, moments);
}

int pf_moments_f32(const float *x, const float *y, ptrdiff_t n, int degree, double shift,
                   double scale, const pf_settings *settings, double *moments)
{
    return pf_moments(1, x, y, n, degree, shift, scale, settings, moments);
}

/* --------------------------------------------- training on the statistics */

/*
 * Gradient descent on the power sums: with G_jk = S_(j+k) and T_j,
 * half-gradient h = G c - T and loss = c.(G c - 2 T) + sum y^2; O(degree^2)
 * an epoch.  The loss is a difference of large terms when it is much smaller
 * than sum y^2: its absolute error is about eps * sum y^2.
 */

/* h = G c - T into half_gradient (unless NULL); returns the loss. */
PF_INLINE double pf_moments_epoch(const double *power_sums, const double *cross_sums,
                                  double sum_yy, const int degree, const double *coef,
                                  double *half_gradient)
{
    double loss = sum_yy;
    int j, k;
    for (j = 0; j <= degree; j++) {
        double gc = 0.0;
        for (k = 0; k <= degree; k++)
            gc += power_sums[j + k] * coef[k];
        if (half_gradient != NULL)
            half_gradient[j] = gc - cross_sums[j];
        loss += coef[j] * (gc - 2.0 * cross_sums[j]);
    }
    return loss;
}

double pf_moments_loss(const double *moments, int degree, const double *coef)
{
    assert(moments != NULL && coef != NULL && degree >= 0);
    return pf_moments_epoch(moments, moments + 2 * degree + 1,
                            moments[PF_MOMENTS_WIDTH(degree) - 1], degree, coef, NULL);
}

/*
 * The plain step (PF_OPT_GD) with the coefficients in locals: with the degree
 * a constant the compiler keeps them, G and T in registers, and an epoch is a
 * few dozen instructions.  Same arithmetic as pf_step + pf_update (2 lr h is
 * lr (2 h) exactly: both scale by a power of two), so the same results.
 */
PF_INLINE ptrdiff_t pf_train_moments_gd(const double *moments, const int degree,
                                        double *coef, ptrdiff_t epochs, double *losses,
                                        const pf_settings *settings, pf_work *w, int *step)
{
    const double *power_sums = moments, *cross_sums = moments + 2 * degree + 1;
    const double sum_yy = moments[PF_MOMENTS_WIDTH(degree) - 1];
    const double two_lr = 2.0 * settings->lr;
    double c[PF_SPECIALISED_MAX + 1], next[PF_SPECIALISED_MAX + 1];
    double h[PF_SPECIALISED_MAX + 1];
    double previous = settings->previous_loss;
    ptrdiff_t t, completed = 0;
    int k;
    assert(degree <= PF_SPECIALISED_MAX);
    for (k = 0; k <= degree; k++)
        c[k] = coef[k];
    for (t = 0; t < epochs; t++) {
        double loss;
        int finite = 1;
        if (pf_work_poll(w))
            break;
        loss = pf_moments_epoch(power_sums, cross_sums, sum_yy, degree, c, h);
        if (!isfinite(loss)) {
            *step = PF_DIVERGED;
            break;
        }
        losses[t] = loss;
        for (k = 0; k <= degree; k++) {
            next[k] = c[k] - two_lr * h[k];
            finite &= isfinite(next[k]) != 0;
        }
        if (!finite) {
            *step = PF_DIVERGED;
            break;
        }
        for (k = 0; k <= degree; k++)
            c[k] = next[k];
        completed = t + 1;
        if (pf_converged(previous, loss, settings->tol)) {
            *step = PF_CONVERGED;
            break;
        }
        previous = loss;
    }
    for (k = 0; k <= degree; k++)
        coef[k] = c[k];
    return completed;
}

#define PF_TRAIN_GD(D)                                                         \
    case D:                                                                    \
        return pf_train_moments_gd(moments, D, coef, epochs, losses, settings, w, step);

/* pf_train_moments_gd with the degree a constant, for degrees up to PF_SPECIALISED_MAX. */
static ptrdiff_t pf_train_moments_gd_fn(const double *moments, int degree, double *coef,
                                        ptrdiff_t epochs, double *losses,
                                        const pf_settings *settings, pf_work *w, int *step)
{
    switch (degree) {
    PF_TRAIN_GD(0) PF_TRAIN_GD(1) PF_TRAIN_GD(2) PF_TRAIN_GD(3) PF_TRAIN_GD(4)
    PF_TRAIN_GD(5) PF_TRAIN_GD(6) PF_TRAIN_GD(7) PF_TRAIN_GD(8)
    default:
        return pf_train_moments_gd(moments, degree, coef, epochs, losses, settings, w, step);
    }
}
#undef PF_TRAIN_GD

ptrdiff_t pf_train_moments(const double *moments, int degree, double *coef,
                           ptrdiff_t epochs, double *losses, const pf_settings *settings,
                           int *status)
{
    const double *power_sums = moments, *cross_sums = moments + 2 * degree + 1;
    const double sum_yy = moments[PF_MOMENTS_WIDTH(degree) - 1];
    pf_work w;  /* only its interrupt polling is used */
    double *half_gradient, *previous_coef;
    ptrdiff_t t, completed = 0;
    int step = PF_OK;

    assert(moments != NULL && coef != NULL && degree >= 0 && epochs >= 0);
    assert(settings->lr > 0.0 && (epochs == 0 || losses != NULL));
    *status = PF_OK;
    pf_work_init_polling(&w, settings->interrupt, PF_POLL_EPOCHS);
    if (settings->optimizer == PF_OPT_GD && degree <= PF_SPECIALISED_MAX) {
        completed = pf_train_moments_gd_fn(moments, degree, coef, epochs, losses, settings,
                                           &w, &step);
        pf_final_status(&w, step, status);
        return completed;
    }
    half_gradient = (double *)malloc((size_t)(4 * degree + 5) * sizeof(double));
    if (half_gradient == NULL) {
        *status = PF_NOMEM;
        return 0;
    }
    previous_coef = half_gradient + degree + 1;  /* pf_step's scratch: 3 (degree + 1) + 1 */
    for (t = 0; t < epochs && step == PF_OK; t++) {
        double loss;
        if (pf_work_poll(&w))
            break;
        loss = pf_moments_epoch(power_sums, cross_sums, sum_yy, degree, coef, half_gradient);
        step = pf_step(degree, coef, half_gradient, loss,
                       t > 0 ? losses[t - 1] : settings->previous_loss, &losses[t], settings,
                       previous_coef);
        if (step != PF_DIVERGED)
            completed = t + 1;
    }
    pf_final_status(&w, step, status);
    free(half_gradient);
    return completed;
}

/* ------------------------------------------------------ input screening */

/* x - x is 0 for a finite x and NaN for NaN or infinity; PF_LANES independent
 * sums of those vectorise without reordering, and only a NaN total needs the
 * exact index. */
#define PF_DEFINE_FIRST_NONFINITE(NAME, T)                                    \
ptrdiff_t NAME(const T *a, ptrdiff_t n)                                       \
{                                                                             \
    double lanes[PF_LANES] = {0}, total = 0.0;                                \
    ptrdiff_t i = 0;                                                          \
    int l;                                                                    \
    for (; i + PF_LANES <= n; i += PF_LANES)                                  \
        for (l = 0; l < PF_LANES; l++)                                        \
            lanes[l] += (double)a[i + l] - (double)a[i + l];                  \
    for (; i < n; i++)                                                        \
        total += (double)a[i] - (double)a[i];                                 \
    for (l = 0; l < PF_LANES; l++)                                            \
        total += lanes[l];                                                    \
    if (total == 0.0)                                                         \
        return -1;                                                            \
    for (i = 0; i < n; i++)                                                   \
        if (!isfinite(a[i]))                                                  \
            return i;                                                         \
    return -1;                                                                \
}

PF_DEFINE_FIRST_NONFINITE(pf_first_nonfinite_f64, double)
PF_DEFINE_FIRST_NONFINITE(pf_first_nonfinite_f32, float)
