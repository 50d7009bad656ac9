/*
 * The per-sample pass of pf_kernel.c, instantiated once per instruction set.
 * Included by pf_kernel.c with these macros set (and undefined again at the end):
 *   PF_SUFFIX  name suffix of this instance (baseline, avx2, avx512)
 *   PF_W       doubles per hardware vector (1 = plain scalars, 2, 4 or 8)
 *   PF_TARGET  function attribute that enables the instruction set, or empty
 *   PF_LOAD_WIDENED(p)  optional: PF_W floats at p as a vector of doubles
 *
 * The PF_LANES lanes of a sum are held in PF_LANES / PF_W vectors of the
 * native width, so every lane stays in a register; lane l is element l % PF_W
 * of vector l / PF_W, for every width.  The lanes therefore take the same
 * values in the same order whatever the width, and the block totals are the
 * lanes added in one fixed order.
 */
#define PF_CAT_(a, b) a##_##b
#define PF_CAT(a, b) PF_CAT_(a, b)
#define PF_NAME(name) PF_CAT(name, PF_SUFFIX)
#define PF_NV (PF_LANES / PF_W)
#define PF_VEC PF_NAME(pf_vec)
#define PF_VECF PF_NAME(pf_vecf)

#if PF_W == 1
typedef double PF_VEC;
typedef float PF_VECF;
#define PF_WIDEN(v) ((double)(v))
#define PF_ELEM(v, e) (v)
#else
typedef double PF_VEC __attribute__((vector_size(PF_W * sizeof(double))));
typedef float PF_VECF __attribute__((vector_size(PF_W * sizeof(float))));
#define PF_WIDEN(v) __builtin_convertvector((v), PF_VEC)
#define PF_ELEM(v, e) ((v)[e])
#endif
#define PF_SPLAT(s) ((PF_VEC){0} + (double)(s))

/* One vector at a time: a single unaligned load each, no trip through memory. */
PF_TARGET PF_INLINE void PF_NAME(pf_load_double)(PF_VEC *v, const double *p)
{
    int j;
    for (j = 0; j < PF_NV; j++)
        memcpy(&v[j], p + j * PF_W, sizeof(PF_VEC));
}

PF_TARGET PF_INLINE void PF_NAME(pf_load_float)(PF_VEC *v, const float *p)
{
    int j;
    for (j = 0; j < PF_NV; j++) {
#ifdef PF_LOAD_WIDENED
        v[j] = (PF_VEC)PF_LOAD_WIDENED(p + j * PF_W);
#else
        PF_VECF narrow;
        memcpy(&narrow, p + j * PF_W, sizeof narrow);
        v[j] = PF_WIDEN(narrow);
#endif
    }
}

/* The lanes of v[0..PF_NV-1] added in a fixed pairwise order (PF_LANES == 4). */
PF_TARGET PF_INLINE double PF_NAME(pf_lane_sum)(const PF_VEC *v)
{
#define PF_LANE(l) PF_ELEM(v[(l) / PF_W], (l) % PF_W)
    return (PF_LANE(0) + PF_LANE(1)) + (PF_LANE(2) + PF_LANE(3));
#undef PF_LANE
}

/*
 * The fused pass over PF_LANES samples: residual r = p(x) - y by Horner's rule
 * (times mask, which zeroes padding lanes), loss += r^2 and
 * acc[k] += r x^k for k = 0..degree.
 */
