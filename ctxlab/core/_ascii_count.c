/* Counts of pure-ASCII text, without the GIL: exact tokens for cl100k_base and
 * o200k_base (Counter), and words as len(str.split()) counts them (words_batch).
 *
 * Why it can be exact and fast: on ASCII input every class in the two split patterns
 * (\p{L}, \p{N}, \s, \p{Lu}, ...) is a fixed set of bytes, so each pattern becomes a short
 * hand-written scanner with no regex engine and no backtracking. Each piece it cuts is
 * counted as tiktoken counts it: one token if the whole piece is in the vocabulary, else
 * tiktoken's byte-pair merge (lowest rank first, leftmost on ties). Pieces repeat (a
 * Zipf law), so a small per-thread cache of piece -> count answers most of them from L2.
 *
 * The caller keeps the result honest: what is not ASCII, and any piece longer than
 * MAX_PIECE bytes, is handed back as ranges of the text, which the caller counts with the
 * general engine; a text is cut only where every piece ends whatever the text around
 * (always_cut). The Python side checks the vocabulary file's SHA-256 before handing it here.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PIECE 4096          /* a longer piece is handed back (the merge is quadratic) */
#define STACK_PIECE 256
#define CACHE_SLOTS 16384       /* 32-byte entries: 512 KiB per thread, about an L2 */
#define CACHE_KEY 23        /* the longest piece it keeps (three words, less one byte) */
#define MAX_THREADS 64
#define PARALLEL_MIN_BYTES (256 * 1024)
#define NO_RANK UINT32_MAX

enum split { CL100K = 0, O200K = 1 };

/* Byte classes. */
#define C_UPPER 1
#define C_LOWER 2
#define C_DIGIT 4
#define C_SPACE 8   /* \s: \t \n \v \f \r and space */
#define C_NL 16     /* \r \n */
#define C_LETTER (C_UPPER | C_LOWER)
static uint8_t CLS[128];

static void init_classes(void) {
    for (int c = 0; c < 128; c++) {
        uint8_t k = 0;
        if (c >= 'A' && c <= 'Z') k |= C_UPPER;
        if (c >= 'a' && c <= 'z') k |= C_LOWER;
        if (c >= '0' && c <= '9') k |= C_DIGIT;
        if ((c >= 9 && c <= 13) || c == ' ') k |= C_SPACE;
        if (c == '\r' || c == '\n') k |= C_NL;
        CLS[c] = k;
    }
}

static inline int is_letter(uint8_t c) { return CLS[c] & C_LETTER; }
static inline int is_upper(uint8_t c) { return CLS[c] & C_UPPER; }
static inline int is_lower(uint8_t c) { return CLS[c] & C_LOWER; }
static inline int is_digit(uint8_t c) { return CLS[c] & C_DIGIT; }
static inline int is_space(uint8_t c) { return CLS[c] & C_SPACE; }
static inline int is_nl(uint8_t c) { return CLS[c] & C_NL; }
/* [^\s\p{L}\p{N}]: punctuation, symbols, control bytes that are not spaces. */
static inline int is_other(uint8_t c) { return !(CLS[c] & (C_LETTER | C_DIGIT | C_SPACE)); }
/* [^\r\n\p{L}\p{N}]: what may stand before a word. */
static inline int is_prefix(uint8_t c) { return !(CLS[c] & (C_LETTER | C_DIGIT | C_NL)); }

