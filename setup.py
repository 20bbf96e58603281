"""The one thing pyproject.toml cannot say: the optional C extension (Base45's fast path).

``optional=True``: where no C compiler is found the build goes on without it, and
healthcert.codec.base45 uses its Python implementation.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "healthcert.codec._base45",
            ["src/healthcert/codec/_base45.c"],
            optional=True,
        )
    ]
)
