/* CBOR decoding and encoding in C: the optional fast path of healthcert.codec.cbor.
 *
 * Every EU DCC payload carries its claims as a small CBOR map of JSON-like values. Decoding it
 * with the general decoder cost about a tenth of a verification, more than everything else
 * in decoding together; encoding it, a tenth of an issuance. Both handle only that subset
 * (encoding: exact dicts, lists, texts, bytes, 64-bit ints, booleans and null, written as
 * cbor2 writes them) and leave everything else to cbor2. The decoder reads definite lengths only:
 * integers, byte and text strings, arrays, maps, false, true, null, floats, and the date tags
 * healthcert keeps as the value they wrap (0, 1, 100, 1004). For anything else -- another tag
 * or simple value, an indefinite length, a duplicate or container map key, bad UTF-8, nesting
 * at the limit, a truncated item or bytes after it -- it returns NotImplemented, and the
 * general decoder, which the tests hold equal to this one, alone decides what the answer or
 * the error is. If this file cannot be compiled, healthcert runs without it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const unsigned char *at;
    const unsigned char *end;
    int depth_left;
} Reader;

/* Each read_* function returns a new reference, or NULL. NULL without an exception set means
 * "not in the subset": the caller gives up without building anything more. */

static PyObject *read_item(Reader *reader, int as_key);

/* Short ASCII texts -- map keys, codes, dates -- repeat from one certificate to the next. The
 * last one seen in each slot is kept and handed out again: no new object, and its hash, which
 * every dict operation needs, is already computed. */
#define CACHE_SLOTS 512
#define CACHED_LENGTH 16
static PyObject *text_cache[CACHE_SLOTS];

static PyObject *
read_text(const char *start, Py_ssize_t length)
{
    if (length > CACHED_LENGTH) {
        return PyUnicode_DecodeUTF8(start, length, NULL);
    }
    uint32_t hash = 2166136261u ^ (uint32_t)length; /* FNV-1a */
    for (Py_ssize_t i = 0; i < length; i++) {
        hash = (hash ^ (unsigned char)start[i]) * 16777619u;
    }
    PyObject **slot = &text_cache[hash & (CACHE_SLOTS - 1)];
    PyObject *cached = *slot;
    /* An ASCII text's characters are its UTF-8 bytes. */
    if (cached != NULL && PyUnicode_GET_LENGTH(cached) == length &&
        memcmp(PyUnicode_1BYTE_DATA(cached), start, (size_t)length) == 0) {
        return Py_NewRef(cached);
    }
    PyObject *text = PyUnicode_DecodeUTF8(start, length, NULL);
    if (text != NULL && PyUnicode_IS_ASCII(text)) {
        Py_XSETREF(*slot, Py_NewRef(text));
    }
    return text;
}

static int
read_argument(Reader *reader, int info, uint64_t *argument)
{
    if (info < 24) {
        *argument = (uint64_t)info;
        return 0;
    }
    if (info > 27) {
        return -1; /* reserved, or an indefinite length */
    }
    Py_ssize_t size = (Py_ssize_t)1 << (info - 24);
    if (reader->end - reader->at < size) {
        return -1;
    }
    uint64_t value = 0;
    for (Py_ssize_t i = 0; i < size; i++) {
        value = (value << 8) | reader->at[i];
    }
    reader->at += size;
    *argument = value;
    return 0;
}

static int
enter(Reader *reader)
{
    /* The general decoder refuses more than its limit of nested containers and tags: at the
     * limit this one gives up, so that the two never disagree on depth. */
    return --reader->depth_left > 0 ? 0 : -1;
}