static inline uint8_t lower(uint8_t c) { return is_upper(c) ? (uint8_t)(c + 32) : c; }

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at t[i] == '\'': its length, or 0. */
static size_t contraction(const uint8_t *t, size_t n, size_t i) {
    if (i + 1 >= n || t[i] != '\'') return 0;
    uint8_t a = lower(t[i + 1]);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
    if (i + 2 >= n) return 0;
    uint8_t b = lower(t[i + 2]);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* The whitespace alternatives shared by both patterns, at a space t[i]. */
static size_t space_piece(const uint8_t *t, size_t n, size_t i, int to_end_first) {
    size_t w = i;
    while (w < n && is_space(t[w])) w++;
    if (to_end_first && w == n) return n;               /* \s++$ (cl100k) */
    for (size_t k = w; k > i; k--)                       /* \s*[\r\n]: up to the last newline */
        if (is_nl(t[k - 1])) return k;
    if (w == n) return n;                                /* \s+(?!\S) at the end */
    if (w - i >= 2) return w - 1;                        /* \s+(?!\S): leave one for the word */
    return w;                                            /* \s */
}

/* The alternatives after the word ones, the same in both patterns but for what may trail
 * a punctuation run (newlines; for o200k, slashes too): \p{N}{1,3}, then
 * ' ?[^\s\p{L}\p{N}]+' and its trail, then the whitespace ones. */
static size_t number_or_other_piece(const uint8_t *t, size_t n, size_t i, int split) {
    uint8_t c = t[i];
    size_t j;
    if (is_digit(c)) {
        j = i + 1;
        while (j < n && j < i + 3 && is_digit(t[j])) j++;
        return j;
    }
    j = (c == ' ' && i + 1 < n && is_other(t[i + 1])) ? i + 1 : i;
    if (is_other(t[j])) {
        while (j < n && is_other(t[j])) j++;
        while (j < n && (is_nl(t[j]) || (split == O200K && t[j] == '/'))) j++;
        return j;
    }
    return space_piece(t, n, i, split == CL100K);
}

/* End of the piece starting at t[i], by tiktoken's cl100k_base pattern:
 * '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+
 * |\s++$|\s*[\r\n]|\s+(?!\S)|\s */
static size_t cl100k_piece(const uint8_t *t, size_t n, size_t i) {
    uint8_t c = t[i];
    size_t j;
    if (c == '\'' && (j = contraction(t, n, i))) return i + j;
    if (is_letter(c) || (is_prefix(c) && i + 1 < n && is_letter(t[i + 1]))) {
        j = i + 1;
        while (j < n && is_letter(t[j])) j++;
        return j;
    }
    return number_or_other_piece(t, n, i, CL100K);
}

/* End of the piece starting at t[i], by tiktoken's o200k_base pattern, whose ASCII
 * letter classes are [A-Z] (\p{Lu}) and [a-z] (\p{Ll}):
 * [^\r\n\p{L}\p{N}]?[A-Z]*[a-z]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * |[^\r\n\p{L}\p{N}]?[A-Z]+[a-z]*(?i:...)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*
 * |\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t o200k_piece(const uint8_t *t, size_t n, size_t i) {
    uint8_t c = t[i];
    size_t j;
    size_t w = (is_prefix(c) && i + 1 < n && is_letter(t[i + 1])) ? i + 1 : i;
    if (is_letter(t[w])) {
        /* Either alternative: an uppercase run, then any lowercase run (the first needs
         * one, the second takes the run without), then an optional contraction. */
        j = w;
        while (j < n && is_upper(t[j])) j++;
        while (j < n && is_lower(t[j])) j++;
        return j + contraction(t, n, j);
    }
    return number_or_other_piece(t, n, i, O200K);
}

/* The vocabulary: token bytes -> rank, open addressing. A slot holds a token's first
 * SLOT_KEY bytes and its length, so most lookups touch one cache line of the table and
 * nothing else; only longer tokens are compared in the blob. */
#define SLOT_KEY 10
typedef struct {
    uint32_t rank;
    uint16_t length;    /* 0: an empty slot */
    uint8_t key[SLOT_KEY];
} Slot;

typedef struct {
    PyObject_HEAD
    uint8_t *blob;      /* every token's bytes, by rank */
    uint32_t *start;    /* rank -> offset in blob */
    uint32_t ranks;
    Slot *slots;
    uint64_t mask;
    uint32_t *pairs;    /* (first byte << 8 | second) -> rank of that 2-byte token, or NO_RANK */
    int split;
    struct CacheEntry *caches[MAX_THREADS];  /* the piece memos, kept warm between batches */
    int caches_busy;    /* a batch is using them (another, concurrent, makes its own) */
} Counter;

static inline uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = 0;
        for (size_t k = 0; k < n; k++) v |= (uint64_t)p[k] << (8 * k);
        h = (h ^ v) * 0x94d049bb133111ebull;
        h ^= h >> 29;
    }
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

