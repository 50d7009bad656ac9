# Compiled core of polyfit.  Private: the public API is polyfit.fit and
# polyfit.FitResult.  Every function here trusts its caller (polyfit._fit) to
# pass 1-D C-contiguous arrays of the right lengths and dtypes, n >= 1, finite
# data and coefficients; the directives that drop the checks are set once, in
# setup.py.
from cython cimport floating

cdef extern from "Python.h":
    int PyErr_CheckSignals()  # declared without an except clause: we test it

cdef extern from "pf_kernel.h" nogil:
    ctypedef int (*pf_interrupt_fn)() noexcept nogil
    ctypedef struct pf_settings:
        double lr
        int optimizer
        double momentum
        double alpha
        double beta1
        double beta2
        double eps
        double *state
        double tol
        double previous_loss
        int isa
        int nthreads
        pf_interrupt_fn interrupt
    int PF_OK
    int PF_DIVERGED
    int PF_NOMEM
    int PF_INTERRUPTED
    int PF_CONVERGED
    int PF_ISA_BASELINE
    int PF_ISA_AVX2
    int PF_BLOCK
    int PF_LANES
    int PF_OPT_GD
    int PF_OPT_MOMENTUM
    int PF_OPT_RMSPROP
    int PF_OPT_ADAM
    int PF_STATE_SIZE(int degree)
    int pf_isa_supported(int isa)
    int pf_best_isa()
    int pf_have_openmp()
    int pf_max_threads()
    int pf_debug_build()
    Py_ssize_t pf_fit_f64(const double *x, const double *y, Py_ssize_t n, int degree,
                          double *coef, Py_ssize_t epochs, double *losses,
                          const pf_settings *settings, int *status)
    Py_ssize_t pf_fit_f32(const float *x, const float *y, Py_ssize_t n, int degree,
                          double *coef, Py_ssize_t epochs, double *losses,
                          const pf_settings *settings, int *status)
    int pf_sums_f64(const double *x, const double *y, Py_ssize_t n, int degree,
                    const double *coef, const pf_settings *settings, double *sums)
    int pf_sums_f32(const float *x, const float *y, Py_ssize_t n, int degree,
                    const double *coef, const pf_settings *settings, double *sums)
    int pf_moments_f64(const double *x, const double *y, Py_ssize_t n, int degree,
                       double shift, double scale, const pf_settings *settings,
                       double *moments)
    int pf_moments_f32(const float *x, const float *y, Py_ssize_t n, int degree,
                       double shift, double scale, const pf_settings *settings,
                       double *moments)
    Py_ssize_t pf_train_moments(const double *moments, int degree, double *coef,
                                Py_ssize_t epochs, double *losses,
                                const pf_settings *settings, int *status)
    double pf_moments_loss(const double *moments, int degree, const double *coef)
    Py_ssize_t pf_first_nonfinite_f64(const double *a, Py_ssize_t n)
    Py_ssize_t pf_first_nonfinite_f32(const float *a, Py_ssize_t n)

STATUS_OK = PF_OK
STATUS_DIVERGED = PF_DIVERGED
STATUS_CONVERGED = PF_CONVERGED
BLOCK = PF_BLOCK
LANES = PF_LANES
ISA_NAMES = {PF_ISA_BASELINE: "baseline", PF_ISA_AVX2: "avx2"}
OPTIMIZERS = {"gd": PF_OPT_GD, "momentum": PF_OPT_MOMENTUM, "rmsprop": PF_OPT_RMSPROP,
              "adam": PF_OPT_ADAM}


def state_size(int degree):
    """Doubles of optimiser state for a degree (zeros at the start of a fit)."""
    return PF_STATE_SIZE(degree)


cdef int signals_pending() noexcept nogil:
    """Run Python's signal handlers (Ctrl-C); nonzero if one raised.

    The kernel calls this about every 20 ms from the thread that called it,
    which must be Python's main thread for handlers to run.  The exception the
    handler raised stays set; raise_pending() hands it to Python afterwards.
    """
    with gil:
        return PyErr_CheckSignals() != 0


cdef int raise_pending() except -1:
    """Propagate the exception a signal handler left set (see signals_pending)."""
    return -1


cdef int check_status(int status) except -1:
    if status == PF_NOMEM:
        raise MemoryError("polyfit: out of memory for the block sums")
    if status == PF_INTERRUPTED:
        raise_pending()
    return 0


def isa_supported(int isa):
    """True if instruction set `isa` is compiled in and this CPU runs it."""
    return bool(pf_isa_supported(isa))


def best_isa():
    """The code of the best instruction set this build and CPU support."""
    return pf_best_isa()


def have_openmp():
    """True if the extension was built with OpenMP."""
    return bool(pf_have_openmp())


def debug_build():
    """True for a POLYFIT_DEBUG=1 build (bounds checks, C asserts, UBSan)."""
    return bool(pf_debug_build())


def max_threads():
    """omp_get_max_threads() (1 without OpenMP)."""
    return pf_max_threads()


cdef pf_settings make_settings(double lr, double tol, double previous_loss, int isa,
                               int threads, bint poll_signals) noexcept:
    cdef pf_settings settings
    settings.lr = lr
    settings.optimizer = PF_OPT_GD
    settings.state = NULL
    settings.momentum = settings.alpha = settings.beta1 = settings.beta2 = settings.eps = 0.0
    settings.tol = tol
    settings.previous_loss = previous_loss
    settings.isa = isa
    settings.nthreads = threads
    settings.interrupt = NULL
    if poll_signals:  # Python runs signal handlers on its main thread only
        settings.interrupt = signals_pending
    return settings