#define PF_DEFINE_STEP(T)                                                     \
PF_TARGET PF_INLINE void PF_NAME(pf_step_##T)(                                \
    const T *x, const T *y, const double *mask, const double *coef,           \
    const int degree, PF_VEC *loss, PF_VEC *acc)                              \
{                                                                             \
    PF_VEC xv[PF_NV], yv[PF_NV], p[PF_NV], term[PF_NV];                       \
    int j, k;                                                                 \
    PF_NAME(pf_load_##T)(xv, x);                                              \
    PF_NAME(pf_load_##T)(yv, y);                                              \
    /* r = x (c1 + x (c2 + ...)) + (c0 - y): Horner's rule with the      */ \
    /* subtraction of y taken off the dependency chain.                   */ \
    for (j = 0; j < PF_NV; j++)                                               \
        term[j] = coef[0] - yv[j];                                            \
    if (degree > 0) {                                                         \
        for (j = 0; j < PF_NV; j++)                                           \
            p[j] = PF_SPLAT(coef[degree]);                                    \
        for (k = degree - 1; k >= 1; k--)                                     \
            for (j = 0; j < PF_NV; j++)                                       \
                p[j] = p[j] * xv[j] + coef[k];                                \
        for (j = 0; j < PF_NV; j++)                                           \
            term[j] = p[j] * xv[j] + term[j];                                 \
    }                                                                         \
    if (mask != NULL) {                                                       \
        PF_VEC m[PF_NV];                                                      \
        PF_NAME(pf_load_double)(m, mask);                                     \
        for (j = 0; j < PF_NV; j++)                                           \
            term[j] = term[j] * m[j];                                         \
    }                                                                         \
    for (j = 0; j < PF_NV; j++) {                                             \
        loss[j] += term[j] * term[j];                                         \
        acc[j] += term[j];                                                    \
    }                                                                         \
    for (k = 1; k <= degree; k++)                                             \
        for (j = 0; j < PF_NV; j++) {                                         \
            term[j] = term[j] * xv[j];                                        \
            acc[k * PF_NV + j] += term[j];                                    \
        }                                                                     \
}

/* The last n - i < PF_LANES samples, padded with zeros, and a mask that is 1.0
 * for the real lanes and 0.0 for the padding. */
#define PF_PADDED_TAIL(T)                                                     \
    T x_pad[PF_LANES] = {0}, y_pad[PF_LANES] = {0};                           \
    double mask[PF_LANES] = {0};                                              \
    int l;                                                                    \
    for (l = 0; l < n - i; l++) {                                             \
        x_pad[l] = x[i + l];                                                  \
        y_pad[l] = y[i + l];                                                  \
        mask[l] = 1.0;                                                        \
    }

/*
 * One block of n <= PF_BLOCK samples: sums[0] = sum r^2, sums[1 + k] = sum r x^k.
 * scratch holds (degree + 1) * PF_LANES doubles, aligned to 64 bytes, for
 * degrees above PF_SPECIALISED_MAX; NULL selects a local array, which the
 * compiler keeps in registers once degree is a constant.
 */
#define PF_DEFINE_BLOCK(T)                                                    \
PF_DEFINE_STEP(T)                                                             \
PF_TARGET PF_INLINE void PF_NAME(pf_block_##T)(                               \
    const T *x, const T *y, ptrdiff_t n, const double *coef,                  \
    const int degree, double *sums, void *scratch)                            \
{                                                                             \
    PF_VEC local[(PF_SPECIALISED_MAX + 1) * PF_NV];                           \
    PF_VEC *acc = scratch != NULL ? (PF_VEC *)scratch : local;                \
    PF_VEC loss[PF_NV];                                                       \
    ptrdiff_t i = 0;                                                          \
    int j, k;                                                                 \
    for (j = 0; j < PF_NV; j++)                                               \
        loss[j] = PF_SPLAT(0.0);                                              \
    for (k = 0; k < (degree + 1) * PF_NV; k++)                                \
        acc[k] = PF_SPLAT(0.0);                                               \
    for (; i + PF_LANES <= n; i += PF_LANES)                                  \
        PF_NAME(pf_step_##T)(x + i, y + i, NULL, coef, degree, loss, acc);    \
    if (i < n) {                                                              \
        PF_PADDED_TAIL(T);                                                    \
        PF_NAME(pf_step_##T)(x_pad, y_pad, mask, coef, degree, loss, acc);    \
    }                                                                         \
    sums[0] = PF_NAME(pf_lane_sum)(loss);                                     \
    for (k = 0; k <= degree; k++)                                             \
        sums[1 + k] = PF_NAME(pf_lane_sum)(acc + k * PF_NV);                  \
}

PF_DEFINE_BLOCK(double)
PF_DEFINE_BLOCK(float)

/* The block functions proper: each small degree gets its own copy of the
 * pass with the degree a constant. */
#define PF_SPECIALISE(T, D)                                                   \
    case D:                                                                   \
        PF_NAME(pf_block_##T)((const T *)x, (const T *)y, n, coef, D, sums, NULL); \
        break;
#define PF_DEFINE_BLOCK_FN(T)                                                 \
PF_TARGET static void PF_NAME(pf_block_fn_##T)(                               \
    const void *x, const void *y, ptrdiff_t n, const double *coef,            \
    int degree, double *sums, void *scratch)                                  \
{                                                                             \
    switch (degree) {                                                         \
    PF_SPECIALISE(T, 0) PF_SPECIALISE(T, 1) PF_SPECIALISE(T, 2)               \
    PF_SPECIALISE(T, 3) PF_SPECIALISE(T, 4) PF_SPECIALISE(T, 5)               \
    PF_SPECIALISE(T, 6) PF_SPECIALISE(T, 7) PF_SPECIALISE(T, 8)               \
    default:                                                                  \
        PF_NAME(pf_block_##T)((const T *)x, (const T *)y, n, coef, degree, sums, scratch); \
    }                                                                         \
}

PF_DEFINE_BLOCK_FN(double)
PF_DEFINE_BLOCK_FN(float)

/*
 * The power sums of PF_LANES samples, u = (x - shift) * scale: acc[k] += u^k
 * (k = 0..2 degree), acc[2 degree + 1 + k] += u^k y (k = 0..degree),
 * acc[3 degree + 2] += y^2.  mask zeroes the padding lanes.
 */
#define PF_DEFINE_MOMENTS_STEP(T)                                             \
PF_TARGET PF_INLINE void PF_NAME(pf_moments_step_##T)(                        \
    const T *x, const T *y, const double *mask, double shift, double scale,   \
    const int degree, PF_VEC *acc)                                            \
{                                                                             \
    PF_VEC xv[PF_NV], yv[PF_NV], power[PF_NV];                                \
    int j, k;                                                                 \
    PF_NAME(pf_load_##T)(xv, x);                                              \
    PF_NAME(pf_load_##T)(yv, y);                                              \
    for (j = 0; j < PF_NV; j++) {                                             \
        xv[j] = (xv[j] - shift) * scale;                                      \
        power[j] = PF_SPLAT(1.0);                                             \
    }                                                                         \
    if (mask != NULL) {                                                       \
        PF_NAME(pf_load_double)(power, mask);                                 \
        for (j = 0; j < PF_NV; j++)                                           \
            yv[j] = yv[j] * power[j];                                         \
    }                                                                         \
    for (j = 0; j < PF_NV; j++)                                               \
        acc[(3 * degree + 2) * PF_NV + j] += yv[j] * yv[j];                   \
    for (k = 0; k <= 2 * degree; k++)                                         \
        for (j = 0; j < PF_NV; j++) {                                         \
            acc[k * PF_NV + j] += power[j];                                   \
            if (k <= degree)                                                  \
                acc[(2 * degree + 1 + k) * PF_NV + j] += power[j] * yv[j];    \
            power[j] = power[j] * xv[j];                                      \
        }                                                                     \
}

/* One block of power sums (params = {shift, scale}); scratch as for pf_block. */
#define PF_DEFINE_MOMENTS_BLOCK(T)                                            \
PF_DEFINE_MOMENTS_STEP(T)                                                     \
PF_TARGET PF_INLINE void PF_NAME(pf_moments_block_##T)(                       \
    const T *x, const T *y, ptrdiff_t n, const double *params,                \
    const int degree, double *sums, void *scratch)                            \
{                                                                             \
    PF_VEC local[(3 * PF_SPECIALISED_MAX + 3) * PF_NV];                       \
    PF_VEC *acc = scratch != NULL ? (PF_VEC *)scratch : local;                \
    const int width = 3 * degree + 3;                                         \
    ptrdiff_t i = 0;                                                          \
    int k;                                                                    \
    for (k = 0; k < width * PF_NV; k++)                                       \
        acc[k] = PF_SPLAT(0.0);                                               \
    for (; i + PF_LANES <= n; i += PF_LANES)                                  \
        PF_NAME(pf_moments_step_##T)(x + i, y + i, NULL, params[0], params[1], \
                                     degree, acc);                            \
    if (i < n) {                                                              \
        PF_PADDED_TAIL(T);                                                    \
        PF_NAME(pf_moments_step_##T)(x_pad, y_pad, mask, params[0], params[1], \
                                     degree, acc);                            \
    }                                                                         \
    for (k = 0; k < width; k++)                                               \
        sums[k] = PF_NAME(pf_lane_sum)(acc + k * PF_NV);                      \
}

PF_DEFINE_MOMENTS_BLOCK(double)
PF_DEFINE_MOMENTS_BLOCK(float)

#define PF_SPECIALISE_MOMENTS(T, D)                                           \
    case D:                                                                   \
        PF_NAME(pf_moments_block_##T)((const T *)x, (const T *)y, n, params, D, sums, NULL); \
        break;
#define PF_DEFINE_MOMENTS_FN(T)                                               \
PF_TARGET static void PF_NAME(pf_moments_fn_##T)(                             \
    const void *x, const void *y, ptrdiff_t n, const double *params,          \
    int degree, double *sums, void *scratch)                                  \
{                                                                             \
    switch (degree) {                                                         \
    PF_SPECIALISE_MOMENTS(T, 0) PF_SPECIALISE_MOMENTS(T, 1)                   \
    PF_SPECIALISE_MOMENTS(T, 2) PF_SPECIALISE_MOMENTS(T, 3)                   \
    PF_SPECIALISE_MOMENTS(T, 4) PF_SPECIALISE_MOMENTS(T, 5)                   \
    PF_SPECIALISE_MOMENTS(T, 6) PF_SPECIALISE_MOMENTS(T, 7)                   \
    PF_SPECIALISE_MOMENTS(T, 8)                                               \
    default:                                                                  \
        PF_NAME(pf_moments_block_##T)((const T *)x, (const T *)y, n, params, degree, sums, \
                                      scratch);                               \
    }                                                                         \
}

PF_DEFINE_MOMENTS_FN(double)
PF_DEFINE_MOMENTS_FN(float)

#undef PF_SPECIALISE
#undef PF_SPECIALISE_MOMENTS
#undef PF_DEFINE_MOMENTS_FN
#undef PF_DEFINE_MOMENTS_BLOCK
#undef PF_DEFINE_MOMENTS_STEP
#undef PF_PADDED_TAIL
#undef PF_DEFINE_BLOCK_FN
#undef PF_DEFINE_BLOCK
#undef PF_DEFINE_STEP
#undef PF_SPLAT
#undef PF_WIDEN
#undef PF_ELEM
#undef PF_VECF
#undef PF_VEC
#undef PF_NV
#undef PF_NAME
#undef PF_CAT
#undef PF_CAT_