static PyObject *
read_array(Reader *reader, uint64_t count)
{
    /* Every item takes at least one byte: a larger count cannot be true. */
    if (count > (uint64_t)(reader->end - reader->at) || enter(reader) < 0) {
        return NULL;
    }
    PyObject *list = PyList_New((Py_ssize_t)count);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < (Py_ssize_t)count; i++) {
        PyObject *item = read_item(reader, 0);
        if (item == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    reader->depth_left++;
    return list;
}

static PyObject *
read_map(Reader *reader, uint64_t count)
{
    if (count > (uint64_t)(reader->end - reader->at) / 2 || enter(reader) < 0) {
        return NULL;
    }
    PyObject *map = PyDict_New();
    if (map == NULL) {
        return NULL;
    }
    for (uint64_t i = 0; i < count; i++) {
        PyObject *key = read_item(reader, 1);
        PyObject *value = key == NULL ? NULL : read_item(reader, 0);
        /* A duplicate key is left to the general decoder, which refuses it. The map does not
         * grow then (the value stored before may be the very same object: texts are shared). */
        Py_ssize_t size = PyDict_GET_SIZE(map);
        PyObject *stored = value == NULL ? NULL : PyDict_SetDefault(map, key, value);
        int duplicate = PyDict_GET_SIZE(map) == size;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (stored == NULL || duplicate) {
            Py_DECREF(map);
            return NULL;
        }
    }
    reader->depth_left++;
    return map;
}

static PyObject *
read_simple(Reader *reader, int info)
{
    const unsigned char *at = reader->at;
    switch (info) {
    case 20:
        Py_RETURN_FALSE;
    case 21:
        Py_RETURN_TRUE;
    case 22:
        Py_RETURN_NONE;
    case 25:
        if (reader->end - at < 2) {
            return NULL;
        }
        reader->at += 2;
        return PyFloat_FromDouble(PyFloat_Unpack2((const char *)at, 0));
    case 26:
        if (reader->end - at < 4) {
            return NULL;
        }
        reader->at += 4;
        return PyFloat_FromDouble(PyFloat_Unpack4((const char *)at, 0));
    case 27:
        if (reader->end - at < 8) {
            return NULL;
        }
        reader->at += 8;
        return PyFloat_FromDouble(PyFloat_Unpack8((const char *)at, 0));
    default:
        return NULL; /* undefined, other simple values, a lone break */
    }
}

static PyObject *
read_tagged(Reader *reader, uint64_t tag, int as_key)
{
    /* The date and time tags are kept as the value they wrap (see cbor.py). */
    if ((tag != 0 && tag != 1 && tag != 100 && tag != 1004) || enter(reader) < 0) {
        return NULL;
    }
    PyObject *value = read_item(reader, as_key);
    reader->depth_left++;
    return value;
}

static PyObject *
read_item(Reader *reader, int as_key)
{
    if (reader->at >= reader->end) {
        return NULL;
    }
    int head = *reader->at++;
    int major = head >> 5, info = head & 31;
    if (major == 7) {
        return read_simple(reader, info);
    }
    uint64_t argument;
    if (read_argument(reader, info, &argument) < 0) {
        return NULL;
    }
    const char *start = (const char *)reader->at;
    switch (major) {
    case 0:
        return PyLong_FromUnsignedLongLong(argument);
    case 1:
        if (argument > (uint64_t)INT64_MAX) {
            return NULL;
        }
        return PyLong_FromLongLong(-1 - (long long)argument);
    case 2:
    case 3:
        if (argument > (uint64_t)(reader->end - reader->at)) {
            return NULL;
        }
        reader->at += argument;
        if (major == 2) {
            return PyBytes_FromStringAndSize(start, (Py_ssize_t)argument);
        }
        return read_text(start, (Py_ssize_t)argument);
    case 4:
        return as_key ? NULL : read_array(reader, argument);
    case 5:
        return as_key ? NULL : read_map(reader, argument);
    default: /* 6 */
        return read_tagged(reader, argument, as_key);
    }
}

/* loads(data: bytes, max_depth: int) -> object, or NotImplemented */
static PyObject *
cbor_loads(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_CheckExact(args[0]) || !PyLong_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "loads(data: bytes, max_depth: int)");
        return NULL;
    }
    long max_depth = PyLong_AsLong(args[1]);
    if (max_depth == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const unsigned char *data = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Reader reader = {data, data + PyBytes_GET_SIZE(args[0]),
                     max_depth > 1000 ? 1000 : (int)max_depth};
    PyObject *item = read_item(&reader, 0);
    if (item != NULL && reader.at == reader.end) {
        return item;
    }
    Py_XDECREF(item);
    if (PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
            return NULL;
        }
        PyErr_Clear(); /* bad UTF-8, an unhashable key: the general decoder words it */
    }
    Py_RETURN_NOTIMPLEMENTED;
}

/* --- encoding ------------------------------------------------------------------------------ */

typedef struct {
    char *data;
    Py_ssize_t size;
    Py_ssize_t capacity;
} Buffer;

/* Each write_* function returns 0, or -1: with an exception set when memory ran out, without
 * one for a value outside the subset. */

static int
reserve(Buffer *buffer, Py_ssize_t more)
{
    if (buffer->size + more <= buffer->capacity) {
        return 0;
    }
    Py_ssize_t capacity = buffer->capacity * 2;
    while (capacity < buffer->size + more) {
        capacity *= 2;
    }
    char *data = PyMem_Realloc(buffer->data, (size_t)capacity);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 0;
}