static uint32_t rank_hashed(const Counter *v, const uint8_t *p, size_t n, uint64_t h) {
    size_t head = n < SLOT_KEY ? n : SLOT_KEY;
    for (uint64_t i = h & v->mask;; i = (i + 1) & v->mask) {
        const Slot *s = &v->slots[i];
        if (s->length == 0) return NO_RANK;
        if (s->length == n && memcmp(s->key, p, head) == 0 &&
            (n <= SLOT_KEY || memcmp(v->blob + v->start[s->rank], p, n) == 0))
            return s->rank;
    }
}

static inline uint32_t rank_of(const Counter *v, const uint8_t *p, size_t n) {
    if (n == 2) return v->pairs[(unsigned)p[0] << 8 | p[1]];
    return rank_hashed(v, p, n, hash_bytes(p, n));
}

/* tiktoken's byte-pair merge, counting the tokens it leaves: part k is p[pos[k]:pos[k+1]],
 * rank[k] the rank of parts k and k+1 joined; the lowest rank joins first, leftmost on ties. */
static long merge_count(const Counter *v, const uint8_t *p, size_t n) {
    size_t stack_pos[STACK_PIECE + 1];
    uint32_t stack_rank[STACK_PIECE];
    size_t *pos = stack_pos;
    uint32_t *rank = stack_rank;
    if (n > STACK_PIECE) {
        pos = malloc((n + 1) * sizeof *pos);
        rank = malloc(n * sizeof *rank);
        if (!pos || !rank) {
            free(pos);
            free(rank);
            return -1;
        }
    }
    size_t parts = n;
    for (size_t k = 0; k <= n; k++) pos[k] = k;
    for (size_t k = 0; k + 1 < n; k++) rank[k] = rank_of(v, p + k, 2);
    while (parts > 1) {
        uint32_t best = NO_RANK;
        size_t at = 0;
        for (size_t k = 0; k + 1 < parts; k++)
            if (rank[k] < best) {
                best = rank[k];
                at = k;
            }
        if (best == NO_RANK) break;
        memmove(pos + at + 1, pos + at + 2, (parts - at - 1) * sizeof *pos);
        if (parts >= at + 3) memmove(rank + at + 1, rank + at + 2, (parts - at - 3) * sizeof *rank);
        parts--;
        if (at + 1 < parts) rank[at] = rank_of(v, p + pos[at], pos[at + 2] - pos[at]);
        if (at > 0) rank[at - 1] = rank_of(v, p + pos[at - 1], pos[at + 1] - pos[at - 1]);
    }
    if (pos != stack_pos) {
        free(pos);
        free(rank);
    }
    return (long)parts;
}

/* A small direct-mapped memo of piece -> count, one per counting thread. A piece of up
 * to CACHE_KEY bytes is packed into three zero-padded words, which are its key. */
typedef struct CacheEntry {
    uint64_t word[3];
    uint32_t count;
    uint32_t length;
} CacheEntry;

static inline uint64_t pack(const uint8_t *p, size_t n, uint64_t word[3]) {
    size_t k = 0, w = 0;
    word[0] = word[1] = word[2] = 0;
    for (; n - k >= 8; k += 8) memcpy(&word[w++], p + k, 8);
    for (size_t shift = 0; k < n; k++, shift += 8) word[w] |= (uint64_t)p[k] << shift;
    uint64_t h = (word[0] * 0x9E3779B97F4A7C15ull) ^ (word[1] * 0xbf58476d1ce4e5b9ull) ^
                 (word[2] * 0x94d049bb133111ebull) ^ n;
    return h ^ (h >> 29) ^ (h >> 47);
}

static long piece_count(const Counter *v, CacheEntry *cache, const uint8_t *p, size_t n) {
    if (n == 1) return 1;  /* every byte is a token */
    if (n == 2) return v->pairs[(unsigned)p[0] << 8 | p[1]] != NO_RANK ? 1 : 2;
    if (n > MAX_PIECE) return -1;
    CacheEntry *e = NULL;
    uint64_t word[3];
    if (cache && n <= CACHE_KEY) {
        e = &cache[pack(p, n, word) & (CACHE_SLOTS - 1)];
        if (e->length == n && e->word[0] == word[0] && e->word[1] == word[1] &&
            e->word[2] == word[2])
            return e->count;
    }
    long count = rank_hashed(v, p, n, hash_bytes(p, n)) != NO_RANK ? 1 : merge_count(v, p, n);
    if (e && count > 0) {
        memcpy(e->word, word, sizeof word);
        e->count = (uint32_t)count;
        e->length = (uint32_t)n;
    }
    return count;
}

