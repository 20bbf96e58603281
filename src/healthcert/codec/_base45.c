/* Base45 (RFC 9285) in C: the optional fast path of healthcert.codec.base45.
 *
 * Every EU DCC payload is Base45 text; decoding it in Python costs about a tenth of a
 * verification beside the signature, encoding it a tenth of an issuance. These two functions
 * do only the common case and return None for anything else (a bad character, length or
 * triplet), so that the Python implementation, which the tests hold equal to this one, alone
 * decides what the error says. If this file cannot be compiled, healthcert runs without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static const char ALPHABET[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
static signed char DIGIT[256];

/* decode(text: str) -> bytes | None */
static PyObject *
base45_decode(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text) || !PyUnicode_IS_ASCII(text)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const unsigned char *in = PyUnicode_1BYTE_DATA(text);
    Py_ssize_t full = length / 3, rest = length % 3;
    if (rest == 1) {
        Py_RETURN_NONE;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, full * 2 + (rest == 2));
    if (result == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < full; i++, in += 3) {
        int a = DIGIT[in[0]], b = DIGIT[in[1]], c = DIGIT[in[2]];
        long value = a + 45L * b + 2025L * c;
        if ((a | b | c) < 0 || value > 0xFFFF) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        *out++ = (unsigned char)(value >> 8);
        *out++ = (unsigned char)(value & 0xFF);
    }
    if (rest == 2) {
        int a = DIGIT[in[0]], b = DIGIT[in[1]];
        long value = a + 45L * b;
        if ((a | b) < 0 || value > 0xFF) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        *out = (unsigned char)value;
    }
    return result;
}

/* encode(data: bytes) -> str */
static PyObject *
base45_encode(PyObject *module, PyObject *data)
{
    if (!PyBytes_Check(data)) {
        PyErr_SetString(PyExc_TypeError, "Base45 encodes bytes");
        return NULL;
    }
    Py_ssize_t length = PyBytes_GET_SIZE(data);
    const unsigned char *in = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t pairs = length / 2;
    PyObject *result = PyUnicode_New(pairs * 3 + (length % 2 ? 2 : 0), 127);
    if (result == NULL) {
        return NULL;
    }
    Py_UCS1 *out = PyUnicode_1BYTE_DATA(result);
    for (Py_ssize_t i = 0; i < pairs; i++, in += 2) {
        unsigned value = ((unsigned)in[0] << 8) | in[1];
        *out++ = (Py_UCS1)ALPHABET[value % 45];
        *out++ = (Py_UCS1)ALPHABET[value / 45 % 45];
        *out++ = (Py_UCS1)ALPHABET[value / 2025];
    }
    if (length % 2) {
        *out++ = (Py_UCS1)ALPHABET[in[0] % 45];
        *out++ = (Py_UCS1)ALPHABET[in[0] / 45];
    }
    return result;
}

static PyMethodDef methods[] = {
    {"decode", base45_decode, METH_O, "Decode Base45 text; None unless it is valid Base45."},
    {"encode", base45_encode, METH_O, "Encode bytes as Base45 text."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_base45", "Base45 (RFC 9285), the fast path.", -1, methods,
};

PyMODINIT_FUNC
PyInit__base45(void)
{
    memset(DIGIT, -1, sizeof DIGIT);
    for (int i = 0; ALPHABET[i]; i++) {
        DIGIT[(unsigned char)ALPHABET[i]] = (signed char)i;
    }
    return PyModule_Create(&module);
}