static int
write_head(Buffer *buffer, int major, uint64_t argument)
{
    /* The shortest form, as cbor2 writes it. */
    int size = argument < 24 ? 0 : argument <= 0xFF ? 1 : argument <= 0xFFFF ? 2
               : argument <= 0xFFFFFFFFu ? 4 : 8;
    if (reserve(buffer, 1 + size) < 0) {
        return -1;
    }
    unsigned char *at = (unsigned char *)buffer->data + buffer->size;
    static const int info[9] = {0, 24, 25, 0, 26, 0, 0, 0, 27};
    *at++ = (unsigned char)((major << 5) | (size == 0 ? (int)argument : info[size]));
    for (int i = size - 1; i >= 0; i--) {
        *at++ = (unsigned char)(argument >> (8 * i));
    }
    buffer->size += 1 + size;
    return 0;
}

static int
write_bytes(Buffer *buffer, int major, const char *data, Py_ssize_t length)
{
    if (write_head(buffer, major, (uint64_t)length) < 0 || reserve(buffer, length) < 0) {
        return -1;
    }
    memcpy(buffer->data + buffer->size, data, (size_t)length);
    buffer->size += length;
    return 0;
}

static int
write_int(Buffer *buffer, PyObject *value)
{
    int overflow;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow != 0 || (number == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return -1; /* beyond 64 bits: cbor2 writes a bignum tag */
    }
    if (number >= 0) {
        return write_head(buffer, 0, (uint64_t)number);
    }
    return write_head(buffer, 1, (uint64_t)(-1 - number));
}

static int write_value(Buffer *buffer, PyObject *value, int depth);

static int
write_container(Buffer *buffer, PyObject *value, int depth)
{
    if (PyList_CheckExact(value)) {
        Py_ssize_t length = PyList_GET_SIZE(value);
        if (write_head(buffer, 4, (uint64_t)length) < 0) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < length; i++) {
            if (write_value(buffer, PyList_GET_ITEM(value, i), depth) < 0) {
                return -1;
            }
        }
        return 0;
    }
    /* A dict: in its own order, as cbor2 writes it outside canonical mode. */
    if (write_head(buffer, 5, (uint64_t)PyDict_GET_SIZE(value)) < 0) {
        return -1;
    }
    Py_ssize_t position = 0;
    PyObject *key, *item;
    while (PyDict_Next(value, &position, &key, &item)) {
        if (write_value(buffer, key, depth) < 0 || write_value(buffer, item, depth) < 0) {
            return -1;
        }
    }
    return 0;
}

static int
write_value(Buffer *buffer, PyObject *value, int depth)
{
    /* Exact types only: a subclass (an enum, a datetime) is cbor2's to write. */
    if (PyUnicode_CheckExact(value)) {
        Py_ssize_t length;
        const char *text = PyUnicode_AsUTF8AndSize(value, &length);
        if (text == NULL) {
            PyErr_Clear(); /* a lone surrogate */
            return -1;
        }
        return write_bytes(buffer, 3, text, length);
    }
    if (PyLong_CheckExact(value)) {
        return write_int(buffer, value);
    }
    if (PyBytes_CheckExact(value)) {
        return write_bytes(buffer, 2, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value));
    }
    if (value == Py_None || value == Py_True || value == Py_False) {
        return write_head(buffer, 7, value == Py_None ? 22 : value == Py_True ? 21 : 20);
    }
    if ((PyList_CheckExact(value) || PyDict_CheckExact(value)) && depth < 64) {
        return write_container(buffer, value, depth + 1);
    }
    return -1; /* floats, tuples, tags, other types, a deep (or cyclic) nest */
}

/* dumps(value) -> bytes, or NotImplemented */
static PyObject *
cbor_dumps(PyObject *module, PyObject *value)
{
    Buffer buffer = {PyMem_Malloc(512), 0, 512};
    if (buffer.data == NULL) {
        return PyErr_NoMemory();
    }
    int written = write_value(&buffer, value, 0);
    PyObject *result = written < 0 ? NULL
                                   : PyBytes_FromStringAndSize(buffer.data, buffer.size);
    PyMem_Free(buffer.data);
    if (written < 0 && !PyErr_Occurred()) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    return result;
}

static PyMethodDef methods[] = {
    {"loads", (PyCFunction)(void (*)(void))cbor_loads, METH_FASTCALL,
     "Decode one CBOR item of the JSON-like subset, or return NotImplemented."},
    {"dumps", (PyCFunction)cbor_dumps, METH_O,
     "Encode a value of the JSON-like subset as cbor2 does, or return NotImplemented."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_cbor", "CBOR decoding and encoding, the fast path.", -1, methods,
};

PyMODINIT_FUNC
PyInit__cbor(void)
{
    return PyModule_Create(&module);
}