/* Tokens in ASCII text t[0:n], or -1 if a piece is too long. */
static long count_text(const Counter *v, CacheEntry *cache, const uint8_t *t, size_t n) {
    long total = 0;
    size_t i = 0;
    while (i < n) {
        size_t end = v->split == CL100K ? cl100k_piece(t, n, i) : o200k_piece(t, n, i);
        long c = piece_count(v, cache, t + i, end - i);
        if (c < 0) return -1;
        total += c;
        i = end;
    }
    return total;
}

/* --- the Python type --- */

static int b64_value(uint8_t c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* One "base64 rank" line into out; returns bytes written, or -1. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out) {
    long o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        int d = b64_value(s[i]);
        if (d < 0) return -1;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

/* Parse "base64 rank" lines into the tables; 0 if the file is not such a file. */
static int load_ranks(Counter *self, const uint8_t *data, size_t size) {
    size_t at = 0, used = 0;
    uint32_t count = 0, single_bytes = 0;
    while (at < size) {
        const uint8_t *line = data + at;
        const uint8_t *eol = memchr(line, '\n', size - at);
        size_t len = eol ? (size_t)(eol - line) : size - at;
        at += len + 1;
        if (len == 0) continue;
        const uint8_t *space = memchr(line, ' ', len);
        if (!space) return 0;
        unsigned long rank = 0;
        for (const uint8_t *d = space + 1; d < line + len; d++) {
            if (*d < '0' || *d > '9') return 0;
            rank = rank * 10 + (unsigned long)(*d - '0');
        }
        long got = b64_decode(line, (size_t)(space - line), self->blob + used);
        if (got <= 0 || got > UINT16_MAX || rank != count) return 0;  /* ranks 0..n-1, in order */
        const uint8_t *token = self->blob + used;
        self->start[count] = (uint32_t)used;
        if (got == 1) single_bytes++;
        if (got == 2) self->pairs[(unsigned)token[0] << 8 | token[1]] = count;
        uint64_t i = hash_bytes(token, (size_t)got) & self->mask;
        while (self->slots[i].length) i = (i + 1) & self->mask;
        self->slots[i].rank = count;
        self->slots[i].length = (uint16_t)got;
        memcpy(self->slots[i].key, token, got < SLOT_KEY ? (size_t)got : SLOT_KEY);
        used += (size_t)got;
        count++;
    }
    self->ranks = count;
    return single_bytes == 256;  /* piece_count takes every byte to be a token */
}

static int Counter_init(Counter *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ranks", "split", NULL};
    Py_buffer file;
    const char *split;
    if (self->blob) {
        PyErr_SetString(PyExc_RuntimeError, "this Counter is already loaded");
        return -1;
    }
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*s", kwlist, &file, &split)) return -1;
    if (strcmp(split, "cl100k_base") == 0) self->split = CL100K;
    else if (strcmp(split, "o200k_base") == 0) self->split = O200K;
    else {
        PyBuffer_Release(&file);
        PyErr_Format(PyExc_ValueError, "no ASCII scanner for the %s split", split);
        return -1;
    }
    const uint8_t *data = file.buf;
    size_t size = (size_t)file.len, lines = 0;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    self->blob = malloc(size + 1);  /* decoded tokens are shorter than their lines */
    self->start = calloc(lines + 1, sizeof *self->start);
    self->pairs = malloc(65536 * sizeof *self->pairs);
    uint64_t cap = 1;
    while (cap < 2 * (uint64_t)lines + 2) cap <<= 1;
    self->slots = calloc(cap, sizeof *self->slots);
    self->mask = cap - 1;
    if (!self->blob || !self->start || !self->pairs || !self->slots) {
        PyBuffer_Release(&file);
        PyErr_NoMemory();
        return -1;
    }
    memset(self->pairs, 0xff, 65536 * sizeof *self->pairs);
    int ok;
    Py_BEGIN_ALLOW_THREADS  /* a vocabulary can load while the caller walks a tree */
    ok = load_ranks(self, data, size);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&file);
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "not a .tiktoken rank file: lines 'base64 rank' with "
                                          "ranks 0, 1, 2, ... in order and every byte a token");
        return -1;
    }
    return 0;
}

