"""The one thing pyproject.toml cannot say: the optional C extensions (fast paths of Base45,
of CBOR decoding and of a SMART Health Card's digits and base64url).

``optional=True``: where no C compiler is found the build goes on without them, and
healthcert.codec.base45, cbor, b64 and shc_numeric use their Python implementations.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "healthcert.codec._base45",
            ["src/healthcert/codec/_base45.c"],
            optional=True,
        ),
        Extension(
            "healthcert.codec._cbor",
            ["src/healthcert/codec/_cbor.c"],
            optional=True,
        ),
        Extension(
            "healthcert.codec._jose",
            ["src/healthcert/codec/_jose.c"],
            optional=True,
        ),
    ]
)
