/*
 * polyfit's compiled core: full-batch gradient descent for a polynomial on the
 * sum of squared errors, with the whole epoch loop in C.
 *
 * Coefficients are lowest power first and always float64; data are float64 or
 * float32 (widened to float64 sample by sample).  Every sum is taken over fixed
 * blocks of PF_BLOCK samples in PF_LANES interleaved lanes, and the blocks are
 * reduced in index order, so results are bitwise the same for every thread
 * count and every run.
 *
 * The caller (polyfit/_kernels.pyx) guarantees: n >= 1, degree >= 0, nthreads
 * >= 1, contiguous arrays of the stated lengths, finite data and coefficients.
 */
#ifndef POLYFIT_PF_KERNEL_H
#define POLYFIT_PF_KERNEL_H

#include <stddef.h>

#define PF_LANES 4      /* interleaved accumulators per sum */
#define PF_BLOCK 4096   /* samples per block; a multiple of PF_LANES */

/* status codes */
#define PF_OK 0
#define PF_DIVERGED 1   /* a loss or a coefficient became non-finite */
#define PF_NOMEM 2
#define PF_INTERRUPTED 3 /* interrupt() returned nonzero */
#define PF_CONVERGED 4   /* the loss fell by less than tol */

/*
 * Polled about every 20 ms, between blocks, by one thread (the one that called
 * in); nonzero stops the work.  polyfit passes a function that takes the GIL
 * and runs Python's signal handlers, so Ctrl-C reaches a long fit.
 */
typedef int (*pf_interrupt_fn)(void);

/* instruction sets, in increasing order of preference */
#define PF_ISA_BASELINE 0
#define PF_ISA_AVX2 1   /* AVX2 + FMA (x86-64-v3) */
#define PF_ISA_COUNT 2

/* 1 if `isa` was compiled in and the running CPU supports it. */
int pf_isa_supported(int isa);
/* The best supported instruction set. */
int pf_best_isa(void);
/* 1 if built with OpenMP; pf_max_threads() is then omp_get_max_threads(). */
int pf_have_openmp(void);
int pf_max_threads(void);
/* 1 in a debug build (POLYFIT_DEBUG=1: asserts and sanitizers on). */
int pf_debug_build(void);

/* Optimisers: the update rules of torch.optim */
#define PF_OPT_GD 0        /* c -= lr g (the tutorial) */
#define PF_OPT_MOMENTUM 1  /* SGD(momentum): b = momentum b + g (b = g at first); c -= lr b */
#define PF_OPT_RMSPROP 2   /* v = alpha v + (1 - alpha) g^2; c -= lr g / (sqrt(v) + eps) */
#define PF_OPT_ADAM 3      /* bias-corrected moments; c -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps) */
/* Doubles of optimiser state the caller keeps between calls (zeros at the start):
 * momentum buffer or first moment, second moment, and the step count. */
#define PF_STATE_SIZE(degree) (2 * (degree) + 3)

/* How a run goes: the step, stopping, the machine. */
typedef struct {
    double lr;             /* learning rate, > 0 */
    int optimizer;         /* PF_OPT_* */
    double momentum, alpha, beta1, beta2, eps;  /* the optimiser's hyper-parameters */
    double *state;         /* PF_STATE_SIZE(degree) doubles; NULL for PF_OPT_GD */
    double tol;            /* stop once 0 <= previous - loss <= tol * previous; 0: never */
    double previous_loss;  /* the loss of the epoch before this call's first, or NaN */
    int isa;               /* PF_ISA_* */
    int nthreads;          /* >= 1 */
    pf_interrupt_fn interrupt;  /* or NULL */
} pf_settings;

/*
 * Run `epochs` epochs of gradient descent, updating coef[0..degree] in place
 * and writing loss_t to losses[t].  Returns the number of epochs completed.
 * *status is PF_OK, PF_NOMEM, PF_INTERRUPTED, PF_CONVERGED (tol met after the
 * last completed epoch) or PF_DIVERGED: then epoch `return value` had a
 * non-finite loss or update, and coef holds the last finite coefficients.
 */
ptrdiff_t pf_fit_f64(const double *x, const double *y, ptrdiff_t n, int degree,
                     double *coef, ptrdiff_t epochs, double *losses,
                     const pf_settings *settings, int *status);
ptrdiff_t pf_fit_f32(const float *x, const float *y, ptrdiff_t n, int degree,
                     double *coef, ptrdiff_t epochs, double *losses,
                     const pf_settings *settings, int *status);

/*
 * One pass: sums[0] = sum (p(x_i) - y_i)^2 and sums[1 + k] = sum (p(x_i) - y_i) x_i^k
 * for k = 0..degree (half the gradient).  Returns PF_OK, PF_NOMEM or
 * PF_INTERRUPTED.  Uses settings' isa, nthreads and interrupt.
 */
int pf_sums_f64(const double *x, const double *y, ptrdiff_t n, int degree,
                const double *coef, const pf_settings *settings, double *sums);
int pf_sums_f32(const float *x, const float *y, ptrdiff_t n, int degree,
                const double *coef, const pf_settings *settings, double *sums);

/*
 * One pass for the sufficient statistics of squared loss, with u = (x - shift) * scale:
 * moments[k] = sum u^k (k = 0..2 degree), moments[2 degree + 1 + k] = sum u^k y
 * (k = 0..degree), moments[3 degree + 2] = sum y^2: PF_MOMENTS_WIDTH(degree) sums,
 * blocked and reduced like every pass.  Returns PF_OK, PF_NOMEM or PF_INTERRUPTED.
 */
#define PF_MOMENTS_WIDTH(degree) (3 * (degree) + 3)
int pf_moments_f64(const double *x, const double *y, ptrdiff_t n, int degree, double shift,
                   double scale, const pf_settings *settings, double *moments);
int pf_moments_f32(const float *x, const float *y, ptrdiff_t n, int degree, double shift,
                   double scale, const pf_settings *settings, double *moments);

/*
 * Gradient descent on the statistics (as laid out by pf_moments): the same
 * epochs, losses, stopping and status as pf_fit_*, at O(degree^2) an epoch.
 * Uses settings' lr, tol, previous_loss and interrupt.
 */
ptrdiff_t pf_train_moments(const double *moments, int degree, double *coef,
                           ptrdiff_t epochs, double *losses, const pf_settings *settings,
                           int *status);

/* The loss c.(G c - 2 T) + sum y^2 of coef on the statistics, as an epoch of
 * pf_train_moments computes it. */
double pf_moments_loss(const double *moments, int degree, const double *coef);

/* Index of the first NaN or infinity in a[0..n-1], or -1 if all are finite. */
ptrdiff_t pf_first_nonfinite_f64(const double *a, ptrdiff_t n);
ptrdiff_t pf_first_nonfinite_f32(const float *a, ptrdiff_t n);

#endif