static void Counter_dealloc(Counter *self) {
    free(self->blob);
    free(self->start);
    free(self->pairs);
    for (int k = 0; k < MAX_THREADS; k++) free(self->caches[k]);
    free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A str as the threads see it, read while the GIL was held. */
typedef struct {
    int kind;
    int ascii;
    const void *data;
    Py_ssize_t length;
} TextView;

static int view_of(PyObject *s, TextView *view) {
    if (!PyUnicode_Check(s) || PyUnicode_READY(s) < 0) {
        PyErr_SetString(PyExc_TypeError, "expected a sequence of str");
        return -1;
    }
    *view = (TextView){PyUnicode_KIND(s), PyUnicode_IS_ASCII(s), PyUnicode_DATA(s),
                       PyUnicode_GET_LENGTH(s)};
    return 0;
}

/* What one text leaves to another engine: ranges of code points [start, end). */
typedef struct {
    long count;
    Py_ssize_t (*left)[2];
    size_t used, size;
} Result;

static int leave(Result *r, Py_ssize_t start, Py_ssize_t end) {
    if (r->used && r->left[r->used - 1][1] == start) {  /* extend the last range */
        r->left[r->used - 1][1] = end;
        return 0;
    }
    if (r->used == r->size) {
        size_t size = r->size ? 2 * r->size : 8;
        void *grown = realloc(r->left, size * sizeof *r->left);
        if (!grown) return -1;
        r->left = grown;
        r->size = size;
    }
    r->left[r->used][0] = start;
    r->left[r->used][1] = end;
    r->used++;
    return 0;
}

typedef struct {
    const Counter *counter;
    const TextView *views;
    Result *results;
    Py_ssize_t n;
    Py_ssize_t next;  /* the next text to take, shared by the threads */
    int failed;       /* out of memory in a thread */
} Batch;

/* Whether every piece ends at t[p], whatever the text around: after a newline, then an
 * indentation of spaces or tabs without newlines, then ASCII that is not a space (nor a '/'
 * straight after the newline, which o200k joins to it). Before p, a whitespace run ends at
 * its last newline (\s*[\r\n]) and a punctuation run's trailing newlines stop there; from
 * p on, the indentation and the word after it split as they would anywhere. */
static int always_cut(const Counter *v, const TextView *t, Py_ssize_t p) {
    if (p == 0 || PyUnicode_READ(t->kind, t->data, p - 1) != '\n') return 0;
    Py_ssize_t k = p;
    Py_UCS4 c = 0;
    for (; k < t->length; k++) {
        c = PyUnicode_READ(t->kind, t->data, k);
        if (c != ' ' && c != '\t' && c != '\v' && c != '\f') break;
    }
    if (k == t->length || c >= 128 || is_space((uint8_t)c)) return 0;
    return !(v->split == O200K && k == p && c == '/');
}

/* A text that is not pure ASCII, cut where always_cut says: its pure-ASCII segments are
 * counted here, the others left to the caller. */
static int count_mixed(const Counter *v, CacheEntry *cache, const TextView *t, Result *r,
                       uint8_t **buffer, size_t *capacity) {
    Py_ssize_t start = 0, n = t->length;
    while (start < n) {
        Py_ssize_t end = start;
        int ascii = 1;
        for (; end < n; end++) {
            if (end > start && always_cut(v, t, end)) break;
            if (PyUnicode_READ(t->kind, t->data, end) >= 128) ascii = 0;
        }
        long counted = -1;
        if (ascii) {
            size_t length = (size_t)(end - start);
            if (length > *capacity) {
                uint8_t *grown = realloc(*buffer, length);
                if (!grown) return -1;
                *buffer = grown;
                *capacity = length;
            }
            for (Py_ssize_t k = start; k < end; k++)
                (*buffer)[k - start] = (uint8_t)PyUnicode_READ(t->kind, t->data, k);
            counted = count_text(v, cache, *buffer, length);
        }
        if (counted >= 0) r->count += counted;
        else if (leave(r, start, end) < 0) return -1;
        start = end;
    }
    return 0;
}

typedef struct {
    Batch *batch;
    CacheEntry **kept;  /* the Counter's memo for this thread, or NULL: a memo of its own */
} Worker;

static void *work(void *arg) {
    Worker *worker = arg;
    Batch *b = worker->batch;
    CacheEntry *cache = worker->kept ? *worker->kept : NULL;
    if (!cache) {
        cache = calloc(CACHE_SLOTS, sizeof *cache);  /* NULL: count without one */
        if (worker->kept) *worker->kept = cache;
    }
    uint8_t *buffer = NULL;
    size_t capacity = 0;
    for (;;) {
        Py_ssize_t i = __atomic_fetch_add(&b->next, 1, __ATOMIC_RELAXED);
        if (i >= b->n) break;
        const TextView *t = &b->views[i];
        Result *r = &b->results[i];
        long counted = t->ascii ? count_text(b->counter, cache, t->data, (size_t)t->length) : -1;
        int failed = 0;
        if (counted >= 0) r->count = counted;
        else if (t->ascii) failed = leave(r, 0, t->length);
        else failed = count_mixed(b->counter, cache, t, r, &buffer, &capacity);
        if (failed) __atomic_store_n(&b->failed, 1, __ATOMIC_RELAXED);
    }
    free(buffer);
    if (!worker->kept) free(cache);
    return NULL;
}

static PyObject *batch_result(const Batch *b) {
    PyObject *counts = PyList_New(b->n), *left = PyList_New(0);
    if (!counts || !left) goto fail;
    for (Py_ssize_t i = 0; i < b->n; i++) {
        const Result *r = &b->results[i];
        PyList_SET_ITEM(counts, i, PyLong_FromLong(r->count));
        for (size_t k = 0; k < r->used; k++) {
            PyObject *range = Py_BuildValue("(nnn)", i, r->left[k][0], r->left[k][1]);
            if (!range || PyList_Append(left, range) < 0) {
                Py_XDECREF(range);
                goto fail;
            }
            Py_DECREF(range);
        }
    }
    return Py_BuildValue("(NN)", counts, left);
fail:
    Py_XDECREF(counts);
    Py_XDECREF(left);
    return NULL;
}

static PyObject *Counter_count_batch(Counter *self, PyObject *args) {
    PyObject *seq;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "O|i", &seq, &threads)) return NULL;
    if (!self->slots) {
        PyErr_SetString(PyExc_RuntimeError, "this Counter has no vocabulary loaded");
        return NULL;
    }
    PyObject *texts = PySequence_Tuple(seq);  /* our own references, while the GIL is released */
    if (!texts) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(texts), total = 0;
    TextView *views = PyMem_Calloc((size_t)n + 1, sizeof *views);
    Batch b = {self, views, PyMem_Calloc((size_t)n + 1, sizeof(Result)), n, 0, 0};
    PyObject *out = NULL;
    if (!views || !b.results) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (view_of(PyTuple_GET_ITEM(texts, i), &views[i]) < 0) goto done;
        total += views[i].length;
    }
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (total < PARALLEL_MIN_BYTES || n < 2 || threads < 1) threads = 1;
    int own = !__atomic_exchange_n(&self->caches_busy, 1, __ATOMIC_ACQUIRE);
    Worker workers[MAX_THREADS];
    for (int k = 0; k < threads; k++) workers[k] = (Worker){&b, own ? &self->caches[k] : NULL};
    Py_BEGIN_ALLOW_THREADS
    pthread_t ids[MAX_THREADS];
    int started = 0;
    for (; started < threads - 1; started++)
        if (pthread_create(&ids[started], NULL, work, &workers[started + 1]) != 0) break;
    work(&workers[0]);
    for (int k = 0; k < started; k++) pthread_join(ids[k], NULL);
    Py_END_ALLOW_THREADS
    if (own) __atomic_store_n(&self->caches_busy, 0, __ATOMIC_RELEASE);
    if (b.failed) PyErr_NoMemory();
    else out = batch_result(&b);
