# Compiled core of polyfit.  Private: the public API is polyfit.fit and
# polyfit.FitResult.  Every function here trusts its caller (polyfit._fit) to
# pass 1-D C-contiguous arrays of the right lengths and dtypes, n >= 1, finite
# data and coefficients; the directives that drop the checks are set once, in
# setup.py.
from cython cimport floating

cdef extern from "pf_kernel.h" nogil:
    int PF_OK
    int PF_DIVERGED
    int PF_NOMEM
    int PF_ISA_BASELINE
    int PF_ISA_AVX2
    int PF_BLOCK
    int PF_LANES
    int pf_isa_supported(int isa)
    int pf_best_isa()
    int pf_have_openmp()
    int pf_max_threads()
    Py_ssize_t pf_fit_f64(const double *x, const double *y, Py_ssize_t n, int degree,
                          double *coef, double lr, Py_ssize_t epochs, double *losses,
                          int isa, int nthreads, int *status)
    Py_ssize_t pf_fit_f32(const float *x, const float *y, Py_ssize_t n, int degree,
                          double *coef, double lr, Py_ssize_t epochs, double *losses,
                          int isa, int nthreads, int *status)
    int pf_sums_f64(const double *x, const double *y, Py_ssize_t n, int degree,
                    const double *coef, int isa, int nthreads, double *sums)
    int pf_sums_f32(const float *x, const float *y, Py_ssize_t n, int degree,
                    const double *coef, int isa, int nthreads, double *sums)
    Py_ssize_t pf_first_nonfinite_f64(const double *a, Py_ssize_t n)
    Py_ssize_t pf_first_nonfinite_f32(const float *a, Py_ssize_t n)

STATUS_OK = PF_OK
STATUS_DIVERGED = PF_DIVERGED
BLOCK = PF_BLOCK
LANES = PF_LANES
ISA_NAMES = {PF_ISA_BASELINE: "baseline", PF_ISA_AVX2: "avx2"}


def isa_supported(int isa):
    """True if instruction set `isa` is compiled in and this CPU runs it."""
    return bool(pf_isa_supported(isa))


def best_isa():
    """The code of the best instruction set this build and CPU support."""
    return pf_best_isa()


def have_openmp():
    """True if the extension was built with OpenMP."""
    return bool(pf_have_openmp())


def max_threads():
    """omp_get_max_threads() (1 without OpenMP)."""
    return pf_max_threads()


def run_epochs(const floating[::1] x, const floating[::1] y, double[::1] coef,
               double lr, double[::1] losses, int isa, int threads):
    """Run len(losses) epochs in place on coef; returns (epochs completed, status)."""
    cdef Py_ssize_t n = x.shape[0], epochs = losses.shape[0], completed
    cdef int degree = <int>coef.shape[0] - 1
    cdef int status = PF_OK
    cdef double *losses_ptr = &losses[0] if epochs > 0 else NULL
    with nogil:
        if floating is double:
            completed = pf_fit_f64(&x[0], &y[0], n, degree, &coef[0], lr, epochs,
                                   losses_ptr, isa, threads, &status)
        else:
            completed = pf_fit_f32(&x[0], &y[0], n, degree, &coef[0], lr, epochs,
                                   losses_ptr, isa, threads, &status)
    if status == PF_NOMEM:
        raise MemoryError("polyfit: out of memory for the block sums")
    return completed, status


def sums(const floating[::1] x, const floating[::1] y, const double[::1] coef,
         double[::1] out, int isa, int threads):
    """out[0] = sum r**2, out[1 + k] = sum r * x**k, r = p(x) - y."""
    cdef int status
    cdef int degree = <int>coef.shape[0] - 1
    with nogil:
        if floating is double:
            status = pf_sums_f64(&x[0], &y[0], x.shape[0], degree, &coef[0], isa,
                                 threads, &out[0])
        else:
            status = pf_sums_f32(&x[0], &y[0], x.shape[0], degree, &coef[0], isa,
                                 threads, &out[0])
    if status == PF_NOMEM:
        raise MemoryError("polyfit: out of memory for the block sums")


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
