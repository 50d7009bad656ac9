"""Declares polyfit's compiled kernel; the metadata lives in pyproject.toml.

One Cython source (polyfit/_kernel.pxi) is compiled once per instruction set:
_kernel_baseline always, _kernel_avx2 and _kernel_avx512 where the compiler
can build them (x86-64 with GCC or Clang).  polyfit._kernels picks one at run
time, after asking the CPU.  No build is ever tuned to the build machine's CPU.

Environment switches:
  POLYFIT_DEBUG=1       Cython's bounds, wraparound and initialisation checks, C
                        asserts and UBSan on (-O1 -g); for tests, not for wheels
  POLYFIT_NO_OPENMP=1   build single-threaded even if the compiler has OpenMP
"""

import os
import shutil
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def flag(name):
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


DEBUG = flag("POLYFIT_DEBUG")

SANITIZE = ["-fsanitize=undefined", "-fno-sanitize-recover=undefined"]

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,  # C semantics: the kernel divides no negative integers, by no zero
    "embedsignature": True,  # signatures for help() and mypy's stubtest
    "autotestdict": False,  # no __test__ dict: nothing in the module is a doctest
}

# Per instruction set: the compiler flags (GCC and Clang spelling), and a line of C
# that must compile with them for the module to be built.
INSTRUCTION_SETS = {
    "baseline": ([], ""),
    "avx2": (
        ["-mavx2", "-mfma", "-DPOLYFIT_AVX2"],
        "__m256d v = _mm256_fmadd_pd(_mm256_set1_pd(1), _mm256_set1_pd(2), _mm256_set1_pd(3));",
    ),
    "avx512": (
        ["-mavx512f", "-mavx512vl", "-mavx2", "-mfma", "-DPOLYFIT_AVX512"],
        "__m512d v = _mm512_fmadd_pd(_mm512_set1_pd(1), _mm512_set1_pd(2), _mm512_set1_pd(3));",
    ),
}


class BuildExt(build_ext):
    """Adds optimisation, exact floating point and, where the compiler has it,
    OpenMP; drops the instruction-set modules the compiler cannot build."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        if msvc:  # MSVC has no GNU vectors: the baseline with scalar lanes only
            compile_args = ["/Od", "/Zi"] if DEBUG else ["/O2", "/fp:precise"]
            openmp_args, openmp_link = ["/openmp"], []
        else:
            # -ffp-contract=off: a*b + c stays two roundings unless the source says
            # fma, so the results follow from the source, not from -O.  Never tuned
            # to the build machine's CPU, never fast-math (wheels run on any CPU of
            # the architecture, and must not change floating point for the process).
            compile_args = ["-O3", "-g0", "-ffp-contract=off"]  # -g0: no build paths
            if DEBUG:  # C asserts on, undefined behaviour aborts
                compile_args = ["-O1", "-g", "-UNDEBUG", "-ffp-contract=off", *SANITIZE]
                for ext in self.extensions:
                    ext.extra_link_args += SANITIZE
            openmp_args, openmp_link = ["-fopenmp"], ["-fopenmp"]
        kept = []
        for ext in self.extensions:
            isa = ext.name.rsplit("_", 1)[-1]
            isa_args, probe = INSTRUCTION_SETS[isa]
            if isa != "baseline" and (msvc or not self._compiles(isa_args, [], probe)):
                print(f"polyfit: {isa} module not built (the compiler cannot)")
                continue
            ext.extra_compile_args += isa_args
            kept.append(ext)
        self.extensions = kept
        use_openmp = not flag("POLYFIT_NO_OPENMP") and self._compiles(
            openmp_args, openmp_link, "return omp_get_max_threads() > 0 ? 0 : 1;"
        )
        for ext in self.extensions:
            ext.extra_compile_args += compile_args + (openmp_args if use_openmp else [])
            ext.extra_link_args += openmp_link if use_openmp else []
        print(
            f"polyfit: modules {[ext.name for ext in self.extensions]}, "
            f"OpenMP {'on' if use_openmp else 'off'}, debug {'on' if DEBUG else 'off'}"
        )
        if not self.parallel:  # the modules compile independently: one per core
            self.parallel = os.cpu_count() or 1
        # the longest compile first (AVX-512's, then AVX2's), so that the others
        # fill the second core while it runs instead of making it wait
        self.extensions.reverse()
        super().build_extensions()

    def _compiles(self, compile_args, link_args, body):
        """True if a small program with this body compiles and links with these flags."""
        folder = tempfile.mkdtemp()
        try:
            source = os.path.join(folder, "probe.c")
            with open(source, "w") as handle:
                handle.write(
                    "#include <omp.h>\n"
                    if "omp_" in body
                    else "#include <immintrin.h>\n"
                    if "_mm" in body
                    else ""
                )
                handle.write(f"int main(void) {{ {body} return 0; }}\n")
            objects = self.compiler.compile(
                [source], output_dir=folder, extra_postargs=compile_args
            )
            self.compiler.link_executable(
                objects, "probe", output_dir=folder, extra_postargs=link_args
            )
            return True
        except Exception:  # any compile or link failure means: not with this compiler
            return False
        finally:
            shutil.rmtree(folder, ignore_errors=True)


extensions = [
    Extension(
        f"polyfit._kernel_{isa}",
        sources=[f"polyfit/_kernel_{isa}.pyx"],
        include_dirs=["polyfit"],
        depends=["polyfit/_kernel.pxi", "polyfit/_simd.h"],
    )
    for isa in INSTRUCTION_SETS
]

setup(
    # force: the directives depend on POLYFIT_DEBUG, which Cython's cache ignores
    ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES, force=True),
    cmdclass={"build_ext": BuildExt},
)