cdef void set_optimizer(pf_settings *settings, int optimizer, const double[::1] hyper,
                        double[::1] state) noexcept:
    """hyper = (momentum, alpha, beta1, beta2, eps); state: PF_STATE_SIZE doubles."""
    settings.optimizer = optimizer
    settings.momentum = hyper[0]
    settings.alpha = hyper[1]
    settings.beta1 = hyper[2]
    settings.beta2 = hyper[3]
    settings.eps = hyper[4]
    settings.state = &state[0]


def run_epochs(const floating[::1] x, const floating[::1] y, double[::1] coef,
               double[::1] losses, double lr, double tol, double previous_loss, int isa,
               int threads, bint poll_signals, int optimizer, const double[::1] hyper,
               double[::1] state):
    """Run len(losses) epochs in place on coef; returns (epochs completed, status).

    tol stops once the loss falls by less than tol (relative) in an epoch;
    previous_loss is the loss of the epoch before the first (NaN: none).
    poll_signals: run Python's signal handlers about every 20 ms (main thread
    only); an exception they raise (KeyboardInterrupt) propagates from here.
    """
    cdef Py_ssize_t n = x.shape[0], epochs = losses.shape[0], completed
    cdef int degree = <int>coef.shape[0] - 1
    cdef int status = PF_OK
    cdef double *losses_ptr = &losses[0] if epochs > 0 else NULL
    cdef pf_settings settings = make_settings(lr, tol, previous_loss, isa, threads,
                                              poll_signals)
    set_optimizer(&settings, optimizer, hyper, state)
    with nogil:
        if floating is double:
            completed = pf_fit_f64(&x[0], &y[0], n, degree, &coef[0], epochs, losses_ptr,
                                   &settings, &status)
        else:
            completed = pf_fit_f32(&x[0], &y[0], n, degree, &coef[0], epochs, losses_ptr,
                                   &settings, &status)
    check_status(status)
    return completed, status


def sums(const floating[::1] x, const floating[::1] y, const double[::1] coef,
         double[::1] out, int isa, int threads, bint poll_signals):
    """out[0] = sum r**2, out[1 + k] = sum r * x**k, r = p(x) - y."""
    cdef int status
    cdef int degree = <int>coef.shape[0] - 1
    cdef pf_settings settings = make_settings(1.0, 0.0, 0.0, isa, threads, poll_signals)
    with nogil:
        if floating is double:
            status = pf_sums_f64(&x[0], &y[0], x.shape[0], degree, &coef[0], &settings,
                                 &out[0])
        else:
            status = pf_sums_f32(&x[0], &y[0], x.shape[0], degree, &coef[0], &settings,
                                 &out[0])
    check_status(status)


def moments(const floating[::1] x, const floating[::1] y, int degree, double shift,
            double scale, double[::1] out, int isa, int threads, bint poll_signals):
    """The power sums of u = (x - shift) * scale into out (3 degree + 3 values):
    sum u^k (k <= 2 degree), sum u^k y (k <= degree), sum y^2."""
    cdef int status
    cdef pf_settings settings = make_settings(1.0, 0.0, 0.0, isa, threads, poll_signals)
    with nogil:
        if floating is double:
            status = pf_moments_f64(&x[0], &y[0], x.shape[0], degree, shift, scale,
                                    &settings, &out[0])
        else:
            status = pf_moments_f32(&x[0], &y[0], x.shape[0], degree, shift, scale,
                                    &settings, &out[0])
    check_status(status)


def train_moments(const double[::1] stats, double[::1] coef, double[::1] losses, double lr,
                  double tol, double previous_loss, bint poll_signals, int optimizer,
                  const double[::1] hyper, double[::1] state):
    """Epochs of gradient descent on the statistics; as run_epochs."""
    cdef Py_ssize_t epochs = losses.shape[0], completed
    cdef int degree = <int>coef.shape[0] - 1
    cdef int status = PF_OK
    cdef double *losses_ptr = &losses[0] if epochs > 0 else NULL
    cdef pf_settings settings = make_settings(lr, tol, previous_loss, PF_ISA_BASELINE, 1,
                                              poll_signals)
    set_optimizer(&settings, optimizer, hyper, state)
    with nogil:
        completed = pf_train_moments(&stats[0], degree, &coef[0], epochs, losses_ptr,
                                     &settings, &status)
    check_status(status)
    return completed, status


def moments_loss(const double[::1] stats, const double[::1] coef):
    """The loss of coef on the statistics: c.(G c - 2 T) + sum y**2."""
    return pf_moments_loss(&stats[0], <int>coef.shape[0] - 1, &coef[0])


def first_nonfinite(const floating[::1] a):
    """Index of the first NaN or infinity in a, or -1."""
    cdef Py_ssize_t index
    with nogil:
        if floating is double:
            index = pf_first_nonfinite_f64(&a[0], a.shape[0])
        else:
            index = pf_first_nonfinite_f32(&a[0], a.shape[0])
    return index


cdef inline double horner(const double[::1] coef, double x) noexcept nogil:
    """p(x) = c0 + x (c1 + x (c2 + ...)), coefficients lowest power first."""
    cdef Py_ssize_t k = coef.shape[0] - 1
    cdef double p = coef[k]
    while k > 0:
        k -= 1
        p = p * x + coef[k]
    return p


def evaluate(const double[::1] x, const double[::1] coef, double[::1] out):
    """out[i] = p(x[i])."""
    cdef Py_ssize_t i
    with nogil:
        for i in range(x.shape[0]):
            out[i] = horner(coef, x[i])
