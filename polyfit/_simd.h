/* What polyfit's Cython kernel (_kernel.pxi) cannot say in Cython: the vector type
 * of the instruction set it is compiled for, its loads, its fused multiply-add, the
 * fixed-order sum of its lanes, a few facts about the machine.  setup.py compiles the
 * kernel once per instruction set: POLYFIT_AVX512 (AVX-512F/VL + FMA, 8 lanes in one
 * vector), POLYFIT_AVX2 (AVX2 + FMA, 4 lanes in one vector) or neither, the baseline
 * (4 lanes in two 128-bit vectors: SSE2, NEON; in four scalars elsewhere).  Lane l is
 * element l % PF_W of vector l / PF_W; sample i of a group of PF_LANES feeds lane i.
 * Built with -ffp-contract=off, a*b + c is rounded twice unless written pf_fma: the
 * bits follow from this source and the instruction set, not the optimisation level. */
#ifndef POLYFIT_SIMD_H
#define POLYFIT_SIMD_H
#include <stdint.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PF_GNU 1
/* GCC declines to inline the degree-specialised block functions in a module of
 * Cython's size ("inline-unit-growth limit"): forced. */
#define PF_FORCE_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define PF_FORCE_INLINE __forceinline
#else
#define PF_FORCE_INLINE inline
#endif

#if defined(PF_GNU) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif
#if defined(POLYFIT_AVX512)
#define PF_ISA_NAME "avx512"
#define PF_W 8
#define PF_LANES 8
#define PF_SPECIALISED_MAX 12 /* 32 registers: accumulators of degree 12 fit */
/* groups of 8 samples per step of the degree-specialised pass: 4, but at degree 12
 * the 13 accumulators and 4 groups' temporaries no longer fit in 32 registers */
#define PF_GROUPS(degree) ((degree) == 12 ? 2 : 4)
typedef __m512d pf_vec;
static PF_FORCE_INLINE pf_vec pf_load(const double *p) { return _mm512_loadu_pd(p); }
static PF_FORCE_INLINE pf_vec pf_load_f32(const float *p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
static PF_FORCE_INLINE pf_vec pf_fma(pf_vec a, pf_vec b, pf_vec c) { return _mm512_fmadd_pd(a, b, c); }

#elif defined(POLYFIT_AVX2)
#define PF_ISA_NAME "avx2"
#define PF_W 4
#define PF_LANES 4
#define PF_SPECIALISED_MAX 8 /* 16 registers */
#define PF_GROUPS(degree) 4
typedef __m256d pf_vec;
static PF_FORCE_INLINE pf_vec pf_load(const double *p) { return _mm256_loadu_pd(p); }
static PF_FORCE_INLINE pf_vec pf_load_f32(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
static PF_FORCE_INLINE pf_vec pf_fma(pf_vec a, pf_vec b, pf_vec c) { return _mm256_fmadd_pd(a, b, c); }

#else /* the baseline: no FMA instruction, so a*b + c is two roundings */
#define PF_ISA_NAME "baseline"
#define PF_LANES 4
#define PF_SPECIALISED_MAX 8
#define PF_GROUPS(degree) 4
#if defined(PF_GNU) && (defined(__x86_64__) || defined(__aarch64__))
#define PF_W 2
typedef double pf_vec __attribute__((vector_size(16)));
typedef float pf_vecf __attribute__((vector_size(8)));
static PF_FORCE_INLINE pf_vec pf_load(const double *p) { pf_vec v; return memcpy(&v, p, sizeof v), v; }
static PF_FORCE_INLINE pf_vec pf_load_f32(const float *p)
{
#if defined(__x86_64__) /* one cvtps2pd; GCC widens the generic way one float at a time */
    return (pf_vec)_mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)(const void *)p)));
#else
    pf_vecf narrow;
    return memcpy(&narrow, p, sizeof narrow), __builtin_convertvector(narrow, pf_vec);
#endif
}
#else
#define PF_W 1
typedef double pf_vec;
static PF_FORCE_INLINE pf_vec pf_load(const double *p) { return *p; }
static PF_FORCE_INLINE pf_vec pf_load_f32(const float *p) { return (double)*p; }
#endif
static PF_FORCE_INLINE pf_vec pf_fma(pf_vec a, pf_vec b, pf_vec c) { return a * b + c; }
#endif

#define PF_NV (PF_LANES / PF_W) /* vectors per sum */

/* count vectors of doubles from p; aligned (AVX-512): the lines they lie in (no other page), shifted */
static PF_FORCE_INLINE void pf_load_run(const double *p, int count, pf_vec *out, int aligned)
{
#if defined(POLYFIT_AVX512)
    if (aligned) { /* o: p's offset in its line, in doubles; o = 0 takes all lanes from b */
        long long o = (long long)(((uintptr_t)p >> 3) & 7);
        const double *a = (const double *)((uintptr_t)p & ~(uintptr_t)63), *b = o ? a + 8 : a;
        __m512i at = _mm512_add_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi64(o ? o : 8));
        for (int v = 0; v < count; v++)
            out[v] = _mm512_permutex2var_pd(_mm512_load_pd(a + 8 * v), at, _mm512_load_pd(b + 8 * v));
        return;
    }
