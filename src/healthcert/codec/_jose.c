/* The text layers of a SMART Health Card in C: the optional fast path of
 * healthcert.codec.shc_numeric (shc:/ digits) and healthcert.codec.b64 (base64url).
 *
 * Every card is 1,500-odd digits that spell a JWS, whose payload and signature are base64url:
 * in Python (bytes.fromhex, translate, binascii) that is 40,000 instructions a card, the cost
 * of a twentieth of its signature check; here a tenth of it. Both functions do only the common
 * case and return None for anything else, so that the Python implementations, which the
 * tests hold equal to these, alone decide what the error says. If this file cannot be
 * compiled, healthcert runs without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Base64url digit values; -1 for bytes outside the alphabet (padding included). */
static signed char B64URL[256];
/* Whether a byte may appear in a compact JWS: the base64url alphabet, '.' and '='. */
static char IN_JWS[256];

/* shc_digits(digits: str) -> bytes | None
 * Each pair of decimal digits "00".."77" is one JWS character, chr(pair + 45); a pair that
 * spells no JWS character ('/', ':', '@', ...) is refused. */
static PyObject *
shc_digits(PyObject *module, PyObject *digits)
{
    if (!PyUnicode_Check(digits) || !PyUnicode_IS_ASCII(digits)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(digits);
    if (length % 2) {
        Py_RETURN_NONE;
    }
    const unsigned char *in = PyUnicode_1BYTE_DATA(digits);
    PyObject *result = PyBytes_FromStringAndSize(NULL, length / 2);
    if (result == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    for (Py_ssize_t i = 0; i < length; i += 2) {
        unsigned tens = in[i] - (unsigned)'0', units = in[i + 1] - (unsigned)'0';
        unsigned pair = tens * 10 + units;
        if (tens > 9 || units > 9 || pair > 77 || !IN_JWS[pair + 45]) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        *out++ = (unsigned char)(pair + 45);
    }
    return result;
}

/* b64url(data: bytes) -> bytes | None
 * Base64url without padding, or padded with '=' to a multiple of four characters. As
 * binascii's lenient mode, which the Python path uses, the unused low bits of the last
 * character are not looked at. */
static PyObject *
b64url(PyObject *module, PyObject *data)
{
    if (!PyBytes_Check(data)) {
        Py_RETURN_NONE;
    }
    Py_ssize_t length = PyBytes_GET_SIZE(data);
    const unsigned char *in = (const unsigned char *)PyBytes_AS_STRING(data);
    Py_ssize_t bare = length;
    while (bare > 0 && in[bare - 1] == '=') {
        bare--;
    }
    if ((bare != length && (length - bare > 2 || length % 4)) || bare % 4 == 1) {
        Py_RETURN_NONE;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, bare / 4 * 3 + (bare % 4 ? bare % 4 - 1 : 0));
    if (result == NULL) {
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(result);
    Py_ssize_t i = 0;
    for (; i + 4 <= bare; i += 4) {
        int a = B64URL[in[i]], b = B64URL[in[i + 1]], c = B64URL[in[i + 2]], d = B64URL[in[i + 3]];
        if ((a | b | c | d) < 0) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        unsigned long value = ((unsigned long)a << 18) | (b << 12) | (c << 6) | d;
        *out++ = (unsigned char)(value >> 16);
        *out++ = (unsigned char)(value >> 8);
        *out++ = (unsigned char)value;
    }
    if (bare - i >= 2) {
        int a = B64URL[in[i]], b = B64URL[in[i + 1]];
        int c = bare - i == 3 ? B64URL[in[i + 2]] : 0;
        if ((a | b | c) < 0) {
            Py_DECREF(result);
            Py_RETURN_NONE;
        }
        unsigned long value = ((unsigned long)a << 18) | (b << 12) | (c << 6);
        *out++ = (unsigned char)(value >> 16);
        if (bare - i == 3) {
            *out++ = (unsigned char)(value >> 8);
        }
    }
    return result;
}

static PyMethodDef methods[] = {
    {"shc_digits", shc_digits, METH_O,
     "The JWS that shc:/ digit pairs spell; None unless every pair is 00 to 77."},
    {"b64url", b64url, METH_O, "Decode base64url bytes; None unless they are valid."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_jose", "SMART Health Card text layers, the fast path.", -1, methods,
};

PyMODINIT_FUNC
PyInit__jose(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    memset(B64URL, -1, sizeof B64URL);
    for (int i = 0; alphabet[i]; i++) {
        B64URL[(unsigned char)alphabet[i]] = (signed char)i;
        IN_JWS[(unsigned char)alphabet[i]] = 1;
    }
    IN_JWS['.'] = IN_JWS['='] = 1;
    return PyModule_Create(&module);
}
