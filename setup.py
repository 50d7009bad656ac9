"""Declares polyfit's compiled extension; the metadata lives in pyproject.toml.

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
    "cdivision": not DEBUG,
    "embedsignature": True,  # signatures for help() and mypy's stubtest
    "autotestdict": False,  # no __test__ dict: nothing in the module is a doctest
}


class BuildExt(build_ext):
    """Adds optimisation and, where the compiler has it, OpenMP."""

    def build_extensions(self):
        msvc = self.compiler.compiler_type == "msvc"
        if msvc:
            compile_args = ["/Od", "/Zi"] if DEBUG else ["/O2"]
            openmp_args, openmp_link = ["/openmp"], []
        else:
            # Never tuned to the build machine's CPU, never fast-math: wheels must run
            # on any CPU of the architecture and must not change floating point for
            # the process that loads them.
            compile_args = ["-O3", "-g0"]  # -g0: no build paths in the wheel's binary
            if DEBUG:  # C asserts on, undefined behaviour aborts
                compile_args = ["-O1", "-g", "-UNDEBUG", *SANITIZE]
                for ext in self.extensions:
                    ext.extra_link_args += SANITIZE
            openmp_args, openmp_link = ["-fopenmp"], ["-fopenmp"]
        use_openmp = not flag("POLYFIT_NO_OPENMP") and self._compiles(openmp_args, openmp_link)
        for ext in self.extensions:
            ext.extra_compile_args += compile_args + (openmp_args if use_openmp else [])
            ext.extra_link_args += openmp_link if use_openmp else []
        print(f"polyfit: OpenMP {'on' if use_openmp else 'off'}, debug {'on' if DEBUG else 'off'}")
        super().build_extensions()

    def _compiles(self, compile_args, link_args):
        """True if a small OpenMP program compiles and links with these flags."""
        folder = tempfile.mkdtemp()
        try:
            source = os.path.join(folder, "omp_probe.c")
            with open(source, "w") as handle:
                handle.write(
                    "#include <omp.h>\n"
                    "int main(void) { return omp_get_max_threads() > 0 ? 0 : 1; }\n"
                )
            objects = self.compiler.compile(
                [source], output_dir=folder, extra_postargs=compile_args
            )
            self.compiler.link_executable(
                objects, "omp_probe", output_dir=folder, extra_postargs=link_args
            )
            return True
        except Exception:  # any compile or link failure means: no OpenMP here
            return False
        finally:
            shutil.rmtree(folder, ignore_errors=True)


extensions = [
    Extension(
        "polyfit._kernels",
        sources=["polyfit/_kernels.pyx", "polyfit/_src/pf_kernel.c"],
        include_dirs=["polyfit/_src"],
        depends=["polyfit/_src/pf_kernel.h", "polyfit/_src/pf_kernel_impl.h"],
    )
]

setup(
    # force: the directives depend on POLYFIT_DEBUG, which Cython's cache ignores
    ext_modules=cythonize(extensions, compiler_directives=DIRECTIVES, force=True),
    cmdclass={"build_ext": BuildExt},
)