#endif
    for (int v = 0; v < count; v++)
        out[v] = pf_load(p + v * PF_W);
}

static PF_FORCE_INLINE pf_vec pf_splat(double value) /* one broadcast instruction */
{
#if defined(POLYFIT_AVX512)
    return _mm512_set1_pd(value);
#elif defined(POLYFIT_AVX2)
    return _mm256_set1_pd(value);
#elif PF_W == 2 && defined(__x86_64__)
    return (pf_vec)_mm_set1_pd(value);
#elif PF_W == 2
    return (pf_vec){value, value};
#else
    return value;
#endif
}

/* count <= PF_W doubles (floats, widened) at p, zeros after: a partial group of columns. */
static PF_FORCE_INLINE pf_vec pf_load_partial(const double *p, int count)
{ double lanes[PF_W] = {0}; return memcpy(lanes, p, (size_t)count * sizeof *p), pf_load(lanes); }
static PF_FORCE_INLINE pf_vec pf_load_partial_f32(const float *p, int count)
{ float lanes[PF_W] = {0}; return memcpy(lanes, p, (size_t)count * sizeof *p), pf_load_f32(lanes); }
static PF_FORCE_INLINE void pf_store_partial(double *p, pf_vec v, int count)
{ memcpy(p, &v, (size_t)count * sizeof *p); }

#if PF_W > 1 /* lane-wise min and max, exact (NaN lanes: either); a < b masks GNU vectors' lanes */
typedef long long pf_mask __attribute__((vector_size(sizeof(pf_vec))));
#define PF_PICK(m, a, b) ((pf_vec)(((pf_mask)(m) & (pf_mask)(a)) | (~(pf_mask)(m) & (pf_mask)(b))))
static PF_FORCE_INLINE pf_vec pf_min(pf_vec a, pf_vec b) { return PF_PICK(a < b, a, b); }
static PF_FORCE_INLINE pf_vec pf_max(pf_vec a, pf_vec b) { return PF_PICK(a > b, a, b); }
#else
static PF_FORCE_INLINE pf_vec pf_min(pf_vec a, pf_vec b) { return a < b ? a : b; }
static PF_FORCE_INLINE pf_vec pf_max(pf_vec a, pf_vec b) { return a > b ? a : b; }
#endif
/* a * b + c of doubles, fused where the instruction set has FMA (as pf_fma) */
#if defined(POLYFIT_AVX2) || defined(POLYFIT_AVX512)
#define pf_fma1(a, b, c) __builtin_fma((a), (b), (c))
#else
#define pf_fma1(a, b, c) ((a) * (b) + (c))
#endif
/* The PF_LANES lanes of v[0..PF_NV-1], added pairwise in one fixed order. */
static PF_FORCE_INLINE double pf_lane_sum(const pf_vec *v)
{
    double l[PF_LANES];
    memcpy(l, v, sizeof l);
#if PF_LANES == 8
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
#else
    return (l[0] + l[1]) + (l[2] + l[3]);
#endif
}

/* A flag one thread sets and the others read while they work; a prefetch (never faults). */
#ifdef PF_GNU
static inline int pf_flag_read(const int *flag) { return __atomic_load_n(flag, __ATOMIC_RELAXED); }
static inline void pf_flag_set(int *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }
#define pf_prefetch(p) __builtin_prefetch(p)
#else
static inline int pf_flag_read(const int *flag) { return *(const volatile int *)flag; }
static inline void pf_flag_set(int *flag) { *(volatile int *)flag = 1; }
#define pf_prefetch(p) ((void)(p))
#endif

static inline double pf_seconds(void)
{ struct timespec t; return timespec_get(&t, TIME_UTC), (double)t.tv_sec + 1e-9 * (double)t.tv_nsec; }

/* 1 if this CPU (and its operating system) runs the named instruction set.  Only
 * the baseline module calls it, before any other module is imported. */
static inline int pf_cpu_supports(const char *isa)
{
    if (strcmp(isa, "baseline") == 0)
        return 1;
#if defined(PF_GNU) && defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(isa, "avx2") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (strcmp(isa, "avx512") == 0)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
#endif
    return 0;
}

#ifdef _OPENMP
static inline int pf_have_openmp(void) { return 1; }
static inline int pf_max_threads(void) { return omp_get_max_threads(); }
static inline int pf_team_size(void) { return omp_get_num_threads(); } /* in a parallel region */
#else
static inline int pf_have_openmp(void) { return 0; }
static inline int pf_max_threads(void) { return 1; }
static inline int pf_team_size(void) { return 1; }
#endif

#ifdef NDEBUG /* POLYFIT_DEBUG=1 builds keep asserts on */
static inline int pf_debug_build(void) { return 0; }
#else
static inline int pf_debug_build(void) { return 1; }
#endif
#endif