done:
    if (b.results)
        for (Py_ssize_t i = 0; i < n; i++) free(b.results[i].left);
    PyMem_Free(b.results);
    PyMem_Free(views);
    Py_DECREF(texts);
    return out;
}

static PyMethodDef Counter_methods[] = {
    {"count_batch", (PyCFunction)Counter_count_batch, METH_VARARGS,
     "count_batch(texts, threads=1) -> (counts, left): left lists (index, start, end), "
     "ranges of texts[index] not counted here (not ASCII, or a piece too long to merge), "
     "whose counts the caller adds. Runs without the GIL."},
    {NULL, NULL, 0, NULL},
};

static PyObject *Counter_ranks(Counter *self, void *Py_UNUSED(closure)) {
    return PyLong_FromUnsignedLong(self->ranks);
}

static PyGetSetDef Counter_getset[] = {
    {"ranks", (getter)Counter_ranks, NULL, "number of ranks loaded", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject CounterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ctxlab.core._ascii_count.Counter",
    .tp_basicsize = sizeof(Counter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Counter(ranks: bytes of a .tiktoken file, split: 'cl100k_base' | 'o200k_base')",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Counter_init,
    .tp_dealloc = (destructor)Counter_dealloc,
    .tp_methods = Counter_methods,
    .tp_getset = Counter_getset,
};

/* Words as len(str.split()) counts them: runs of characters that str.isspace() rejects.
 * On ASCII that is the six \s bytes and the separators 0x1c-0x1f, tested with arithmetic
 * so that the loop vectorises; other text asks CPython's own Py_UNICODE_ISSPACE. */
static inline uint8_t ascii_word_byte(uint8_t c) {
    return !(c == ' ' || (uint8_t)(c - 9) < 5 || (uint8_t)(c - 0x1c) < 4);
}

static long ascii_words(const uint8_t *t, size_t n) {
    if (n == 0) return 0;
    long words = ascii_word_byte(t[0]);
    for (size_t i = 1; i < n; i++) words += ascii_word_byte(t[i]) & !ascii_word_byte(t[i - 1]);
    return words;
}

static long unicode_words(int kind, const void *data, Py_ssize_t n) {
    long words = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int word = !Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        words += word & !in_word;
        in_word = word;
    }
    return words;
}

static PyObject *words_batch(PyObject *Py_UNUSED(module), PyObject *seq) {
    PyObject *texts = PySequence_Tuple(seq);  /* our own references, while the GIL is released */
    if (!texts) return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(texts);
    long *counts = PyMem_Calloc((size_t)n + 1, sizeof *counts);
    TextView *views = PyMem_Calloc((size_t)n + 1, sizeof *views);
    PyObject *out = NULL;
    if (!counts || !views) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (view_of(PyTuple_GET_ITEM(texts, i), &views[i]) < 0) goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        counts[i] = views[i].ascii ? ascii_words(views[i].data, (size_t)views[i].length)
                                   : unicode_words(views[i].kind, views[i].data, views[i].length);
    Py_END_ALLOW_THREADS
    out = PyList_New(n);
    if (out)
        for (Py_ssize_t i = 0; i < n; i++) PyList_SET_ITEM(out, i, PyLong_FromLong(counts[i]));
done:
    PyMem_Free(counts);
    PyMem_Free(views);
    Py_DECREF(texts);
    return out;
}

static PyMethodDef module_methods[] = {
    {"words_batch", (PyCFunction)words_batch, METH_O,
     "words_batch(texts) -> [len(t.split()) for t in texts], without the GIL."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_ascii_count",
    "Counts of pure-ASCII text without the GIL: cl100k_base / o200k_base tokens, words.", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__ascii_count(void) {
    init_classes();
    if (PyType_Ready(&CounterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&CounterType);
    if (PyModule_AddObject(m, "Counter", (PyObject *)&CounterType) < 0) {
        Py_DECREF(&CounterType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
